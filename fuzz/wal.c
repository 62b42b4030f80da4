/* fuzz/wal: the reader of the store's WAL file (lib/store/wal.c), which
 * store_peek_token believes for the token.  Whatever the bytes, it answers -1, 0 or
 * 1 and reads only inside them; the bytes after a valid header of its own (so the
 * frames' parser is reached past the header's checksum) too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/wal.h"

static uint32_t
rd(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
wr(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *w;
	uint32_t s1 = 0, s2 = 0;
	int token, r, i;

	r = wal_token(data, size, &token);
	if (r < -1 || r > 1)
		__builtin_trap();
	/* A big-endian-checksum header for 512-byte pages, salts from the input. */
	if (!(w = malloc(size + 32)))
		return 0;
	memcpy(w + 32, data, size);
	wr(w, 0x377f0683u);
	wr(w + 4, 3007000u);
	wr(w + 8, 512);
	wr(w + 12, 0);
	wr(w + 16, size >= 12 ? rd(data + 8) : 1);
	wr(w + 20, size >= 16 ? rd(data + 12) : 2);
	for (i = 0; i < 24; i += 8) {
		s1 += rd(w + i) + s2;
		s2 += rd(w + i + 4) + s1;
	}
	wr(w + 24, s1);
	wr(w + 28, s2);
	r = wal_token(w, size + 32, &token);
	if (r < 0 || r > 1)                 /* the header is right: never -1 */
		__builtin_trap();
	free(w);
	return 0;
}
