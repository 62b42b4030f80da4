/* Unit tests for lib/base/sniff.c: each container's first bytes, checked whole and cut at
 * every byte (a prefix is never given another type than the whole). */
#include <string.h>

#include "tap.h"
#include "base/sniff.h"

static const struct {
	const char *what, *bytes;
	size_t n;
	const char *type;
} v[] = {
#define V(w, b, t) { w, b, sizeof(b) - 1, t }
	V("PNG", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png"),
	V("JPEG", "\xff\xd8\xff\xe0\0\x10JFIF", "image/jpeg"),
	V("GIF89a", "GIF89a\x01\0\x01\0", "image/gif"),
	V("WebP", "RIFF\x24\0\0\0WEBPVP8 ", "image/webp"),
	V("WAV", "RIFF\x24\xf0\xff\x7fWAVEfmt ", "audio/wav"),
	V("a RIFF that is neither", "RIFF\x24\0\0\0AVI LIST", NULL),
	V("Ogg Opus (a voice note)", "OggS\0\x02\0\0\0\0\0\0\0\0\x9b\xdb\x95\x4d\0\0\0\0\x1f\xd6"
	    "\x45\x2a\x01\x13OpusHead\x01\x01", "audio/opus"),
	V("Ogg Vorbis", "OggS\0\x02\0\0\0\0\0\0\0\0\x01\x02\x03\x04\0\0\0\0\x1f\xd6\x45\x2a"
	    "\x01\x1e\x01vorbis\0\0", "audio/ogg"),
	V("FLAC", "fLaC\0\0\0\x22", "audio/flac"),
	V("MP3 with ID3v2.4", "ID3\x04\0\0\0\0\0\x23TSSE", "audio/mpeg"),
	V("MP3 frame", "\xff\xfb\x90\x64\0\0", "audio/mpeg"),
	V("MP3 free-format frame", "\xff\xfb\x00\x64\0\0", NULL),
	V("WebM", "\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "audio/webm"),
	V("Matroska (not WebM)", "\x1a\x45\xdf\xa3\x9f\x42\x82\x88matroska", NULL),
	V("M4A", "\0\0\0\x20" "ftypM4A \0\0\0\0", "audio/mp4"),
	V("AIFF", "FORM\0\0\0\x20" "AIFFCOMM", "audio/aiff"),
	V("text", "hello, world\n", NULL),
	V("empty", "", NULL),
};

int
main(void)
{
	size_t i, k;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		const char *t = sniff_type(v[i].bytes, v[i].n);
		int agree = 1;
		ok(v[i].type ? t && !strcmp(t, v[i].type) : !t, "%s: %s", v[i].what,
		    v[i].type ? v[i].type : "none");
		for (k = 0; k < v[i].n; k++) {
			const char *p = sniff_type(v[i].bytes, k);
			agree &= !p || (t && !strcmp(p, t));
		}
		ok(agree, "%s: no prefix is told apart from the whole", v[i].what);
	}
	is_str(sniff_ext("audio/opus"), "ogg", "an Opus voice note is .ogg");
	is_str(sniff_ext("image/jpeg"), "jpg", "jpeg is .jpg");
	is_str(sniff_ext("text/plain"), "bin", "anything else is .bin");
	return done_testing();
}
