/* fuzz/http_req: the gateway's request-head parser, on the input whole and on a
 * prefix cut at a point taken from the first byte.  A prefix answers 0 or what
 * the whole answers; a head that parses points only inside itself. */
#include <stdint.h>
#include <string.h>

#include "net/http_req.h"

static int
inside(const char *p, size_t n, const char *s, size_t len)
{
	return s >= p && len <= n && (size_t)(s - p) <= n - len;
}

static void
check(const char *p, int n, const struct http_req *r)
{
	int i;

	if (n > (int)HTTP_MAXHEAD || r->error || r->minor < 0 || r->minor > 1 || r->length < -1
	    || r->nh < 0 || r->nh > HTTP_MAXHEADERS || r->mlen == 0 || r->tlen == 0
	    || !inside(p, n, r->method, r->mlen) || !inside(p, n, r->target, r->tlen)
	    || r->method + r->mlen + 1 != r->target || r->path != r->target)
		__builtin_trap();
	if (r->query ? r->query != r->path + r->plen + 1 || r->plen + 1 + r->qlen != r->tlen
	    : r->qlen || r->plen != r->tlen)
		__builtin_trap();
	for (i = 0; i < r->nh; i++) {
		const struct http_field *f = &r->h[i];
		size_t vlen;

		if (f->nlen == 0 || !inside(p, n, f->name, f->nlen)
		    || !inside(p, n, f->value, f->vlen)
		    || f->name[f->nlen] != ':' || f->value < f->name + f->nlen + 1
		    || !http_header(r, "x", NULL) != !http_header(r, "X", &vlen))
			__builtin_trap();
	}
}

static int
allowed(int rc)
{
	return rc >= 0 || rc == -400 || rc == -411 || rc == -414 || rc == -417 || rc == -431
	    || rc == -501 || rc == -505;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t cut = size ? data[0] % (size + 1) : 0;
	struct http_req r;
	int whole, part;

	whole = http_parse(p, size, &r);
	if (!allowed(whole) || (whole < 0 && !r.error))
		__builtin_trap();
	if (whole > 0)
		check(p, whole, &r);
	part = http_parse(p, cut, &r);
	if (part != 0 && part != whole)
		__builtin_trap();
	if (whole > 0 && http_parse(p, (size_t)whole - 1, &r) != 0)
		__builtin_trap();
	return 0;
}
