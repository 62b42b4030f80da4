/* json: an iterative validator; the only state is a stack of open containers. */
#include <stdio.h>
#include <string.h>

#include "base/json.h"

struct scan {
	const unsigned char *p, *end, *start;
	char *why;
	size_t whylen;
};

static int
bad(struct scan *s, const char *what)
{
	snprintf(s->why, s->whylen, "malformed JSON at byte %zu: %s", (size_t)(s->p - s->start),
	    what);
	return 0;
}

static void
ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
string(struct scan *s)
{
	s->p++;    /* the opening quote */
	while (s->p < s->end) {
		unsigned char c = *s->p++;
		if (c == '"')
			return 1;
		if (c < 0x20)
			return s->p--, bad(s, "control character in a string");
		if (c != '\\')
			continue;
		if (s->p >= s->end)
			break;
		c = *s->p++;
		if (c == 'u') {
			int i;
			for (i = 0; i < 4; i++)
				if (s->p >= s->end || !hex(*s->p++))
					return bad(s, "bad \\u escape");
		} else if (!strchr("\"\\/bfnrt", c) || c == '\0')
			return s->p--, bad(s, "bad escape");
	}
	return bad(s, "unterminated string");
}

static int
digits(struct scan *s)
{
	const unsigned char *q = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > q;
}

static int
number(struct scan *s)
{
	if (*s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (!digits(s))
		return bad(s, "bad number");
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!digits(s))
			return bad(s, "bad fraction");
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!digits(s))
			return bad(s, "bad exponent");
	}
	return 1;
}

static int
literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
		return bad(s, "unexpected character");
	s->p += n;
	return 1;
}

/* An object member's "key" and its colon. */
static int
key(struct scan *s)
{
	ws(s);
	if (s->p >= s->end || *s->p != '"')
		return bad(s, "expected a key");
	if (!string(s))
		return 0;
	ws(s);
	if (s->p >= s->end || *s->p != ':')
		return bad(s, "expected ':'");
	s->p++;
	return 1;
}

int
json_valid(const char *text, size_t n, char *why, size_t whylen)
{
	struct scan s = { (const unsigned char *)text, (const unsigned char *)text + n,
	    (const unsigned char *)text, why, whylen };
	char stack[JSON_MAXDEPTH];
	int depth = 0;

	for (;;) {
		/* A value is expected here. */
		ws(&s);
		if (s.p >= s.end)
			return bad(&s, "unexpected end");
		switch (*s.p) {
		case '{': case '[':
			if (depth == JSON_MAXDEPTH)
				return bad(&s, "nested too deep");
			stack[depth++] = (char)*s.p++;
			ws(&s);
			if (s.p < s.end && *s.p == (stack[depth - 1] == '{' ? '}' : ']')) {
				s.p++;
				depth--;
				break;
			}
			if (stack[depth - 1] == '{' && !key(&s))
				return 0;
			continue;
		case '"': if (!string(&s)) return 0; break;
		case 't': if (!literal(&s, "true")) return 0; break;
		case 'f': if (!literal(&s, "false")) return 0; break;
		case 'n': if (!literal(&s, "null")) return 0; break;
		default:
			if (*s.p != '-' && (*s.p < '0' || *s.p > '9'))
				return bad(&s, "unexpected character");
			if (!number(&s))
				return 0;
		}
		/* After a value: close containers, or a comma and the next member. */
		for (;;) {
			ws(&s);
			if (depth == 0) {
				if (s.p != s.end)
					return bad(&s, "text after the value");
				return 1;
			}
			if (s.p >= s.end)
				return bad(&s, "unexpected end");
			if (*s.p == (stack[depth - 1] == '{' ? '}' : ']')) {
				s.p++;
				depth--;
				continue;
			}
			if (*s.p != ',')
				return bad(&s, "expected ',' or a closing bracket");
			s.p++;
			if (stack[depth - 1] == '{' && !key(&s))
				return 0;
			break;
		}
	}
}

/* Skip one valid value starting at s->p (the text was checked by json_valid). */
static void
skip_value(struct scan *s)
{
	int depth = 0;

	do {
		ws(s);
		switch (*s->p) {
		case '{': case '[': depth++; s->p++; break;
		case '}': case ']': depth--; s->p++; break;
		case ',': case ':': s->p++; break;
		case '"': string(s); break;
		default:
			while (s->p < s->end && !strchr(",:]} \t\r\n", *s->p))
				s->p++;
		}
		ws(s);
		/* Inside a container, keep going through its members. */
	} while (depth > 0 && s->p < s->end);
}

/* The value at s->p, without the whitespace after it; s->p ends past it. */
static void
take_value(struct scan *s, const char **v, size_t *vn)
{
	const unsigned char *start = s->p;

	skip_value(s);
	*v = (const char *)start;
	*vn = (size_t)(s->p - start);
	while (*vn && strchr(" \t\r\n", start[*vn - 1]))
		(*vn)--;
}

