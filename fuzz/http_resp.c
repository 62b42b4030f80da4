/* fuzz/http_resp: the HTTP response parser, fed a provider's bytes whole and cut in
 * two at a point taken from the first byte; both must agree on status and body. */
#include <stdint.h>
#include <string.h>

#include "net/http_resp.h"

static int
collect(const char *p, size_t n, void *ctx)
{
	buf_add(ctx, p, n);
	return 0;
}

static int
parse(const char *p, size_t n, size_t cut, struct buf *body, long *status)
{
	struct http_resp h;
	int r;

	http_resp_init(&h, collect, body);
	r = http_resp_feed(&h, p, cut);
	if (r == 0)
		r = http_resp_feed(&h, p + cut, n - cut);
	if (r == 0)
		r = http_resp_eof(&h);
	*status = h.status;
	http_resp_free(&h);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct buf a = BUF_INIT, b = BUF_INIT;
	long sa, sb;
	int ra = parse(p, size, size, &a, &sa);
	int rb = parse(p, size, size ? data[0] % (size + 1) : 0, &b, &sb);

	if (ra != rb || sa != sb || a.len != b.len || (a.len && memcmp(a.p, b.p, a.len)))
		__builtin_trap();
	buf_free(&a);
	buf_free(&b);
	return 0;
}
