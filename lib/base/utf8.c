/* utf8: strict validation (no overlongs, no surrogates, nothing past U+10FFFF). */
#include "base/utf8.h"

/* Length of the sequence starting with lead byte c, or 0 when c cannot start one. */
static int
seqlen(unsigned char c)
{
	if (c < 0x80) return 1;
	if (c >= 0xc2 && c <= 0xdf) return 2;
	if (c >= 0xe0 && c <= 0xef) return 3;
	if (c >= 0xf0 && c <= 0xf4) return 4;
	return 0;
}

static int
cont_ok(const unsigned char *p, int len)
{
	int i;

	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if (len == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f)))
		return 0;
	if (len == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f)))
		return 0;
	return 1;
}

int
utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		size_t len = utf8_char((const char *)p, (size_t)(end - p));
		if (!len)
			return 0;
		p += len;
	}
	return 1;
}

size_t
utf8_char(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	int len = n ? seqlen(*p) : 0;

	return len && (size_t)len <= n && cont_ok(p, len) ? (size_t)len : 0;
}

size_t
utf8_complete(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = n, back;

	/* Walk back over at most three continuation bytes to the last lead byte. */
	for (back = 0; i > 0 && back < 4; back++) {
		unsigned char c = p[--i];
		if ((c & 0xc0) != 0x80) {
			int len = seqlen(c);
			return (len && (size_t)len > n - i) ? i : n;
		}
	}
	return n;
}
