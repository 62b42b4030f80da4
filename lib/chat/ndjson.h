/* ndjson: the record loop of base/record.h handing out libjq values.  Each line is
 * checked there and parsed alone, so a bad line never takes the stream down with it. */
#ifndef CLAW_NDJSON_H
#define CLAW_NDJSON_H
#include <stdio.h>
#include <jv.h>

#include "base/record.h"

#define NDJSON_MAXLINE RECORD_MAXLINE

/* Called for each line: rec is an object, or invalid with a message for a bad
 * line (malformed, too long, invalid UTF-8, not an object).  fn owns rec.
 * A non-zero return from fn stops the loop and is returned. */
typedef int ndjson_fn(jv rec, long lineno, void *ctx);
int ndjson_each(FILE *in, size_t maxline, ndjson_fn *fn, void *ctx);
/* The same over bytes in memory (a child's whole output; p may be NULL when n is 0). */
int ndjson_each_mem(const char *p, size_t n, size_t maxline, ndjson_fn *fn, void *ctx);

/* Parse one JSON text of any kind from untrusted bytes.  Invalid UTF-8 and NUL
 * bytes are refused before libjq sees them: jq 1.6 replaces the first silently
 * and leaks on the second. */
jv ndjson_value(const char *p, size_t len);

/* Write v (consumed) as one compact line; -1 on a write error. */
int ndjson_write(FILE *out, jv v);
/* The error event (record_error's) as a value: {"type":"error","code","line"?,"message"};
 * every error event claw-chat and chat/ emit is built here. */
jv ndjson_error_event(int code, long lineno, const char *message);
#endif
