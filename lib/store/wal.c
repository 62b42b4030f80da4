/* wal: SQLite's WAL format (https://sqlite.org/fileformat2.html, "The WAL File
 * Format"), only as far as finding page 1's last committed image.  A 32-byte header:
 * magic 0x377f0682 or 0x377f0683 (its low bit: checksums over big-endian words),
 * version 3007000, page size, checkpoint sequence, two salts, and the checksum of
 * the 24 bytes before it.  Then frames of a 24-byte header -- page number, the
 * store's size in pages after a commit (0 when the frame commits nothing), the two
 * salts, the running checksum of every frame so far -- and one page. */
#include <stdint.h>
#include <string.h>

#include "store/wal.h"

#define WAL_MAGIC 0x377f0682u
#define WAL_VERSION 3007000u

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* The checksum of n bytes (a multiple of 8) at p, continuing s. */
static void
checksum(int big, const unsigned char *p, size_t n, uint32_t s[2])
{
	uint32_t s1 = s[0], s2 = s[1];

	for (; n >= 8; p += 8, n -= 8) {
		s1 += (big ? be32(p) : le32(p)) + s2;
		s2 += (big ? be32(p + 4) : le32(p + 4)) + s1;
	}
	s[0] = s1;
	s[1] = s2;
}

int
wal_token(const unsigned char *w, size_t n, int *token)
{
	uint32_t magic, page, s[2] = { 0, 0 };
	size_t off, frame;
	int big, seen = 0, found = 0;
	uint32_t cand = 0, last = 0;

	if (n < 32)
		return -1;
	magic = be32(w);
	page = be32(w + 8);
	if ((magic & ~1u) != WAL_MAGIC || be32(w + 4) != WAL_VERSION || page < 512
	    || page > 65536 || (page & (page - 1)))
		return -1;
	big = (int)(magic & 1);
	checksum(big, w, 24, s);
	if (s[0] != be32(w + 24) || s[1] != be32(w + 28))
		return -1;
	frame = 24 + (size_t)page;
	for (off = 32; n - off >= frame; off += frame) {
		const unsigned char *f = w + off;
		uint32_t pgno = be32(f);
		if (pgno == 0 || be32(f + 8) != be32(w + 16) || be32(f + 12) != be32(w + 20))
			break;
		checksum(big, f, 8, s);
		checksum(big, f + 24, page, s);
		if (s[0] != be32(f + 16) || s[1] != be32(f + 20))
			break;
		if (pgno == 1) {
			cand = be32(f + 24 + 68);
			seen = 1;
		}
		if (be32(f + 4) && seen) {          /* a commit: page 1 as of it */
			last = cand;
			found = 1;
		}
	}
	if (found)
		*token = (int)last;
	return found;
}

int
wal_file_token(const unsigned char h[100], int *token)
{
	if (memcmp(h, "SQLite format 3", 16) || h[18] != 2 || h[19] != 2)
		return -1;
	*token = (int)be32(h + 68);
	return 0;
}
