/* http: request heads per RFC 9112, strict, because a gateway that guesses at
 * framing is one a request can be smuggled through.  One pass, left to right. */
#include <string.h>

#include "net/http_req.h"

/* What the fields said that is only judged once the head is complete. */
struct seen {
	int host;                  /* Host fields */
	int te;                    /* a Transfer-Encoding field */
	int chunked;               /* "chunked" codings */
	int last_chunked;          /* the last coding so far is chunked */
	int other_coding;          /* a coding we do not implement */
	int close, keep;           /* Connection: close, keep-alive */
	int cont, other_expect;    /* Expect: 100-continue, anything else */
};

static int
fail(struct http_req *r, int status, const char *why)
{
	r->error = why;
	return -status;
}

static int
digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static int
in(const char *set, unsigned char c)
{
	return c && strchr(set, c);
}

/* RFC 9110 §5.6.2 */
static int
tchar(unsigned char c)
{
	return digit(c) || alpha(c) || in("!#$%&'*+-.^_`|~", c);
}

static int
ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* field-vchar (obs-text included) or OWS: no control byte but HTAB */
static int
vbyte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* ASCII only: a locale must not change what a header name means. */
static int
ieq(const char *a, size_t n, const char *b)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char x = a[i], y = b[i];
		if (y == '\0' || (alpha(x) ? x | 0x20 : x) != (alpha(y) ? y | 0x20 : y))
			return 0;
	}
	return b[n] == '\0';
}

/*
 * The line at p[*at..lim): 1 with its text at [*at, *end) and *at moved past
 * its CRLF; 0 when it is not complete yet; < 0 on a byte no head may hold, or
 * text longer than max (only the request line has a cap of its own).
 */
static int
line(const char *p, size_t lim, size_t *at, size_t *end, size_t max, struct http_req *r)
{
	size_t i;

	for (i = *at; i < lim; i++) {
		if (p[i] == '\r') {
			if (i + 1 == lim)
				return 0;
			if (p[i + 1] != '\n')
				return fail(r, 400, "bare CR");
			*end = i;
			*at = i + 2;
			return 1;
		}
		if (p[i] == '\n')
			return fail(r, 400, "bare LF");
		if (p[i] == '\0')
			return fail(r, 400, "NUL byte");
		if (i - *at >= max)
			return fail(r, 414, "request line too long");
	}
	return 0;
}

/* Out of bytes: wait for more, unless the cap is what we ran into. */
static int
more(int rc, size_t lim, struct http_req *r)
{
	if (rc < 0)
		return rc;
	return lim == HTTP_MAXHEAD ? fail(r, 431, "request head too large") : 0;
}

/* The next element of a comma-separated list in [*s, e), OWS trimmed; 0 at
 * its end.  Empty elements are skipped, as RFC 9110 §5.6.1 asks. */
static int
element(const char **s, const char *e, const char **el, size_t *len)
{
	while (*s < e) {
		const char *a = *s, *c = memchr(a, ',', (size_t)(e - a));

		if (!c)
			c = e;
		*s = c < e ? c + 1 : e;
		while (a < c && ows(*a))
			a++;
		while (c > a && ows(c[-1]))
			c--;
		if (c > a) {
			*el = a;
			*len = (size_t)(c - a);
			return 1;
		}
	}
	return 0;
}

static int
version(const char *v, size_t n, struct http_req *r)
{
	if (n != 8 || memcmp(v, "HTTP/", 5) || !digit(v[5]) || v[6] != '.' || !digit(v[7]))
		return fail(r, 400, "malformed HTTP version");
	if (v[5] != '1' || v[7] > '1')
		return fail(r, 505, "HTTP version not supported");
	r->minor = v[7] - '0';
	return 0;
}

