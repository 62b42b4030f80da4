/* json: an iterative validator; the only state is a stack of open containers. */
#include <stdio.h>
#include <string.h>

#include "json.h"

struct scan {
	const unsigned char *p, *end, *start;
	char *why;
	size_t whylen;
};

static int
bad(struct scan *s, const char *what)
{
	snprintf(s->why, s->whylen, "malformed JSON at byte %zu: %s", (size_t)(s->p - s->start), what);
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
		if (len == klen && memcmp(k, key, klen) == 0) {
			const unsigned char *start = s.p;
			skip_value(&s);
			while (s.p > start && strchr(" \t\r\n", s.p[-1]))
				s.p--;
			*v = (const char *)start;
			*vn = (size_t)(s.p - start);
			return 1;
		}
		skip_value(&s);
		ws(&s);
		if (s.p >= s.end || *s.p != ',')
			return 0;
		s.p++;
	}
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
