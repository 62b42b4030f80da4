/* http_resp: an HTTP/1.1 response parser fed bytes as they arrive (status line,
 * headers, then a body by Content-Length, chunked, or until close).  It owns no
 * socket: net/fetch_plain.c feeds it, and fuzz/http_resp feeds it garbage. */
#ifndef CLAW_HTTP_RESP_H
#define CLAW_HTTP_RESP_H
#include <stddef.h>

#include "base/buf.h"

#define HTTP_RESP_MAXHEAD (64u << 10)

typedef int http_resp_body_fn(const char *p, size_t n, void *ctx);   /* non-zero stops */
/* One header of the head, its value trimmed (both NUL-terminated, valid for the call). */
typedef void http_resp_header_fn(const char *name, const char *value, void *ctx);

struct http_resp {
	int state;
	struct buf line;          /* a partial head or chunk-size line */
	size_t headlen;
	long status;
	long retry_after;         /* seconds, or -1 */
	int chunked;
	long long length;         /* Content-Length, or -1 */
	long long left;           /* bytes left in the body or the current chunk */
	http_resp_body_fn *body;
	http_resp_header_fn *header;  /* NULL, or told each header (set after init) */
	void *ctx;
	char error[128];
};

void http_resp_init(struct http_resp *h, http_resp_body_fn *fn, void *ctx);
/* 0: more please; 1: the response is complete; 2: the body callback stopped;
 * -1: malformed (h->error says how). */
int http_resp_feed(struct http_resp *h, const char *p, size_t n);
/* The peer closed: 1 when that completes the response, else -1 (cut short). */
int http_resp_eof(struct http_resp *h);
void http_resp_free(struct http_resp *h);
#endif