/* method SP request-target SP HTTP-version, exactly one SP each. */
static int
request_line(const char *l, size_t n, struct http_req *r)
{
	const char *q;
	size_t i = 0, t;

	while (i < n && tchar(l[i]))
		i++;
	if (i == 0 || i == n || l[i] != ' ')
		return fail(r, 400, "malformed method");
	r->method = l;
	r->mlen = i;
	for (t = ++i; i < n && (unsigned char)l[i] > 0x20 && (unsigned char)l[i] < 0x7f; i++)
		;
	if (i == t || i == n || l[i] != ' ')
		return fail(r, 400, "malformed request target");
	r->target = r->path = l + t;
	r->tlen = r->plen = i - t;
	/* absolute-form would make the gateway a proxy; authority-form is CONNECT's */
	if (l[t] != '/' && !(r->tlen == 1 && l[t] == '*'))
		return fail(r, 400, "request target not in origin form");
	if ((q = memchr(r->target, '?', r->tlen))) {
		r->plen = (size_t)(q - r->target);
		r->query = q + 1;
		r->qlen = r->tlen - r->plen - 1;
	}
	return version(l + i + 1, n - i - 1, r);
}

static int
content_length(const struct http_field *f, struct http_req *r)
{
	size_t i;

	/* even an equal second one: RFC 9112 lets us merge it, but refusing is safer */
	if (r->length >= 0)
		return fail(r, 400, "repeated Content-Length");
	if (f->vlen == 0 || f->vlen > 18)
		return fail(r, 400, "malformed Content-Length");
	r->length = 0;
	for (i = 0; i < f->vlen; i++) {
		if (!digit(f->value[i]))
			return fail(r, 400, "malformed Content-Length");
		r->length = r->length * 10 + (f->value[i] - '0');
	}
	return 0;
}

/* uri-host [ ":" port ], loosely: no byte that could end or re-aim a URL. */
static int
host(const struct http_field *f, struct http_req *r, struct seen *sn)
{
	size_t i;

	if (sn->host++)
		return fail(r, 400, "repeated Host");
	for (i = 0; i < f->vlen; i++)
		if (!digit(f->value[i]) && !alpha(f->value[i]) &&
		    !in("-._~%!$&'()*+,;=:[]", f->value[i]))
			return fail(r, 400, "malformed Host");
	return 0;
}

static void
codings(const struct http_field *f, struct seen *sn)
{
	const char *s = f->value, *el;
	size_t len;

	sn->te = 1;
	while (element(&s, f->value + f->vlen, &el, &len)) {
		sn->last_chunked = ieq(el, len, "chunked");
		if (sn->last_chunked)
			sn->chunked++;
		else
			sn->other_coding = 1;
	}
}

static void
connection(const struct http_field *f, struct seen *sn)
{
	const char *s = f->value, *el;
	size_t len;

	while (element(&s, f->value + f->vlen, &el, &len)) {
		if (ieq(el, len, "close"))
			sn->close = 1;
		else if (ieq(el, len, "keep-alive"))
			sn->keep = 1;
	}
}

/* A field line: name ":" OWS value OWS, nothing folded, no control bytes. */
static int
field(const char *l, size_t n, struct http_req *r, struct seen *sn)
{
	struct http_field *f;
	size_t i = 0, colon, vs, ve;

	if (ows(l[0]))
		return fail(r, 400, "obsolete line folding");
	while (i < n && tchar(l[i]))
		i++;
	if (i == 0 || i == n || l[i] != ':')
		return fail(r, 400, "malformed header field");
	colon = i;
	for (vs = i + 1; vs < n && ows(l[vs]); vs++)
		;
	for (ve = n; ve > vs && ows(l[ve - 1]); ve--)
		;
	for (i = vs; i < ve; i++)
		if (!vbyte(l[i]))
			return fail(r, 400, "control byte in a header value");
	if (r->nh == HTTP_MAXHEADERS)
		return fail(r, 431, "too many header fields");
	f = &r->h[r->nh++];
	f->name = l;
	f->nlen = colon;
	f->value = l + vs;
	f->vlen = ve - vs;
	if (ieq(f->name, f->nlen, "content-length"))
		return content_length(f, r);
	if (ieq(f->name, f->nlen, "host"))
		return host(f, r, sn);
	if (ieq(f->name, f->nlen, "transfer-encoding"))
		codings(f, sn);
	else if (ieq(f->name, f->nlen, "connection"))
		connection(f, sn);
	else if (ieq(f->name, f->nlen, "expect")) {
		if (ieq(f->value, f->vlen, "100-continue"))
			sn->cont = 1;
		else
			sn->other_expect = 1;
	}
	return 0;
}

