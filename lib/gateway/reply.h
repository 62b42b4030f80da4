/* reply: how the gateway answers — the status line and headers every answer
 * carries, JSON errors {"error":{"message","type"}}, and the one table from a
 * child's exit code to the HTTP status of its answer. */
#ifndef CLAW_GW_REPLY_H
#define CLAW_GW_REPLY_H
#include <stddef.h>

#include "base/buf.h"
#include "gateway/gateway.h"

/* A status line and the common headers into b; ctype NULL for none, length < 0
 * for no Content-Length; close 1 says close, 2 says keep-alive (HTTP/1.0);
 * extra is more "Name: value\r\n" lines or NULL. */
void gw_head(struct buf *b, int status, const char *ctype, long long length, int close,
    const char *extra);
/* The whole answer in o: status and a JSON body. */
void gw_answer(struct gw_out *o, int status, const char *json, size_t n, const char *extra);
/* A 200 with the JSON built in b, or a 500 when building it ran out of memory. */
void gw_answer_ok(struct gw_out *o, const struct buf *b);
/* {"error":{"message":M,"type":T}} with the status's type, into b. */
void gw_error_body(struct buf *b, int status, const char *message);
const char *gw_error_type(int status);       /* "bad_request", "not_found", … */
void gw_error(struct gw_out *o, int status, const char *message);
void gw_error_extra(struct gw_out *o, int status, const char *message, const char *extra);
void gw_out_free(struct gw_out *o);

/* What a claw-chat or claw-skill exit code (or an error event's code) is as an
 * HTTP status; *retry (retry may be NULL) set when the client should try again
 * later: the answer says Retry-After. */
int gw_exit_status(long code, int *retry);
/* A child's error (code and message) as the client gets it: the status, and
 * into m a message meant for the client.  An upstream 404 for a model is the
 * client's 404 ("no such model"); what only the gateway's owner can mend
 * (EX_CONFIG, EX_UNAVAILABLE) goes to stderr, the gateway's log, and the
 * client is told only that; URLs never go out. */
int gw_client_error(long code, const char *msg, struct buf *m, int *retry);
#endif
