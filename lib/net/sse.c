/* sse: the WHATWG EventSource stream grammar, byte by byte, for bytes that arrive
 * cut anywhere.  Complete lines are parsed in place; only a partial line is copied. */
#include <string.h>

#include "net/sse.h"
#include "base/utf8.h"

/* s->cr before the first byte: a UTF-8 BOM may open the stream and may itself be cut
 * across feeds.  The header has no other room for that one bit of state; cr is free then. */
#define AT_START 2

static const char bom[] = "\xef\xbb\xbf";

void
sse_init(struct sse *s, sse_fn *fn, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->cr = AT_START;
	s->fn = fn;
	s->ctx = ctx;
}

void
sse_free(struct sse *s)
{
	buf_free(&s->line);
	buf_free(&s->data);
}

static int
fail(struct sse *s)
{
	s->failed = 1;
	return -1;
}

/* An empty line: hand over the event if it has data.  Either way the next one
 * starts afresh, with the default name (the spec resets the type buffer too). */
static int
dispatch(struct sse *s)
{
	int r = 0;

	if (s->has_data) {
		/* Every data line appended a '\n'; the last one is a separator, not data. */
		s->data.p[--s->data.len] = '\0';
		if (s->fn)
			r = s->fn(s->event[0] ? s->event : "message", s->data.p, s->data.len,
			    s->ctx);
	}
	buf_reset(&s->data);
	s->has_data = 0;
	s->event[0] = '\0';
	return r;
}

/* One line without its end, l[0..n). */
static int
line(struct sse *s, const char *l, size_t n)
{
	const char *colon, *v;
	size_t flen, vlen;

	if (n == 0)
		return dispatch(s);
	if (l[0] == ':')
		return 0;       /* a comment: keep-alives */
	if ((colon = memchr(l, ':', n))) {
		flen = colon - l;
		v = colon + 1;
		vlen = n - flen - 1;
		if (vlen && *v == ' ') {
			v++;
			vlen--;
		}
	} else {
		flen = n;       /* "data" alone is a data line with an empty value */
		v = "";
		vlen = 0;
	}
	if (flen == 4 && memcmp(l, "data", 4) == 0) {
		buf_add(&s->data, v, vlen);
		buf_addc(&s->data, '\n');
		if (s->data.oom)
			return fail(s);
		s->has_data = 1;
	} else if (flen == 5 && memcmp(l, "event", 5) == 0) {
		/* Cut a long name at a character boundary, never inside one. */
		if (vlen > sizeof(s->event) - 1)
			vlen = utf8_complete(v, sizeof(s->event) - 1);
		memcpy(s->event, v, vlen);
		s->event[vlen] = '\0';
	}
	/* id, retry and anything else: nothing a client of a model provider needs. */
	return 0;
}

/* At stream start, swallow a BOM, holding a cut one in s->line until it is whole.
 * 1 while all bytes so far may still be one, 0 once decided (*used bytes of p taken), -1. */
static int
skip_bom(struct sse *s, const char *p, size_t n, size_t *used)
{
	size_t i = 0;

	while (i < n && s->line.len < 3 && p[i] == bom[s->line.len])
		buf_addc(&s->line, p[i++]);
	if (s->line.oom)
		return fail(s);
	if (s->line.len == 3)
		buf_reset(&s->line);
	else if (i == n)
		return 1;
	/* Otherwise the held bytes were no BOM but the start of the first line. */
	s->cr = 0;
	*used = i;
	return 0;
}

int
sse_feed(struct sse *s, const char *p, size_t n)
{
	const char *end = p + n, *lf = NULL, *cr = NULL, *eol;
	size_t len, used;
	int r;

	if (s->failed)
		return -1;
	if (n == 0)
		return 0;
	if (s->cr == AT_START) {
		if ((r = skip_bom(s, p, n, &used)) != 0)
			return r < 0 ? -1 : 0;
		p += used;
	}
	/* The '\n' of a "\r\n" cut between two feeds ends no second line. */
	if (s->cr && p < end && *p == '\n')
		p++;
	s->cr = 0;

	while (p < end) {
		/* Remember where the next '\n' and '\r' are, so a stream of bare-CR lines
		 * costs one scan for '\n', not one per line. */
		if ((!lf || lf < p) && !(lf = memchr(p, '\n', end - p)))
			lf = end;
		if ((!cr || cr < p) && !(cr = memchr(p, '\r', end - p)))
			cr = end;
		eol = lf < cr ? lf : cr;
		len = eol - p;
		if (s->line.len + len > SSE_MAXLINE)
			return fail(s);
		if (eol == end) {
			buf_add(&s->line, p, len);
			return s->line.oom ? fail(s) : 0;
		}
		if (s->line.len) {
			buf_add(&s->line, p, len);
			if (s->line.oom)
				return fail(s);
			r = line(s, s->line.p, s->line.len);
			buf_reset(&s->line);
		} else
			r = line(s, p, len);
		p = eol + 1;
		if (*eol == '\r') {
			if (p < end && *p == '\n')
				p++;
			else if (p == end)
				s->cr = 1;
		}
		if (r)
			return r;
	}
	return 0;
}
