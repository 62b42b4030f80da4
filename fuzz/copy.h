/* fuzz/copy.h: for the targets of a copy's reader (store/copy.h).  The input as
 * text, NUL-terminated, in a buffer with room for a header before it; and the same
 * bytes again as the body of a copy whose header is right, so that the body's
 * parser is reached past the hash too. */
#ifndef CLAW_FUZZ_COPY_H
#define CLAW_FUZZ_COPY_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/copy.h"

#define COPY_HEAD_ROOM 96

/* data as text (free it), or NULL when out of memory. */
static char *
copy_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + COPY_HEAD_ROOM);

	if (text) {
		memcpy(text, data, size);
		text[size] = '\0';
	}
	return text;
}

/* text rewritten as a copy of data under magic and token: its length, the body
 * being the last size bytes. */
static size_t
copy_behind_head(char *text, const uint8_t *data, size_t size, const char *magic, int token)
{
	char head[COPY_HEAD_ROOM];
	size_t hn = store_copy_head(head, sizeof head, magic, token, (const char *)data, size);

	memcpy(text, head, hn);
	memcpy(text + hn, data, size);
	text[hn + size] = '\0';
	return hn + size;
}
#endif