int
json_member(const char *text, size_t n, const char *key, const char **v, size_t *vn)
{
	char why[8];
	struct scan s = { (const unsigned char *)text, (const unsigned char *)text + n,
	    (const unsigned char *)text, why, sizeof why };
	size_t klen = strlen(key);

	ws(&s);
	if (s.p >= s.end || *s.p != '{')
		return 0;
	s.p++;
	for (;;) {
		const unsigned char *k;
		size_t len;
		ws(&s);
		if (s.p >= s.end || *s.p != '"')
			return 0;
		k = s.p + 1;
		if (!string(&s))
			return 0;
		len = (size_t)(s.p - 1 - k);
		ws(&s);
		if (s.p >= s.end || *s.p++ != ':')
			return 0;
		ws(&s);
		if (len == klen && memcmp(k, key, klen) == 0)
			return take_value(&s, v, vn), 1;
		skip_value(&s);
		ws(&s);
		if (s.p >= s.end || *s.p != ',')
			return 0;
		s.p++;
	}
}

int
json_array_next(const char *text, size_t n, size_t *off, const char **v, size_t *vn)
{
	char why[8];
	struct scan s = { (const unsigned char *)text + *off, (const unsigned char *)text + n,
	    (const unsigned char *)text, why, sizeof why };

	ws(&s);
	if (s.p >= s.end || *s.p != (*off == 0 ? '[' : ','))
		return 0;   /* not an array, or its closing bracket */
	s.p++;
	ws(&s);
	if (s.p >= s.end || *s.p == ']')
		return 0;
	take_value(&s, v, vn);
	*off = (size_t)(s.p - s.start);
	return 1;
}

int
json_member_str(const char *p, size_t n, const char *key, char *dst, size_t dstlen)
{
	const char *v;
	size_t vn;

	if (!json_member(p, n, key, &v, &vn) || vn < 2 || v[0] != '"' || memchr(v, '\\', vn)
	    || vn - 2 >= dstlen)
		return 0;
	memcpy(dst, v + 1, vn - 2);
	dst[vn - 2] = '\0';
	return 1;
}

int
json_member_text(const char *p, size_t n, const char *key, struct buf *out)
{
	const char *v;
	size_t vn;

	if (!json_member(p, n, key, &v, &vn) || (vn == 4 && memcmp(v, "null", 4) == 0))
		return 0;
	return json_str_decode(v, vn, out) ? 1 : -1;
}

static void
put_utf8(struct buf *out, unsigned long c)
{
	char u[4];
	size_t n;

	if (c < 0x80) {
		u[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xc0 | c >> 6);
		u[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xe0 | c >> 12);
		u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | c >> 18);
		u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	buf_add(out, u, n);
}

static long
hex4(const char *p)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];
		v = v * 16 + (c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		    : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1000000);
	}
	return v < 0 ? -1 : v;
}

int
json_str_decode(const char *v, size_t vn, struct buf *out)
{
	const char *p = v + 1, *end = v + vn - 1;

	if (vn < 2 || v[0] != '"' || v[vn - 1] != '"')
		return 0;
	while (p < end) {
		const char *bs = memchr(p, '\\', (size_t)(end - p));
		if (!bs) {
			buf_add(out, p, (size_t)(end - p));
			break;
		}
		buf_add(out, p, (size_t)(bs - p));
		if (bs + 1 >= end)
			return 0;
		switch (bs[1]) {
		case 'n': buf_addc(out, '\n'); break;
		case 't': buf_addc(out, '\t'); break;
		case 'r': buf_addc(out, '\r'); break;
		case 'b': buf_addc(out, '\b'); break;
		case 'f': buf_addc(out, '\f'); break;
		case '/': case '\\': case '"': buf_addc(out, bs[1]); break;
		case 'u': {
			long c, lo;
			if (end - bs < 6 || (c = hex4(bs + 2)) < 0)
				return 0;
			p = bs + 6;
			if (c >= 0xd800 && c < 0xdc00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u'
			    && (lo = hex4(p + 2)) >= 0xdc00 && lo < 0xe000) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			} else if (c >= 0xd800 && c < 0xe000)
				c = 0xfffd;     /* a lone surrogate */
			put_utf8(out, (unsigned long)c);
			continue;
		}
		default:
			return 0;
		}
		p = bs + 2;
	}
	return !out->oom;
}

void
json_compact(const char *v, size_t vn, struct buf *out)
{
	const char *p = v, *end = v + vn;
	int in_str = 0;

	for (; p < end; p++) {
		if (in_str) {
			buf_addc(out, *p);
			if (*p == '\\' && p + 1 < end)
				buf_addc(out, *++p);
			else if (*p == '"')
				in_str = 0;
		} else if (*p == '"') {
			in_str = 1;
			buf_addc(out, *p);
		} else if (!strchr(" \t\r\n", *p))
			buf_addc(out, *p);
	}
}
