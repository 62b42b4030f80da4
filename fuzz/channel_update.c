/* fuzz/channel_update: Telegram Updates and WhatsApp webhook bodies, as the services
 * (or anyone who forged a request past the gateway) send them.  Every message handed
 * out must have an id, fields that are NUL-free strings, and media that is JSON. */
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
	if (!m->ext[0] || strlen(m->peer) >= sizeof m->peer)
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
	struct chan c;
	const char *kinds[] = { "telegram", "whatsapp" };
	size_t i;
	int rc;

	memset(&c, 0, sizeof c);
	snprintf(c.bot, sizeof c.bot, "claw_bot");
	snprintf(c.botid, sizeof c.botid, "123456");
	for (i = 0; i < 2; i++) {
		c.conn = chan_conn(kinds[i]);
		snprintf(c.name, sizeof c.name, "%s", kinds[i]);
		rc = c.conn->parse(&c, (const char *)data, size, check, NULL);
		if (rc != 0 && rc != EX_DATAERR)
			__builtin_trap();
	}
	return 0;
}
