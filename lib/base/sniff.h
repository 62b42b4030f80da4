/* sniff: what a file is by its first bytes, never by its name — the image and audio
 * containers claw passes to models, transcribes or measures. */
#ifndef CLAW_SNIFF_H
#define CLAW_SNIFF_H
#include <stddef.h>

/* Bytes enough for every rule below (an Ogg first page names its codec, a WebM
 * header its doctype). */
#define SNIFF_HEAD 512

/* The media type of a file beginning with p[0..n): "image/png", "image/jpeg",
 * "image/gif", "image/webp", "audio/wav", "audio/ogg" (Vorbis), "audio/opus" (Ogg
 * Opus), "audio/flac", "audio/mpeg", "audio/webm", "audio/mp4", "audio/aiff"; NULL
 * when it is none of them.  A prefix never gets a type the whole would not. */
const char *sniff_type(const void *p, size_t n);
/* The usual file name extension of a type sniff_type returns ("wav", "ogg"...). */
const char *sniff_ext(const char *type);
#endif
