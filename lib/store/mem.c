/* mem: SQLite's allocator (mem.h).  Each block has an 8-byte header: its class,
 * or LARGE and the size asked.  Blocks are 8-byte aligned, as SQLite needs. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/mem.h"

#define MAXSMALL 2048
#define CHUNK (64 * 1024)
#define LARGE UINT32_MAX

/* Classes 16 bytes apart up to 128, then four to each doubling. */
static const uint16_t class_size[] = { 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224,
	256, 320, 384, 448, 512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048 };
#define NCLASS (sizeof class_size / sizeof class_size[0])

union hdr {
	struct { uint32_t cls, n; } h;
	double align;
};

struct blk { struct blk *next; };

/* Every chunk, linked through its first bytes, so none is ever unreachable (a
 * thread's lists die with it; its chunks stay listed). */
struct chunk { struct chunk *next; double align; };

static uint8_t class_of[MAXSMALL / 16 + 1];     /* (n + 15) / 16 -> class */
static __thread struct blk *freel[NCLASS];
static __thread char *cur, *end;
static struct chunk *chunks;
static pthread_mutex_t chunks_lock = PTHREAD_MUTEX_INITIALIZER;

static int
xinit(void *ctx)
{
	size_t c = 0, i;

	for (i = 0; i <= MAXSMALL / 16; i++) {
		while (class_size[c] < i * 16)
			c++;
		class_of[i] = (uint8_t)c;
	}
	return SQLITE_OK;
}

static void
xshutdown(void *ctx)
{
}

static int
carve(size_t need)
{
	struct chunk *k = malloc(CHUNK);

	if (!k)
		return -1;
	pthread_mutex_lock(&chunks_lock);
	k->next = chunks;
	chunks = k;
	pthread_mutex_unlock(&chunks_lock);
	cur = (char *)(k + 1);
	end = (char *)k + CHUNK;
	return (size_t)(end - cur) < need ? -1 : 0;
}

static void *
xmalloc(int n)
{
	union hdr *h;
	struct blk *b;
	size_t c, need;

	if (n > MAXSMALL) {
		if (!(h = malloc(sizeof *h + (size_t)n)))
			return NULL;
		h->h.cls = LARGE, h->h.n = (uint32_t)n;
		return h + 1;
	}
	c = class_of[(n + 15) / 16];
	if ((b = freel[c])) {
		freel[c] = b->next;
		return b;
	}
	need = sizeof *h + class_size[c];
	if ((!cur || (size_t)(end - cur) < need) && carve(need))
		return NULL;
	h = (union hdr *)cur;
	cur += need;
	h->h.cls = (uint32_t)c, h->h.n = 0;
	return h + 1;
}

static void
xfree(void *p)
{
	union hdr *h = (union hdr *)p - 1;
	struct blk *b = p;

	if (h->h.cls == LARGE) {
		free(h);
		return;
	}
	b->next = freel[h->h.cls];
	freel[h->h.cls] = b;
}

static int
xsize(void *p)
{
	union hdr *h = (union hdr *)p - 1;

	return h->h.cls == LARGE ? (int)h->h.n : class_size[h->h.cls];
}

static void *
xrealloc(void *p, int n)
{
	union hdr *h = (union hdr *)p - 1;
	int old = xsize(p);
	void *q;

	if (h->h.cls != LARGE && n <= old)
		return p;
	if (h->h.cls == LARGE && n > MAXSMALL) {
		if (!(h = realloc(h, sizeof *h + (size_t)n)))
			return NULL;
		h->h.n = (uint32_t)n;
		return h + 1;
	}
	if (!(q = xmalloc(n)))
		return NULL;
	memcpy(q, p, (size_t)(old < n ? old : n));
	xfree(p);
	return q;
}

static int
xroundup(int n)
{
	return n > MAXSMALL ? (n + 7) & ~7 : class_size[class_of[(n + 15) / 16]];
}

const sqlite3_mem_methods mem_methods = {
	xmalloc, xfree, xrealloc, xsize, xroundup, xinit, xshutdown, NULL
};
