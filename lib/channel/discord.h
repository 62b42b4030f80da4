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
/* The same with a body of content type ctype (a "Content-Type: …" line; NULL body: none),
 * waiting first while the route's bucket is empty (up to 10 s; longer: 0 and *retry_after
 * the seconds, err set). */
long dc_request(struct chan *c, const char *method, const char *path, const char *ctype,
    const char *body, size_t len, struct buf *ans, int bot, long *retry_after);
void dc_botid(struct chan *c);

/* Rate limits (discord_rl.c): an answer's X-RateLimit-* headers, gathered by dc_rl_header
 * (a chan on_header); noted per route with a 429's retry_after in seconds (-1: none). */
struct dc_rl {
	char bucket[64], scope[16];
	long remaining;               /* -1: not sent */
	double reset_after;           /* seconds; -1: not sent */
	int global;
};
void dc_rl_header(const char *name, const char *value, void *ctx);
void dc_rl_note(const char *method, const char *path, const struct dc_rl *h,
    double retry_after);
/* Milliseconds to wait before method path may be called (0: now). */
long long dc_rl_wait(const char *method, const char *path);
/* The Gateway: MESSAGE_CREATE dispatches for up to timeout seconds (chan_conn.poll). */
int dc_poll(struct chan *c, const char *cursor, int timeout, chan_msg_fn *fn, void *ctx,
    char *next, size_t nextlen);
#endif
