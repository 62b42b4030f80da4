/* sse: a Server-Sent Events parser fed bytes as they arrive, cut anywhere
 * (inside a line, a CRLF or a UTF-8 sequence).  One callback per dispatched event. */
#ifndef CLAW_SSE_H
#define CLAW_SSE_H
#include <stddef.h>

#include "base/buf.h"

#define SSE_MAXLINE (1u << 20)   /* a longer line is an error, not a memory hog */

/* event is the `event:` name ("message" when none was given); data is the
 * `data:` lines joined with '\n', NUL-terminated, len bytes.  Return non-zero to stop. */
typedef int sse_fn(const char *event, const char *data, size_t len, void *ctx);

struct sse {
	struct buf line;     /* the partial line carried between feeds */
	struct buf data;     /* data of the event being assembled */
	char event[64];
	int has_data;
	int cr;              /* the last byte fed was '\r': a following '\n' belongs to it */
	int failed;
	sse_fn *fn;
	void *ctx;
};

void sse_init(struct sse *s, sse_fn *fn, void *ctx);
/* 0; the callback's non-zero return; or -1 for a line over SSE_MAXLINE or no memory. */
int sse_feed(struct sse *s, const char *p, size_t n);
void sse_free(struct sse *s);
#endif
