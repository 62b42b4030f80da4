/* media: speech to text and text to speech, local (pocketsphinx, flite, espeak-ng, run
 * sandboxed, no network) or through a cloud service claw-chat holds the key for. */
#ifndef CLAW_MEDIA_H
#define CLAW_MEDIA_H
#include <stddef.h>

#include "base/buf.h"

#define MEDIA_STT_LOCAL_MAX 600          /* seconds of audio pocketsphinx is given */
#define MEDIA_UPLOAD_MAX    (25u << 20)  /* OpenAI's transcription upload limit */
#define MEDIA_AUDIO_MAX     (200u << 20) /* bytes of an audio file read at all */
#define MEDIA_TTS_MAX       4096         /* characters of text: OpenAI's input limit */

enum media_kind { MEDIA_OFF, MEDIA_LOCAL, MEDIA_OPENAI, MEDIA_ELEVENLABS };

/* What the stt or tts config names.  For a cloud service the caller fills base_url and
 * key (the provider's, as for a model); the key is borrowed and never logged. */
struct media_svc {
	enum media_kind kind;
	char provider[64];      /* "openai", "generic", "elevenlabs"...; "local" */
	char model[128];        /* whisper-1, tts-1; a local engine; ElevenLabs: the voice id */
	char voice[128];        /* after ':' (alloy; en-us; slt), or empty */
	char base_url[512];
	const char *key;
};

/* Parse a stt/tts config value (off, local, local/ENGINE[:VOICE], provider/model[:voice]).
 * 0 or EX_CONFIG. */
int media_svc_parse(const char *value, struct media_svc *s);

/* The media type of the file at path when it is audio (by content), else NULL; EX_NOINPUT
 * (err set) through *rc when it cannot be read. */
const char *media_audio_type(const char *path, int *rc);

/* Transcribe the audio at path: the text into text; when segments is not NULL, a JSON
 * array of {start, end, text} (seconds; words for pocketsphinx) when the engine has them,
 * else "[]".  0, or EX_DATAERR (not audio, unreadable, too long), EX_NOINPUT,
 * EX_UNAVAILABLE (engine missing: the message names the Debian package; service down),
 * EX_TEMPFAIL, EX_CONFIG (off, or the key refused); err says which. */
int media_transcribe(const struct media_svc *s, const char *path, struct buf *text,
    struct buf *segments);

/* Speak text into the file at out ("-": standard output) in format (wav, mp3, ogg, opus,
 * flac; NULL: from out's extension, wav for "-").  0 or an exit code with err set. */
int media_speak(const struct media_svc *s, const char *text, const char *out,
    const char *format);
#endif
