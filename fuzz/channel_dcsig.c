/* fuzz/channel_dcsig: Discord interactions and Gateway messages, and signal-cli's JSON-RPC
 * lines, as the services (or a forger past the signature check) send them.  Every message
 * handed out must have an id, bounded NUL-free fields, and media that is JSON. */
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
	struct chan c;
	const char *kinds[] = { "discord", "signal" };
	size_t i;
	int rc;

	memset(&c, 0, sizeof c);
	snprintf(c.botid, sizeof c.botid, "1100000000000000001");
	for (i = 0; i < 2; i++) {
		c.conn = chan_conn(kinds[i]);
		snprintf(c.name, sizeof c.name, "%s", kinds[i]);
		snprintf(c.bot, sizeof c.bot, "%s", i ? "+15550000000" : "claw");
		rc = c.conn->parse(&c, (const char *)data, size, check, NULL);
		if (rc != 0 && rc != EX_DATAERR)
			__builtin_trap();
	}
	return 0;
}
