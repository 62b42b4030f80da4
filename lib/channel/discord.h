/* discord: what the Discord connector's two files share — the REST call with the bot
 * token, the bot's id from its token, and the Gateway poller (discord_gw.c). */
#ifndef CLAW_CHAN_DISCORD_H
#define CLAW_CHAN_DISCORD_H
#include "base/buf.h"
#include "channel/chan.h"

/* method path (under base_url) with req's JSON (NULL: none); bot: with the token.
 * The HTTP status (0: transport failure, err set), the answer in ans. */
long dc_call(struct chan *c, const char *method, const char *path, const struct buf *req,
    struct buf *ans, int bot, long *retry_after);
void dc_botid(struct chan *c);
/* The Gateway: MESSAGE_CREATE dispatches for up to timeout seconds (chan_conn.poll). */
int dc_poll(struct chan *c, const char *cursor, int timeout, chan_msg_fn *fn, void *ctx,
    char *next, size_t nextlen);
#endif
