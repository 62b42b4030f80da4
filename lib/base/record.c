/* record: NDJSON lines checked without libjq, so every program (claw-skill and the
 * gateway link no libjq) reads and writes the same records by the same rules. */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/json.h"
#include "base/line.h"
#include "base/record.h"
#include "base/utf8.h"

int
record_check(const char *line, size_t *len, char *why, size_t whylen)
{
	size_t i, n = *len;

	if (n > 0 && line[n - 1] == '\r')
		*len = --n;
	for (i = 0; i < n && strchr(" \t\r", line[i]); i++)
		;
	if (i == n)
		return RECORD_BLANK;
	if (!utf8_valid(line, n))
		return snprintf(why, whylen, "invalid UTF-8"), RECORD_BAD;
	if (memchr(line, '\0', n))
		return snprintf(why, whylen, "NUL byte in JSON text"), RECORD_BAD;
	if (!json_valid(line, n, why, whylen))
		return RECORD_BAD;
	if (line[i] != '{')
		return snprintf(why, whylen, "not a JSON object"), RECORD_BAD;
	return RECORD_OK;
}

/* One line to fn, or nothing for a blank one. */
static int
one(const char *line, size_t len, int toolong, size_t maxline, long lineno, record_fn *fn,
    void *ctx)
{
	char why[96];

	if (toolong) {
		snprintf(why, sizeof why, "line longer than %zu bytes", maxline);
		return fn(NULL, 0, lineno, why, ctx);
	}
	switch (record_check(line, &len, why, sizeof why)) {
	case RECORD_BLANK:
		return 0;
	case RECORD_BAD:
		return fn(NULL, 0, lineno, why, ctx);
	}
	return fn(line, len, lineno, NULL, ctx);
}

int
record_each(FILE *in, size_t maxline, record_fn *fn, void *ctx)
{
	char *line = NULL;
	size_t len, cap = 0;
	long lineno = 0;
	int toolong, r, rc = 0;

	while ((r = line_read(in, maxline, &line, &len, &cap, &toolong)) > 0)
		if ((rc = one(line, len, toolong, maxline, ++lineno, fn, ctx)))
			break;
	free(line);
	if (r < 0)
		return err_set(EX_IOERR, "stdin:");
	return rc;
}

int
record_each_mem(const char *p, size_t n, size_t maxline, record_fn *fn, void *ctx)
{
	const char *end = p + n;
	long lineno = 0;
	int rc;

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if ((rc = one(p, len, len > maxline, maxline, ++lineno, fn, ctx)))
			return rc;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

int
record_take(struct buf *b, size_t *off, size_t maxline, const char **rec, size_t *len,
    const char **why)
{
	static _Thread_local char reason[96];     /* what *why points at */
	const char *p, *nl;
	size_t n;

	for (;;) {
		p = b->p + *off;
		n = b->len - *off;
		if (!n || !(nl = memchr(p, '\n', n))) {
			return n <= maxline ? 0 : -1;
		}
		*len = (size_t)(nl - p);
		*off += *len + 1;
		if (*len > maxline) {
			snprintf(reason, sizeof reason, "line longer than %zu bytes", maxline);
			*rec = NULL, *len = 0, *why = reason;
			return 1;
		}
		switch (record_check(p, len, reason, sizeof reason)) {
		case RECORD_BLANK:
			continue;
		case RECORD_BAD:
			*rec = NULL, *len = 0, *why = reason;
			return 1;
		}
		*rec = p, *why = NULL;
		return 1;
	}
}

void
record_error(struct buf *b, int code, long lineno, const char *message)
{
	buf_printf(b, "{\"type\":\"error\",\"code\":%d,", code);
	if (lineno > 0)
		buf_printf(b, "\"line\":%ld,", lineno);
	buf_adds(b, "\"message\":");
	buf_add_json_str(b, message, strlen(message));
	buf_addc(b, '}');
}
