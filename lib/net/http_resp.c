/* http_resp: strict about framing (one Content-Length, no length with chunked, sizes
 * in hex without overflow), lenient only where RFC 9112 asks a client to be. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "net/http_resp.h"

enum { S_STATUS, S_HEADER, S_BODY, S_EOFBODY, S_CHUNKSIZE, S_CHUNKDATA, S_CHUNKEND, S_TRAILER,
    S_DONE };

void
http_resp_init(struct http_resp *h, http_resp_body_fn *fn, void *ctx)
{
	memset(h, 0, sizeof *h);
	h->retry_after = -1;
	h->length = -1;
	h->body = fn;
	h->ctx = ctx;
}

void
http_resp_free(struct http_resp *h)
{
	buf_free(&h->line);
}

static int
bad(struct http_resp *h, const char *why)
{
	snprintf(h->error, sizeof h->error, "malformed HTTP response: %s", why);
	return -1;
}

/* Retry-After: delta-seconds or an HTTP-date. */
static long
retry_after(const char *v)
{
	struct tm tm;
	char *end;
	long n;

	if (isdigit((unsigned char)*v)) {
		n = strtol(v, &end, 10);
		return *end == '\0' && n >= 0 && n < 86400 * 7 ? n : -1;
	}
	memset(&tm, 0, sizeof tm);
	if ((end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm)) && *end == '\0') {
		time_t t = timegm(&tm) - time(NULL);
		return t < 0 ? 0 : t > 86400 * 7 ? -1 : (long)t;
	}
	return -1;
}

static int
header(struct http_resp *h, char *line)
{
	char *colon = strchr(line, ':'), *v, *end;

	if (!colon || colon == line || strchr(" \t", colon[-1]))
		return bad(h, "bad header line");
	*colon = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (strcasecmp(line, "content-length") == 0) {
		long long n;
		char *e;
		if (!isdigit((unsigned char)*v) || strlen(v) > 15)
			return bad(h, "bad Content-Length");
		n = strtoll(v, &e, 10);
		if (*e || (h->length >= 0 && h->length != n))
			return bad(h, "bad or repeated Content-Length");
		h->length = n;
	} else if (strcasecmp(line, "transfer-encoding") == 0) {
		if (strcasecmp(v, "chunked"))
			return bad(h, "unsupported Transfer-Encoding");
		h->chunked = 1;
	} else if (strcasecmp(line, "retry-after") == 0) {
		h->retry_after = retry_after(v);
	}
	if (h->header && h->status >= 200)      /* not a 100 Continue's */
		h->header(line, v, h->ctx);
	return 0;
}

/* The head is complete: choose how the body is framed. */
static int
head_done(struct http_resp *h)
{
	/* 100 Continue and friends: another head follows. */
	if (h->status >= 100 && h->status < 200) {
		long ra = h->retry_after;
		http_resp_body_fn *fn = h->body;
		http_resp_header_fn *hfn = h->header;
		void *ctx = h->ctx;
		struct buf line = h->line;
		size_t headlen = h->headlen;
		http_resp_init(h, fn, ctx);
		h->header = hfn;
		h->line = line;
		h->headlen = headlen;
		h->retry_after = ra;
		return 0;
	}
	if (h->chunked && h->length >= 0)
		return bad(h, "both Content-Length and chunked");
	if (h->status == 204 || h->status == 304)
		h->state = S_DONE;
	else if (h->chunked)
		h->state = S_CHUNKSIZE;
	else if (h->length >= 0)
		h->state = (h->left = h->length) ? S_BODY : S_DONE;
	else
		h->state = S_EOFBODY;
	return 0;
}

static int
status_line(struct http_resp *h, const char *line)
{
	if (strncmp(line, "HTTP/1.", 7) || !isdigit((unsigned char)line[7]) || line[8] != ' '
	    || !isdigit((unsigned char)line[9]) || !isdigit((unsigned char)line[10])
	    || !isdigit((unsigned char)line[11]) || (line[12] != ' ' && line[12] != '\0'))
		return bad(h, "bad status line");
	h->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
	if (h->status < 100)
		return bad(h, "bad status code");
	h->state = S_HEADER;
	return 0;
}

static int
chunk_size(struct http_resp *h, const char *line)
{
	long long n = 0;
	const char *s = line;

	if (!isxdigit((unsigned char)*s))
		return bad(h, "bad chunk size");
	for (; isxdigit((unsigned char)*s); s++) {
		if (n > (1LL << 40))
			return bad(h, "chunk too large");
		n = n * 16 + (isdigit((unsigned char)*s) ? *s - '0' :
		    tolower((unsigned char)*s) - 'a' + 10);
	}
	if (*s && *s != ';' && *s != ' ' && *s != '\t')
		return bad(h, "bad chunk size");
	h->left = n;
	h->state = n ? S_CHUNKDATA : S_TRAILER;
	return 0;
}

/* One line of the head, a chunk size or a trailer, without its CRLF. */
static int
line(struct http_resp *h, char *l)
{
	switch (h->state) {
	case S_STATUS: return status_line(h, l);
	case S_HEADER: return *l ? header(h, l) : head_done(h);
	case S_CHUNKSIZE: return chunk_size(h, l);
	case S_CHUNKEND:
		if (*l)
			return bad(h, "no CRLF after chunk");
		h->state = S_CHUNKSIZE;
		return 0;
	case S_TRAILER:
		if (!*l)
			h->state = S_DONE;
		return 0;
	}
	return bad(h, "internal state");
}

static int
lined(int state)
{
	return state == S_STATUS || state == S_HEADER || state == S_CHUNKSIZE || state == S_CHUNKEND
	    || state == S_TRAILER;
}

int
http_resp_feed(struct http_resp *h, const char *p, size_t n)
{
	const char *end = p + n;

	while (p < end) {
		/* Bytes after a complete response are ignored (we sent Connection: close). */
		if (h->state == S_DONE)
			return 1;
		if (lined(h->state)) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t take = nl ? (size_t)(nl - p) : (size_t)(end - p);
			if (h->state <= S_HEADER &&
			    (h->headlen += take + (nl != NULL)) > HTTP_RESP_MAXHEAD)
				return bad(h, "head too large");
			if (h->line.len + take > HTTP_RESP_MAXHEAD)
				return bad(h, "line too long");
			if (memchr(p, '\0', take))
				return bad(h, "NUL byte");
			buf_add(&h->line, p, take);
			if (h->line.oom)
				return bad(h, "out of memory");
			p += take;
			if (!nl)
				break;
			p++;
			if (h->line.len && h->line.p[h->line.len - 1] == '\r')
				h->line.p[--h->line.len] = '\0';
			if (line(h, h->line.p ? h->line.p : (char *)"") < 0)
				return -1;
			buf_reset(&h->line);
			continue;
		}
		{
			size_t take = (size_t)(end - p);
			if (h->state != S_EOFBODY && (long long)take > h->left)
				take = (size_t)h->left;
			if (h->body && h->body(p, take, h->ctx))
				return 2;
			p += take;
			if (h->state == S_EOFBODY)
				continue;
			if ((h->left -= (long long)take) == 0)
				h->state = h->state == S_BODY ? S_DONE : S_CHUNKEND;
		}
	}
	return h->state == S_DONE ? 1 : 0;
}

int
http_resp_eof(struct http_resp *h)
{
	if (h->state == S_DONE || h->state == S_EOFBODY)
		return h->state = S_DONE, 1;
	snprintf(h->error, sizeof h->error,
	    h->state <= S_HEADER ? "connection closed before the response head"
	    : "transfer closed with outstanding read data remaining");
	return -1;
}
