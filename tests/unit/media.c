/* Unit tests for lib/media: the stt/tts values, the multipart body byte for byte, and a
 * missing engine named with its Debian package. */
#include <string.h>

#include "tap.h"
#include "base/err.h"
#include "media/cloud.h"
#include "net/multipart.h"
#include "media/local.h"
#include "media/media.h"

int
main(void)
{
	struct media_svc s;
	struct buf b = BUF_INIT;
	char path[256];

	ok(media_svc_parse("off", &s) == 0 && s.kind == MEDIA_OFF, "off");
	ok(media_svc_parse("local", &s) == 0 && s.kind == MEDIA_LOCAL && !s.model[0], "local");
	ok(media_svc_parse("local/espeak-ng:en-us", &s) == 0 && s.kind == MEDIA_LOCAL
	    && !strcmp(s.model, "espeak-ng") && !strcmp(s.voice, "en-us"), "local/ENGINE:VOICE");
	ok(media_svc_parse("openai/tts-1:nova", &s) == 0 && s.kind == MEDIA_OPENAI
	    && !strcmp(s.provider, "openai") && !strcmp(s.model, "tts-1")
	    && !strcmp(s.voice, "nova"), "provider/model:voice");
	ok(media_svc_parse("generic/whisper-large-v3", &s) == 0 && s.kind == MEDIA_OPENAI
	    && !s.voice[0], "generic: any OpenAI-compatible server");
	ok(media_svc_parse("elevenlabs/21m00Tcm4TlvDq8ikWAM", &s) == 0
	    && s.kind == MEDIA_ELEVENLABS && !strcmp(s.model, "21m00Tcm4TlvDq8ikWAM"),
	    "elevenlabs/VOICE_ID");
	is_int(media_svc_parse("whisper", &s), EX_CONFIG, "no provider: a config error");
	is_int(media_svc_parse("/x", &s), EX_CONFIG, "an empty provider");

	multipart_field(&b, "B0", "model", "whisper-1");
	multipart_file(&b, "B0", "file", "memo.ogg", "audio/ogg", "Og\0S", 4);
	multipart_end(&b, "B0");
	ok(b.len == 178 && !memcmp(b.p, "--B0\r\nContent-Disposition: form-data; name=\"model\""
	    "\r\n\r\nwhisper-1\r\n--B0\r\nContent-Disposition: form-data; name=\"file\"; "
	    "filename=\"memo.ogg\"\r\nContent-Type: audio/ogg\r\n\r\nOg\0S\r\n--B0--\r\n", 178),
	    "multipart: RFC 7578 parts, CRLF, the bytes as they are, the closing delimiter");
	buf_free(&b);

	is_int(local_need("no-such-engine-here", "pkg-x", path, sizeof path), EX_UNAVAILABLE,
	    "a missing engine is unavailable");
	is_str(err_msg(), "no-such-engine-here is not installed: apt-get install pkg-x",
	    "and names its package");
	ok(local_find("sh", path, sizeof path) == 0 && strstr(path, "/sh"), "sh is found");
	return done_testing();
}
