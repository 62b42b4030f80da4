/* fetch: one HTTP POST with the body streamed to a callback as it arrives (plain
 * http:// over our own socket, https:// and proxies through libcurl).  Error bodies
 * (status >= 300) are kept aside, never fed to the callback. */
#ifndef CLAW_FETCH_H
#define CLAW_FETCH_H
#include <stddef.h>

#include "base/buf.h"

typedef int fetch_fn(const char *p, size_t n, void *ctx);   /* non-zero stops the transfer */
/* A response header, name as sent and value trimmed; both transports call it. */
typedef void fetch_header_fn(const char *name, const char *value, void *ctx);

struct fetch {
	const char *url;
	/* "Name: value", NULL-terminated; secrets go here, never in url */
	const char *const *headers;
	const char *method;           /* NULL: POST with body; "GET": no body; "PATCH": a body */
	const char *user_agent;       /* NULL: claw/VERSION; a constant, never from input */
	const char *body;
	size_t len;
	long connect_timeout;         /* seconds */
	long idle_timeout;            /* seconds without a byte before giving up; 0: no limit */
	fetch_fn *fn;
	void *ctx;
	fetch_header_fn *header;      /* NULL, or told every header of the final response */
	void *hctx;
	const volatile int *cancel;   /* when set and non-zero, the transfer stops */
	/* results */
	long status;
	long retry_after;             /* seconds from Retry-After, or -1 */
	struct buf errbody;           /* the body of a non-2xx answer (capped) */
	int stopped;                  /* fn asked to stop */
	int transport;                /* 0, or the failure class below */
	char error[256];              /* libcurl's words for a transport failure */
};

enum { FETCH_OK, FETCH_CONNECT, FETCH_TIMEOUT, FETCH_RECV, FETCH_OTHER };

void *fetch_handle(void);         /* a reusable easy handle (one per thread); NULL on failure */
void fetch_handle_free(void *h);
int fetch_post(void *h, struct fetch *f);    /* 0 when a response was read, else the class */
#endif
