/* ndjson: base/record's lines as libjq values, for claw-chat and chat/. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/json.h"
#include "base/record.h"
#include "chat/ndjson.h"
#include "base/utf8.h"

jv
ndjson_value(const char *p, size_t len)
{
	char why[96];

	if (len > INT_MAX)
		return jv_invalid_with_msg(jv_string("JSON text too long"));
	if (!utf8_valid(p, len))
		return jv_invalid_with_msg(jv_string("invalid UTF-8"));
	if (memchr(p, '\0', len))
		return jv_invalid_with_msg(jv_string("NUL byte in JSON text"));
	if (!json_valid(p, len, why, sizeof why))
		return jv_invalid_with_msg(jv_string(why));
	return jv_parse_sized(p, (int)len);
}

struct each {
	ndjson_fn *fn;
	void *ctx;
};

static int
each_one(const char *rec, size_t len, long lineno, const char *why, void *ctx)
{
	struct each *e = ctx;

	return e->fn(rec ? jv_parse_sized(rec, (int)len) : jv_invalid_with_msg(jv_string(why)),
	    lineno, e->ctx);
}

int
ndjson_each(FILE *in, size_t maxline, ndjson_fn *fn, void *ctx)
{
	struct each e = { fn, ctx };

	return record_each(in, maxline, each_one, &e);
}

int
ndjson_each_mem(const char *p, size_t n, size_t maxline, ndjson_fn *fn, void *ctx)
{
	struct each e = { fn, ctx };

	return record_each_mem(p ? p : "", n, maxline, each_one, &e);
}

int
ndjson_write(FILE *out, jv v)
{
	jv s = jv_dump_string(v, 0);
	const char *p = jv_string_value(s);
	int len = jv_string_length_bytes(jv_copy(s)), rc;

	rc = fwrite(p, 1, (size_t)len, out) == (size_t)len && putc('\n', out) != EOF ? 0 : -1;
	jv_free(s);
	return rc;
}

jv
ndjson_error_event(int code, long lineno, const char *message)
{
	struct buf b = BUF_INIT;
	jv e;

	record_error(&b, code, lineno, message);
	e = b.oom ? jv_invalid_with_msg(jv_string("out of memory"))
	    : jv_parse_sized(b.p, (int)b.len);
	buf_free(&b);
	return e;
}