/* The blank line: judge what only the whole head can tell. */
static int
head_done(struct http_req *r, const struct seen *sn)
{
	if (r->minor == 1 && !sn->host)
		return fail(r, 400, "no Host");
	if (sn->te) {
		if (r->length >= 0)
			return fail(r, 400, "both Transfer-Encoding and Content-Length");
		if (r->minor == 0)   /* RFC 9112 §6.1: faulty framing */
			return fail(r, 400, "Transfer-Encoding in an HTTP/1.0 request");
		if (sn->chunked != 1 || !sn->last_chunked)
			return fail(r, 400, "chunked is not the final transfer coding, once");
		if (sn->other_coding)
			return fail(r, 501, "transfer coding not implemented");
		return fail(r, 411,
		    "chunked request bodies are not supported: send Content-Length");
	}
	if (sn->other_expect)
		return fail(r, 417, "unsupported expectation");
	r->expect_continue = sn->cont && r->minor == 1;
	r->keepalive = !sn->close && (r->minor == 1 || sn->keep);
	return 0;
}

int
http_parse(const char *p, size_t n, struct http_req *r)
{
	size_t lim = n < HTTP_MAXHEAD ? n : HTTP_MAXHEAD, at = 0, s, e;
	struct seen sn;
	int blank, rc;

	memset(r, 0, sizeof *r);
	memset(&sn, 0, sizeof sn);
	r->length = -1;
	for (blank = 0;; blank++) {      /* RFC 9112 §2.2: some clients send CRLF after a body */
		s = at;
		if ((rc = line(p, lim, &at, &e, HTTP_MAXLINE, r)) <= 0)
			return more(rc, lim, r);
		if (e > s)
			break;
		if (blank == 4)
			return fail(r, 400, "too many empty lines before the request");
	}
	if ((rc = request_line(p + s, e - s, r)) < 0)
		return rc;
	for (;;) {
		s = at;
		if ((rc = line(p, lim, &at, &e, HTTP_MAXHEAD, r)) <= 0)
			return more(rc, lim, r);
		if (e == s)
			return (rc = head_done(r, &sn)) < 0 ? rc : (int)at;
		if ((rc = field(p + s, e - s, r, &sn)) < 0)
			return rc;
	}
}

const char *
http_header(const struct http_req *r, const char *name, size_t *vlen)
{
	int i;

	for (i = 0; i < r->nh; i++)
		if (ieq(r->h[i].name, r->h[i].nlen, name)) {
			if (vlen)
				*vlen = r->h[i].vlen;
			return r->h[i].value;
		}
	return NULL;
}

const char *
http_reason(int status)
{
	static const struct {
		int status;
		const char *reason;
	} t[] = {
		{ 100, "Continue" }, { 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
		{ 204, "No Content" }, { 301, "Moved Permanently" }, { 302, "Found" },
		{ 304, "Not Modified" }, { 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 403, "Forbidden" }, { 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 408, "Request Timeout" }, { 409, "Conflict" }, { 411, "Length Required" },
		{ 413, "Content Too Large" }, { 414, "URI Too Long" },
		{ 415, "Unsupported Media Type" }, { 417, "Expectation Failed" },
		{ 422, "Unprocessable Content" }, { 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" }, { 500, "Internal Server Error" },
		{ 501, "Not Implemented" }, { 502, "Bad Gateway" }, { 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" }, { 505, "HTTP Version Not Supported" },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].status == status)
			return t[i].reason;
	return "Unknown";
}
