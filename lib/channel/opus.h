/* opus: what a Discord voice message says about its audio — the duration and a waveform —
 * measured from the Ogg/Opus file itself. */
#ifndef CLAW_CHAN_OPUS_H
#define CLAW_CHAN_OPUS_H
#include <stddef.h>

/* The seconds of audio in the Ogg/Opus file p (the last granule position less the
 * pre-skip), and in wave up to *wn loudness bytes (RMS per 100 ms, or the mean of several
 * when there are more, 255 the loudest); *wn set to how many, 0 without libopus.
 * 0, or -1 when p is not a whole Ogg/Opus stream. */
int opus_shape(const unsigned char *p, size_t n, double *secs, unsigned char *wave,
    size_t *wn);
#endif
