/* httpc: an HTTP/1.1 response parser fed bytes as they arrive (status line,
 * headers, then a body by Content-Length, chunked, or until close).  It owns no
 * socket: lib/fetch.c feeds it, and fuzz/httpc feeds it garbage. */
#ifndef CLAW_HTTPC_H
#define CLAW_HTTPC_H
#include <stddef.h>

#include "base/buf.h"

#define HTTPC_MAXHEAD (64u << 10)

typedef int httpc_body_fn(const char *p, size_t n, void *ctx);   /* non-zero stops */

struct httpc {
	int state;
	struct buf line;          /* a partial head or chunk-size line */
	size_t headlen;
	long status;
	long retry_after;         /* seconds, or -1 */
	int chunked;
	long long length;         /* Content-Length, or -1 */
	long long left;           /* bytes left in the body or the current chunk */
	httpc_body_fn *body;
	void *ctx;
	char error[128];
};

void httpc_init(struct httpc *h, httpc_body_fn *fn, void *ctx);
/* 0: more please; 1: the response is complete; 2: the body callback stopped;
 * -1: malformed (h->error says how). */
int httpc_feed(struct httpc *h, const char *p, size_t n);
/* The peer closed: 1 when that completes the response, else -1 (cut short). */
int httpc_eof(struct httpc *h);
void httpc_free(struct httpc *h);
#endif
