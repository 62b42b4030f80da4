/* buf: a growable byte buffer: pointer, length and capacity, always NUL-terminated. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/utf8.h"

int
buf_grow(struct buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return -1;
	if (extra > (size_t)-1 / 2 - b->len - 1)
		goto fail;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	for (cap = b->cap ? b->cap : 64; cap < need; cap *= 2)
		;
	if (!(p = realloc(b->p, cap)))
		goto fail;
	b->p = p;
	b->cap = cap;
	b->p[b->len] = '\0';     /* "always NUL-terminated", from the first allocation on */
	return 0;
fail:
	b->oom = 1;
	return -1;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) < 0)
		return;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }
void buf_addc(struct buf *b, char c) { buf_add(b, &c, 1); }

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_grow(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_add_json_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, len;

	buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': buf_add(b, "\\\"", 2); break;
		case '\\': buf_add(b, "\\\\", 2); break;
		case '\n': buf_add(b, "\\n", 2); break;
		case '\r': buf_add(b, "\\r", 2); break;
		case '\t': buf_add(b, "\\t", 2); break;
		default:
			if (c < 0x20 || c == 0x7f) {
				char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
				buf_add(b, e, 6);
			} else if (c < 0x80)
				buf_addc(b, (char)c);
			else if ((len = utf8_char(s + i, n - i)) > 0) {
				buf_add(b, s + i, len);
				i += len - 1;
			} else
				buf_add(b, "\xef\xbf\xbd", 3);   /* U+FFFD: the byte is no UTF-8 */
		}
	}
	buf_addc(b, '"');
}

void
buf_add_json_lines(struct buf *b, const char *lines)
{
	const char *p = lines ? lines : "";

	buf_addc(b, '[');
	while (*p) {
		size_t n = strcspn(p, "\n");
		if (p != lines)
			buf_addc(b, ',');
		buf_add_json_str(b, p, n);
		p += n + (p[n] == '\n');
	}
	buf_addc(b, ']');
}

void
buf_add_netstring(struct buf *b, const char *s, size_t n)
{
	char d[24];
	size_t i = sizeof d, v = n;

	/* The length by hand: buf_printf for each was a tenth of a skill list from its
	 * copy. */
	d[--i] = ':';
	do
		d[--i] = (char)('0' + v % 10);
	while (v /= 10);
	buf_add(b, d + i, sizeof d - i);
	buf_add(b, s, n);
	buf_addc(b, ',');
}

int
netstring_next(const char **p, const char *end, const char **s, size_t *n)
{
	const char *q = *p;
	size_t len = 0;

	if (q >= end || !isdigit((unsigned char)*q) || (*q == '0' && q + 1 < end && q[1] != ':'))
		return -1;
	for (; q < end && isdigit((unsigned char)*q); q++)
		if ((len = len * 10 + (size_t)(*q - '0')) > (size_t)(end - q))
			return -1;       /* longer than what is left: and never overflows */
	if (q >= end || *q++ != ':' || len >= (size_t)(end - q) || q[len] != ',')
		return -1;
	*s = q;
	*n = len;
	*p = q + len + 1;
	return 0;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->p, b->p + n, b->len - n);
		b->len -= n;
	}
	if (b->p)
		b->p[b->len] = '\0';
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

char *
buf_steal(struct buf *b)
{
	char *p;

	if (b->oom) {
		buf_free(b);
		return NULL;
	}
	p = b->p ? b->p : strdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}
