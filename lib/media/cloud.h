/* cloud: the speech services claw-chat holds the keys for — OpenAI-compatible audio
 * endpoints (whisper.cpp's server, faster-whisper, Groq...) and ElevenLabs. */
#ifndef CLAW_MEDIA_CLOUD_H
#define CLAW_MEDIA_CLOUD_H
#include <stddef.h>
#include <stdio.h>

#include "base/buf.h"
#include "media/media.h"

/* multipart/form-data (RFC 7578) parts and the closing delimiter. */
void multipart_field(struct buf *b, const char *boundary, const char *name, const char *value);
void multipart_file(struct buf *b, const char *boundary, const char *name, const char *filename,
    const char *type, const void *data, size_t n);
void multipart_end(struct buf *b, const char *boundary);

/* POST {base_url}/audio/transcriptions: audio (named name, of media type type) as the file
 * field; response_format json, or verbose_json with segment timestamps when segments is
 * not NULL (then a JSON array of {start, end, text}). */
int cloud_transcribe(const struct media_svc *s, const char *name, const char *type,
    const struct buf *audio, struct buf *text, struct buf *segments);
/* The audio of text in format, streamed to out as it arrives. */
int cloud_speak(const struct media_svc *s, const char *text, const char *format, FILE *out);
#endif
