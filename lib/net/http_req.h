/* http: a strict HTTP/1.1 request-head parser (RFC 9112) for the gateway.  It
 * owns no socket and copies nothing: the caller re-parses its buffer as it grows. */
#ifndef CLAW_HTTP_H
#define CLAW_HTTP_H
#include <stddef.h>

#define HTTP_MAXLINE    (8u << 10)   /* request line, without its CRLF */
#define HTTP_MAXHEAD    (16u << 10)  /* whole head, request line included */
#define HTTP_MAXHEADERS 64

struct http_field {
	const char *name, *value;    /* into the caller's buffer, not NUL-terminated */
	size_t nlen, vlen;           /* value: OWS trimmed, may be empty */
};

struct http_req {
	/* Pointers into the caller's buffer, NOT NUL-terminated; query: after '?', qlen 0
	 * and query NULL when none. */
	const char *method, *target, *path, *query;
	size_t mlen, tlen, plen, qlen;
	int minor;                 /* HTTP/1.minor: 0 or 1 */
	struct http_field h[HTTP_MAXHEADERS];
	int nh;
	long long length;          /* Content-Length, or -1 when absent */
	/* 1.1 without "Connection: close", or 1.0 with "Connection: keep-alive" */
	int keepalive;
	/* "Expect: 100-continue" (1.1 only: RFC 9110 says 1.0 ignores it) */
	int expect_continue;
	const char *error;         /* a short reason (static string) when http_parse fails */
};

/* Parse the head at p[0..n): 0 when it is not complete yet (more bytes needed,
 * and n is still under the caps); > 0 the head's length in bytes, up to and including
 * the blank line (leading CRLFs skipped count too); < 0 minus the HTTP status to answer
 * (400, 411, 414, 417, 431, 501, 505) with r->error saying why.  The answer for a
 * prefix is 0 or the answer for the whole, so a caller may re-parse as bytes arrive.
 * The fields of r mean something only when the result is > 0.
 * Transfer-Encoding: "chunked" alone is 411 (send Content-Length), chunked after
 * other codings 501, anything else (or in HTTP/1.0) 400: no request has a chunked body.
 * Any error leaves the connection's framing unknown: answer, then close. */
int http_parse(const char *p, size_t n, struct http_req *r);
/* A header's value (case-insensitive name): pointer + *vlen, or NULL.  The first
 * one when a name repeats (Host and Content-Length never do).  vlen may be NULL. */
const char *http_header(const struct http_req *r, const char *name, size_t *vlen);
/* Reason phrase for a status code ("OK", "Bad Request", ... "Service Unavailable");
 * "Unknown" otherwise. */
const char *http_reason(int status);
#endif
