/* fuzz/sse: the SSE parser must dispatch the same events however the stream is cut:
 * whole, in two where the first bytes say, and in small pieces. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "net/sse.h"

struct run {
	struct buf log;   /* every event as name, NUL, length, data */
	int n, stop_at;
};

static int
record(const char *event, const char *data, size_t len, void *ctx)
{
	struct run *r = ctx;
	size_t elen = strlen(event);

	/* The contract: a name that fits its buffer, data NUL-terminated at len. */
	if (elen == 0 || elen >= sizeof(((struct sse *)0)->event) || data[len] != '\0')
		__builtin_trap();
	buf_add(&r->log, event, elen + 1);
	buf_add(&r->log, &len, sizeof(len));
	buf_add(&r->log, data, len);
	return ++r->n == r->stop_at;
}

/* Feed a private copy of each piece, exactly its size, so ASan sees a read past it. */
static int
feed(struct sse *s, const uint8_t *p, size_t n)
{
	char *copy = malloc(n ? n : 1);
	int rc;

	if (!copy)
		abort();
	memcpy(copy, p, n);
	rc = sse_feed(s, copy, n);
	free(copy);
	return rc;
}

/* Parse data cut at every multiple of step (0: whole) and at cut. */
static void
parse(struct run *r, const uint8_t *data, size_t size, size_t step, size_t cut, int stop_at)
{
	struct sse s;
	size_t i = 0, k;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->stop_at = stop_at;
	sse_init(&s, record, r);
	while (i < size && rc == 0) {
		k = step && step < size - i ? step : size - i;
		if (i < cut && cut < i + k)
			k = cut - i;
		rc = feed(&s, data + i, k);
		i += k;
	}
	/* The result tells apart a stop, a failure and the end. */
	buf_add(&r->log, &rc, sizeof(rc));
	buf_add(&r->log, &s.failed, sizeof(s.failed));
	if (r->log.oom)
		abort();
	sse_free(&s);
}

static void
same(struct run *a, struct run *b)
{
	if (a->log.len != b->log.len || memcmp(a->log.p, b->log.p, a->log.len) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole, split, bytes;
	/* The first two bytes pick the cut, the third when the callback stops (0: never)
	 * and, for long inputs, the piece size: a byte at a time is for short ones. */
	size_t cut = size > 1 ? ((size_t)data[0] << 8 | data[1]) % (size + 1) : 0;
	int stop_at = size > 2 ? data[2] % 8 : 0;
	size_t step = size <= 2048 ? 1 : 1 + (size > 3 ? data[3] % 61 : 0);

	parse(&whole, data, size, 0, size, stop_at);
	parse(&split, data, size, 0, cut, stop_at);
	same(&whole, &split);
	parse(&bytes, data, size, step, size, stop_at);
	same(&whole, &bytes);
	buf_free(&whole.log);
	buf_free(&split.log);
	buf_free(&bytes.log);
	return 0;
}
