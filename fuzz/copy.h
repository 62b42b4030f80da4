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
/* A body parser's one input three ways: the bytes as a body; the body of the bytes
 * when they are a whole copy under magic; and the bytes as the body of a copy whose
 * header is right, which the header's parser must then give back whole. */
static int
copy_fuzz(const uint8_t *data, size_t size, const char *magic,
    void (*parse)(const char *body, size_t n))
{
	const char *body;
	size_t n, len;
	char *text;
	int token;

	if (!(text = copy_text(data, size)))
		return 0;
	parse(text, size);
	if (store_copy_parse(text, size, magic, &token, &body, &len) == 0)
		parse(body, len);
	n = copy_behind_head(text, data, size, magic, -7);
	if (store_copy_parse(text, n, magic, &token, &body, &len)
	    || token != -7 || body != text + n - size || len != size)
		__builtin_trap();
	parse(body, len);
	free(text);
	return 0;
}
#endif
