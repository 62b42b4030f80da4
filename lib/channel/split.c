/* split: find the longest prefix within the limit, then walk back to the best
 * boundary in its second half: a blank line, a line end, a sentence end, a space. */
#include "base/utf8.h"
#include "channel/split.h"

/* One character's length at s (an invalid byte counts as one, as the service
 * would see U+FFFD), and its UTF-16 units. */
static size_t
char_at(const char *s, size_t n, size_t *units)
{
	size_t l = utf8_char(s, n);

	if (l == 0)
		l = 1;
	*units = l == 4 ? 2 : 1;
	return l;
}

size_t
split_units(const char *s, size_t n)
{
	size_t i = 0, u = 0, cu;

	while (i < n) {
		i += char_at(s + i, n - i, &cu);
		u += cu;
	}
	return u;
}

/* Blank space a cut may drop (never a NUL, which strchr would call one). */
static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
sentence_end(const char *s, size_t i)
{
	return (s[i] == '.' || s[i] == '!' || s[i] == '?') && (s[i + 1] == ' ' || s[i + 1] == '\n');
}

size_t
split_next(const char *s, size_t n, size_t max, size_t *skip)
{
	size_t i = 0, u = 0, cu, l, half, cut = 0, k;
	int kind;

	*skip = 0;
	while (i < n) {
		l = char_at(s + i, n - i, &cu);
		if (u + cu > max)
			break;
		i += l;
		u += cu;
	}
	if (i >= n)
		return n;
	/* The best boundary in [half, i): 4 blank line, 3 line, 2 sentence, 1 space. */
	half = i / 2;
	for (kind = 4; kind >= 1 && !cut; kind--)
		for (k = i; k > half && !cut; k--) {
			const char *c = s + k - 1;
			if ((kind == 4 && k >= 2 && c[0] == '\n' && c[-1] == '\n')
			    || (kind == 3 && c[0] == '\n')
			    || (kind == 2 && k < n && sentence_end(s, k - 1))
			    || (kind == 1 && (c[0] == ' ' || c[0] == '\t')))
				cut = k;
		}
	if (!cut)
		cut = i;                      /* no boundary: between two characters */
	while (cut + *skip < n && blank(s[cut + *skip]))
		(*skip)++;
	/* The part itself without the blank space it ends with. */
	while (cut > 1 && blank(s[cut - 1]))
		cut--, (*skip)++;
	return cut;
}
