/* local: the engines on this machine, each run under claw-sandbox (no network, a time
 * limit, its scratch directory writable and nothing else of the user's). */
#ifndef CLAW_MEDIA_LOCAL_H
#define CLAW_MEDIA_LOCAL_H
#include <stddef.h>

#include "base/buf.h"
#include "media/media.h"

/* prog on PATH_DEFAULT into dst: 0 or -1. */
int local_find(const char *prog, char *dst, size_t n);
/* The same, or EX_UNAVAILABLE naming the Debian package to install. */
int local_need(const char *prog, const char *package, char *dst, size_t n);
/* Run argv (argv[0] a full path) sandboxed in dir (its working directory, writable),
 * input readable when not NULL, for at most secs: stdout into out.  0, or an exit code
 * with err naming the engine and its last words. */
int local_run(const char *dir, const char *input, char *const argv[], struct buf *out,
    int secs);
/* Decode path (of media type type) to 16 kHz mono 16-bit WAV in dir; its path into wav. */
int local_decode16k(const char *dir, const char *path, const char *type, char *wav, size_t n);
/* pocketsphinx on such a WAV: the hypothesis, and the words with their times. */
int local_transcribe(const char *dir, const char *wav, struct buf *text, struct buf *segments);
/* flite or espeak-ng (engine) speaking textfile into wav; voice "" for the default. */
int local_speak(const char *dir, const char *engine, const char *voice, const char *textfile,
    const char *wav);
/* wav to format (flac, mp3, ogg, opus) at dst. */
int local_encode(const char *dir, const char *wav, const char *format, const char *dst);
#endif
