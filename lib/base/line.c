/* line: one line from a stream with a length cap; what lies past the cap is read
 * and dropped, so a single huge line costs no memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/line.h"

int
line_read(FILE *in, size_t maxline, char **line, size_t *len, size_t *cap, int *toolong)
{
	int c;

	*len = 0;
	*toolong = 0;
	for (;;) {
		c = getc_unlocked(in);
		if (c == EOF) {
			if (ferror(in))
				return -1;
			return *len > 0 || *toolong ? 1 : 0;
		}
		if (c == '\n')
			break;
		if (*len >= maxline) {
			*toolong = 1;
			continue;
		}
		if (*len + 2 > *cap) {
			size_t ncap = *cap ? *cap * 2 : 256;
			char *p;
			if (ncap > maxline + 2)
				ncap = maxline + 2;
			if (!(p = realloc(*line, ncap)))
				return -1;
			*line = p;
			*cap = ncap;
		}
		(*line)[(*len)++] = (char)c;
	}
	if (*len == 0 && !*cap) {
		if (!(*line = malloc(1)))
			return -1;
		*cap = 1;
	}
	(*line)[*len] = '\0';
	return 1;
}

int
line_next(const char **p, char *item, size_t n)
{
	size_t len;

	if (!*p || !**p)
		return 0;
	len = strcspn(*p, "\n");
	/* snprintf's cut, by memcpy: snprintf was a tenth of a list from its copy. */
	if (n) {
		size_t c = len < n ? len : n - 1;
		memcpy(item, *p, c);
		item[c] = '\0';
	}
	*p += len + ((*p)[len] == '\n');
	return 1;
}
