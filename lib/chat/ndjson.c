/* ndjson: read records a line at a time, parse each alone, write compact lines. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/json.h"
#include "base/line.h"
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

jv
ndjson_parse(const char *line, size_t len, size_t maxline, int toolong)
{
	jv v;

	if (toolong)
		return jv_invalid_with_msg(jv_string_fmt("line longer than %zu bytes", maxline));
	if (len > 0 && line[len - 1] == '\r')
		len--;
	v = ndjson_value(line, len);
	if (!jv_is_valid(v)) {
		jv m = jv_invalid_get_msg(v);
		if (jv_get_kind(m) != JV_KIND_STRING) {
			jv_free(m);
			return jv_invalid_with_msg(jv_string("malformed JSON"));
		}
		return jv_invalid_with_msg(m);
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		return jv_invalid_with_msg(jv_string("not a JSON object"));
	}
	return v;
}

int
ndjson_each(FILE *in, size_t maxline, ndjson_fn *fn, void *ctx)
{
	char *line = NULL;
	size_t len, cap = 0;
	long lineno = 0;
	int toolong, r, rc = 0;

	while ((r = line_read(in, maxline, &line, &len, &cap, &toolong)) > 0) {
		lineno++;
		if (len == 0 || (len == 1 && line[0] == '\r'))
			continue;        /* blank lines separate nothing: skip them */
		if ((rc = fn(ndjson_parse(line, len, maxline, toolong), lineno, ctx)))
			break;
	}
	free(line);
	if (r < 0)
		return err_set(EX_IOERR, "stdin:");
	return rc;
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
	jv e = jv_object_set(jv_object(), jv_string("type"), jv_string("error"));

	e = jv_object_set(e, jv_string("code"), jv_number(code));
	if (lineno > 0)
		e = jv_object_set(e, jv_string("line"), jv_number((double)lineno));
	return jv_object_set(e, jv_string("message"), jv_string(message));
}
