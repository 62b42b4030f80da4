/* sniff: magic numbers, each checked against the bytes there are; see sniff.h. */
#include <string.h>

#include "base/sniff.h"

static int
at(const unsigned char *p, size_t n, size_t off, const char *magic, size_t len)
{
	return n >= off + len && memcmp(p + off, magic, len) == 0;
}

/* Does the head hold needle (binary safe, within the first n bytes)? */
static int
holds(const unsigned char *p, size_t n, const char *needle, size_t len)
{
	size_t i;

	for (i = 0; i + len <= n; i++)
		if (memcmp(p + i, needle, len) == 0)
			return 1;
	return 0;
}

/* An MPEG audio frame header: 11 sync bits, a version and layer that exist, a
 * bitrate index that is neither free-format nor bad, a sampling rate that exists. */
static int
mpeg_frame(const unsigned char *p, size_t n)
{
	return n >= 4 && p[0] == 0xff && (p[1] & 0xe0) == 0xe0 && (p[1] & 0x18) != 0x08
	    && (p[1] & 0x06) != 0 && (p[2] & 0xf0) != 0 && (p[2] & 0xf0) != 0xf0
	    && (p[2] & 0x0c) != 0x0c;
}

const char *
sniff_type(const void *v, size_t n)
{
	const unsigned char *p = v;

	if (at(p, n, 0, "\x89PNG\r\n\x1a\n", 8)) return "image/png";
	if (at(p, n, 0, "\xff\xd8\xff", 3)) return "image/jpeg";
	if (at(p, n, 0, "GIF87a", 6) || at(p, n, 0, "GIF89a", 6)) return "image/gif";
	/* A container's magic decides alone: once it matches, no later rule may, so
	 * that a prefix is never given another type than the whole. */
	if (at(p, n, 0, "RIFF", 4) || at(p, n, 0, "RF64", 4))
		return at(p, n, 8, "WEBP", 4) && p[0] == 'R' && p[1] == 'I' ? "image/webp"
		    : at(p, n, 8, "WAVE", 4) || at(p, n, 8, "RF64", 4) ? "audio/wav" : NULL;
	/* The first Ogg page is the codec's identification header alone: 27 bytes of
	 * page header, one lacing value, then the codec's magic. */
	if (at(p, n, 0, "OggS", 4))
		return n < 36 ? NULL : at(p, n, 28, "OpusHead", 8) ? "audio/opus" : "audio/ogg";
	if (at(p, n, 0, "fLaC", 4)) return "audio/flac";
	if (at(p, n, 0, "FORM", 4))
		return at(p, n, 8, "AIFF", 4) || at(p, n, 8, "AIFC", 4) ? "audio/aiff" : NULL;
	/* EBML: Matroska and WebM alike; the doctype says which. */
	if (at(p, n, 0, "\x1a\x45\xdf\xa3", 4))
		return holds(p, n, "webm", 4) ? "audio/webm" : NULL;
	if (at(p, n, 0, "ID3", 3))
		return n >= 10 && p[3] < 0xff && p[4] < 0xff ? "audio/mpeg" : NULL;
	if (mpeg_frame(p, n)) return "audio/mpeg";
	/* Last: a rule that decides on fewer bytes must come first, or a prefix and the
	 * whole would be told apart (fuzz/sniff checks it). */
	if (at(p, n, 4, "ftyp", 4) && n >= 12) return "audio/mp4";
	return NULL;
}

const char *
sniff_ext(const char *type)
{
	static const char *const ext[][2] = {
		{ "image/png", "png" }, { "image/jpeg", "jpg" }, { "image/gif", "gif" },
		{ "image/webp", "webp" }, { "audio/wav", "wav" }, { "audio/ogg", "ogg" },
		{ "audio/opus", "ogg" }, { "audio/flac", "flac" }, { "audio/mpeg", "mp3" },
		{ "audio/webm", "webm" }, { "audio/mp4", "m4a" }, { "audio/aiff", "aiff" },
	};
	size_t i;

	for (i = 0; type && i < sizeof ext / sizeof ext[0]; i++)
		if (strcmp(ext[i][0], type) == 0)
			return ext[i][1];
	return "bin";
}
