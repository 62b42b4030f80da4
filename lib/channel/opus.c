/* opus: the length and loudness of an Ogg/Opus voice note (RFC 3533 pages, RFC 7845 OpusHead
 * and granule positions), for a Discord voice message's duration_secs and waveform.  The
 * packets are decoded by libopus, dlopen'd on first use; without it there is no waveform. */
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "channel/opus.h"

#define OPUS_RATE 48000               /* granules and decoding: always 48 kHz (RFC 7845 §4) */
#define WINDOW (OPUS_RATE / 10)       /* one point per 100 ms, as Discord's clients sample */
#define FRAME_MAX 5760                /* 120 ms at 48 kHz: the longest Opus packet */
#define POINTS_MAX 4096               /* 6.8 minutes of 100 ms points before averaging */

static struct {
	void *(*create)(int fs, int channels, int *error);
	int (*decode)(void *st, const unsigned char *data, int len, short *pcm, int frame,
	    int fec);
	void (*destroy)(void *st);
	int ok;
} O;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
load(void)
{
	void *lib = dlopen("libopus.so.0", RTLD_NOW | RTLD_LOCAL);

	if (!lib)
		return;
	if (!(*(void **)&O.create = dlsym(lib, "opus_decoder_create"))
	    || !(*(void **)&O.decode = dlsym(lib, "opus_decode"))
	    || !(*(void **)&O.destroy = dlsym(lib, "opus_decoder_destroy")))
		return;
	O.ok = 1;
}

static unsigned long long
le64(const unsigned char *p)
{
	unsigned long long v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

struct shape {
	void *dec;
	short pcm[FRAME_MAX];
	double sum;                   /* the window's sum of squares so far */
	long have;                    /* samples in it */
	double pts[POINTS_MAX];
	size_t npts;
	long packets;
	unsigned preskip;
	int head;
};

static void
point(struct shape *s)
{
	if (s->npts < POINTS_MAX)
		s->pts[s->npts++] = sqrt(s->sum / (double)s->have);
	s->sum = 0;
	s->have = 0;
}

/* One whole packet: OpusHead, OpusTags, then audio. */
static int
packet(struct shape *s, const unsigned char *p, size_t n)
{
	int k, i;

	if (s->packets++ == 0) {
		if (n < 19 || memcmp(p, "OpusHead", 8) || (p[8] >> 4) != 0 || p[9] == 0)
			return -1;
		s->preskip = (unsigned)p[10] | (unsigned)p[11] << 8;
		s->head = 1;
		return 0;
	}
	if (s->packets == 2 || !s->dec || n == 0 || n > 65536)
		return 0;             /* OpusTags; or no decoder: the length only */
	if ((k = O.decode(s->dec, p, (int)n, s->pcm, FRAME_MAX, 0)) <= 0)
		return 0;             /* a bad packet is silence, not the end */
	for (i = 0; i < k; i++) {
		s->sum += (double)s->pcm[i] * s->pcm[i];
		if (++s->have == WINDOW)
			point(s);
	}
	return 0;
}

int
opus_shape(const unsigned char *p, size_t n, double *secs, unsigned char *wave, size_t *wn)
{
	static struct shape s;
	unsigned char *pk = NULL;
	size_t off = 0, pkn = 0, i, j, max = *wn;
	unsigned long long granule = 0;
	double top = 0, x;
	int rc = 0, err;

	*secs = 0;
	*wn = 0;
	memset(&s, 0, sizeof s);
	pthread_once(&once, load);
	if (O.ok && wave && max)
		s.dec = O.create(OPUS_RATE, 1, &err);
	while (rc == 0 && off + 27 <= n) {
		const unsigned char *h = p + off, *seg = h + 27, *d;
		size_t nseg = h[26], len = 0;
		if (memcmp(h, "OggS", 4) || h[4] != 0 || off + 27 + nseg > n) {
			rc = -1;
			break;
		}
		for (i = 0; i < nseg; i++)
			len += seg[i];
		if (off + 27 + nseg + len > n) {
			rc = -1;              /* a truncated last page */
			break;
		}
		if (!(h[5] & 1))
			pkn = 0;              /* not a continuation: a new packet starts */
		if (le64(h + 6) != ~0ULL)
			granule = le64(h + 6);
		d = seg + nseg;
		for (i = 0; i < nseg && rc == 0; d += seg[i], i++) {
			unsigned char *t = realloc(pk, pkn + seg[i] + 1);
			if (!t) {
				rc = -1;
				break;
			}
			pk = t;
			memcpy(pk + pkn, d, seg[i]);
			pkn += seg[i];
			if (seg[i] < 255) {
				rc = packet(&s, pk, pkn);
				pkn = 0;
			}
		}
		off += 27 + nseg + len;
	}
	free(pk);
	if (s.dec)
		O.destroy(s.dec);
	if (rc == 0 && (!s.head || off != n))
		rc = -1;
	if (rc)
		return -1;
	*secs = granule > s.preskip ? (double)(granule - s.preskip) / OPUS_RATE : 0;
	if (s.have)
		point(&s);
	if (!s.dec || !s.npts)
		return 0;
	/* more points than room: each byte the mean of its share; then 0..255 of the loudest */
	for (i = 0; i < s.npts; i++)
		if (s.pts[i] > top)
			top = s.pts[i];
	*wn = s.npts < max ? s.npts : max;
	for (i = 0; i < *wn; i++) {
		size_t a = i * s.npts / *wn, b = (i + 1) * s.npts / *wn;
		for (x = 0, j = a; j < b; j++)
			x += s.pts[j];
		x /= (double)(b - a);
		wave[i] = top > 0 ? (unsigned char)lround(x / top * 255) : 0;
	}
	return 0;
}
