/* cloud: the speech services claw-chat holds the keys for — OpenAI-compatible audio
 * endpoints (whisper.cpp's server, faster-whisper, Groq...) and ElevenLabs. */
#ifndef CLAW_MEDIA_CLOUD_H
#define CLAW_MEDIA_CLOUD_H
#include <stddef.h>
#include <stdio.h>

#include "base/buf.h"
#include "media/media.h"

/* POST {base_url}/audio/transcriptions: audio (named name, of media type type) as the file
 * field; response_format json, or verbose_json with segment timestamps when segments is
 * not NULL (then a JSON array of {start, end, text}). */
int cloud_transcribe(const struct media_svc *s, const char *name, const char *type,
    const struct buf *audio, struct buf *text, struct buf *segments);
/* The audio of text in format, streamed to out as it arrives. */
int cloud_speak(const struct media_svc *s, const char *text, const char *format, FILE *out);
#endif
