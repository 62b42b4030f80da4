/* fuzz/channel_update: what every connector parses — Telegram Updates, WhatsApp webhook
 * bodies, Discord interactions and Gateway messages, signal-cli's JSON-RPC lines — as the
 * services (or a forger past the gateway's check) send them.  Every message handed out
 * must have an id, bounded NUL-free fields, and media that is JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/json.h"
#include "channel/chan.h"

static int
check(struct chan *c, struct chan_msg *m, void *ctx)
{
	(void)c;
	(void)ctx;
	if (!m->ext[0] || strlen(m->peer) >= sizeof m->peer || strlen(m->msgid) >= sizeof m->msgid)
		__builtin_trap();
	if (m->media.len && !json_valid(m->media.p, m->media.len, NULL, 0))
		__builtin_trap();
	if (m->text.oom || m->media.oom)
		__builtin_trap();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Each connector with the bot names its mention checks compare against. */
	static const struct { const char *kind, *bot, *botid; } conns[] = {
		{ "telegram", "claw_bot", "123456" },
		{ "whatsapp", "claw_bot", "123456" },
		{ "discord", "claw", "1100000000000000001" },
		{ "signal", "+15550000000", "1100000000000000001" },
	};
	struct chan c;
	size_t i;
	int rc;

	for (i = 0; i < sizeof conns / sizeof conns[0]; i++) {
		memset(&c, 0, sizeof c);
		c.conn = chan_conn(conns[i].kind);
		snprintf(c.name, sizeof c.name, "%s", conns[i].kind);
		snprintf(c.bot, sizeof c.bot, "%s", conns[i].bot);
		snprintf(c.botid, sizeof c.botid, "%s", conns[i].botid);
		rc = c.conn->parse(&c, (const char *)data, size, check, NULL);
		if (rc != 0 && rc != EX_DATAERR)
			__builtin_trap();
	}
	return 0;
}
