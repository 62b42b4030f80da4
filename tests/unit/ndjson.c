/* Unit tests for lib/chat/ndjson.c: one record per line, a bad line is an error for
 * that line only, and the stream goes on; and chat/tools.c's kill limit per skill. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "chat/ndjson.h"
#include "chat/tools.h"
#include "tap.h"

#define MAXREC 32

/* What ndjson_each handed to the callback, one entry per call. */
struct seen {
	int n;
	long lineno[MAXREC];
	int valid[MAXREC];
	char text[MAXREC][256];   /* the compact object, or the error message */
	int stop_at;              /* return 7 from this call (1-based), 0: never */
};

static int
collect(jv rec, long lineno, void *ctx)
{
	struct seen *s = ctx;
	int i = s->n;

	if (i >= MAXREC) {
		jv_free(rec);
		return 99;
	}
	s->lineno[i] = lineno;
	s->valid[i] = jv_is_valid(rec);
	if (s->valid[i]) {
		jv d = jv_dump_string(rec, 0);
		snprintf(s->text[i], sizeof s->text[i], "%s", jv_string_value(d));
		jv_free(d);
	} else {
		jv m = jv_invalid_get_msg(rec);
		snprintf(s->text[i], sizeof s->text[i], "%s",
		    jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "(no message)");
		jv_free(m);
	}
	s->n++;
	return s->stop_at && s->n == s->stop_at ? 7 : 0;
}

/* Run ndjson_each over the bytes of text with the given line cap. */
static int
each(const char *text, size_t len, size_t maxline, struct seen *s)
{
	FILE *f = fmemopen((void *)text, len, "r");
	int rc;

	if (!f)
		return -100;
	rc = ndjson_each(f, maxline, collect, s);
	fclose(f);
	return rc;
}

/* One line through ndjson_each_mem: 1 and the compact text when an object, 0 and
 * the message (or "" when no record came: a blank line). */
static int
parse(const char *line, size_t len, char *out, size_t n)
{
	struct seen s = { 0 };

	ndjson_each_mem(line, len, NDJSON_MAXLINE, collect, &s);
	snprintf(out, n, "%s", s.n ? s.text[0] : "");
	return s.n == 1 && s.valid[0];
}

#define P(s) parse(s, sizeof(s) - 1, msg, sizeof msg)

int
main(void)
{
	char msg[256];
	int rc;

	/* one line at a time */
	ok(P("{\"a\":1,\"b\":[true,null]}"), "an object parses");
	is_str(msg, "{\"a\":1,\"b\":[true,null]}", "and comes back the same");
	ok(P("  {\"a\":1}\t "), "surrounding blanks are allowed");
	ok(P("{\"t\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}"), "UTF-8 in strings is fine");
	ok(P("{\"a\":1}\r"), "a trailing CR is dropped");
	ok(!P("[1,2]"), "an array is refused");
	is_str(msg, "not a JSON object", "with 'not a JSON object'");
	ok(!P("42"), "a number is refused");
	is_str(msg, "not a JSON object", "with 'not a JSON object'");
	ok(!P("\"s\""), "a string is refused");
	ok(!P("null"), "null is refused");
	ok(!P("{\"a\":"), "truncated JSON is refused");
	ok(msg[0] != '\0', "with a message (%s)", msg);
	ok(!P("{a:1}"), "unquoted keys are refused");
	ok(!P("{\"a\":1} {\"b\":2}"), "two objects on one line are refused");
	ok(!P("{\"a\":\"\xc3\x28\"}"), "invalid UTF-8 is refused");
	is_str(msg, "invalid UTF-8", "with 'invalid UTF-8'");
	ok(!P("{\"a\":\"\xed\xa0\x80\"}"), "an encoded surrogate is refused");
	ok(!parse("{\"a\":1}\0{}", 10, msg, sizeof msg), "a NUL byte in the line is refused");
	ok(strncmp(msg, "NUL byte", 8) == 0, "with 'NUL byte ...' (%s)", msg);
	ok(!P(""), "an empty line does not parse as a record");

	/* ndjson_each over a stream: good, bad, blank, CRLF, no final newline */
	{
		static const char in[] =
		    "{\"n\":1}\n"          /* 1 */
		    "\n"                   /* 2 blank */
		    "{\"n\":2}\r\n"        /* 3 CRLF */
		    "{\"n\":\n"            /* 4 malformed */
		    "[1]\n"                /* 5 not an object */
		    "\r\n"                 /* 6 blank CRLF */
		    "{\"n\":\"\xff\"}\n"   /* 7 invalid UTF-8 */
		    "{\"n\":3}";           /* 8 no newline */
		struct seen s = { 0 };

		rc = each(in, sizeof in - 1, NDJSON_MAXLINE, &s);
		is_int(rc, 0, "ndjson_each returns 0 at EOF");
		is_int(s.n, 6, "six records: blank lines are skipped");
		ok(s.valid[0] && s.lineno[0] == 1 && strcmp(s.text[0], "{\"n\":1}") == 0,
		    "line 1 good");
		ok(s.valid[1] && s.lineno[1] == 3 && strcmp(s.text[1], "{\"n\":2}") == 0,
		    "line 3 (CRLF) good, numbered after the skipped blank");
		ok(!s.valid[2] && s.lineno[2] == 4, "line 4 malformed: error for line 4 (%s)",
		    s.text[2]);
		ok(!s.valid[3] && s.lineno[3] == 5 && strcmp(s.text[3], "not a JSON object") == 0,
		    "line 5 not an object");
		ok(!s.valid[4] && s.lineno[4] == 7 && strcmp(s.text[4], "invalid UTF-8") == 0,
		    "line 7 invalid UTF-8, after the blank CRLF line 6");
		ok(s.valid[5] && s.lineno[5] == 8 && strcmp(s.text[5], "{\"n\":3}") == 0,
		    "line 8 without a final newline is read");
	}

	/* ndjson_each_mem: the same walk over bytes in memory (a child's output). */
	{
		static const char in[] = "{\"n\":1}\n\n[2]\r\n{\"n\":3}";
		struct seen s = { 0 };

		rc = ndjson_each_mem(in, sizeof in - 1, NDJSON_MAXLINE, collect, &s);
		ok(rc == 0 && s.n == 3, "in memory: three records, the blank line skipped");
		ok(s.valid[0] && !s.valid[1] && s.lineno[1] == 3 && s.valid[2] && s.lineno[2] == 4,
		    "a bad line 3 between good lines 1 and 4 (no final newline)");
		memset(&s, 0, sizeof s);
		ok(ndjson_each_mem(NULL, 0, NDJSON_MAXLINE, collect, &s) == 0 && s.n == 0,
		    "no output at all: no records");
	}

	/* tools_limit_ms: a skill's own timeout from the catalog, plus the grace. */
	{
		jv cat = jv_parse("[{\"name\":\"quick\",\"timeout\":2},"
		    "{\"name\":\"long\",\"timeout\":3600},"
		    "{\"name\":\"silent\"},{\"name\":\"odd\",\"timeout\":\"9\"}]");

		is_int(tools_limit_ms(cat, "quick"), (2 + TOOLS_GRACE) * 1000,
		    "timeout 2: killed at 2 s + grace");
		is_int(tools_limit_ms(cat, "long"), (3600 + TOOLS_GRACE) * 1000,
		    "timeout 3600: far past the old fixed 120 s");
		is_int(tools_limit_ms(cat, "silent"), (PROC_TIMEOUT_MAX + TOOLS_GRACE) * 1000,
		    "no timeout in the catalog: the longest a SKILL.md may declare");
		is_int(tools_limit_ms(cat, "odd"), (PROC_TIMEOUT_MAX + TOOLS_GRACE) * 1000,
		    "a timeout that is not a number counts as none");
		is_int(tools_limit_ms(cat, "unknown"), (PROC_TIMEOUT_MAX + TOOLS_GRACE) * 1000,
		    "a name the catalog lacks: the same");
		is_int(tools_limit_ms(jv_null(), "quick"), (PROC_TIMEOUT_MAX + TOOLS_GRACE) * 1000,
		    "no catalog (--no-tools): the same");
		jv_free(cat);
	}

	/* A line over the cap is an error for that line; the next line is still read. */
	{
		static const char in[] =
		    "{\"a\":\"0123456789abcdef0123456789\"}\n"
		    "{\"b\":2}\n"
		    "{\"c\":\"0123456789abcdef0123456789\"}";
		struct seen s = { 0 };

		rc = each(in, sizeof in - 1, 16, &s);
		is_int(rc, 0, "over-long lines do not stop the stream");
		is_int(s.n, 3, "three records");
		ok(!s.valid[0] && s.lineno[0] == 1 && strcmp(s.text[0],
		    "line longer than 16 bytes") == 0,
		    "line 1 too long (%s)", s.text[0]);
		ok(s.valid[1] && s.lineno[1] == 2 && strcmp(s.text[1], "{\"b\":2}") == 0,
		    "line 2 read whole after the drained long line");
		ok(!s.valid[2] && s.lineno[2] == 3,
		    "a too-long last line without newline is an error too");
	}

	/* The cap is inclusive: exactly maxline bytes is fine, one more is not. */
	{
		/* 15 and 16 bytes */
		static const char in[] = "{\"k\":\"1234567\"}\n{\"k\":\"12345678\"}\n";
		struct seen s = { 0 };

		rc = each(in, sizeof in - 1, 15, &s);
		ok(rc == 0 && s.n == 2, "two records");
		ok(s.valid[0], "a line of exactly maxline bytes is read");
		ok(!s.valid[1], "a line of maxline+1 bytes is too long");
	}

	/* Empty input and input of blank lines only. */
	{
		struct seen s = { 0 };

		rc = each("", 0, NDJSON_MAXLINE, &s);
		ok(rc == 0 && s.n == 0, "empty input: no records, 0");
		memset(&s, 0, sizeof s);
		rc = each("\n\n\r\n\n", 5, NDJSON_MAXLINE, &s);
		ok(rc == 0 && s.n == 0, "only blank lines: no records");
	}

	/* The callback's non-zero return stops the loop and is returned. */
	{
		static const char in[] = "{}\n{}\n{}\n{}\n";
		struct seen s = { 0 };

		s.stop_at = 2;
		rc = each(in, sizeof in - 1, NDJSON_MAXLINE, &s);
		is_int(rc, 7, "the callback's return value comes back");
		is_int(s.n, 2, "and no further line is read");
	}

	/* A read error is EX_IOERR: a directory opens for reading but read() fails. */
	{
		FILE *f = fopen("/", "r");
		struct seen s = { 0 };

		if (f) {
			rc = ndjson_each(f, NDJSON_MAXLINE, collect, &s);
			fclose(f);
		} else
			rc = -1;
		is_int(rc, EX_IOERR, "a read error gives EX_IOERR (%s)", err_msg());
	}

	/* ndjson_write: one compact line; ndjson_error_event: the error event shape. */
	{
		char *mem = NULL;
		size_t memlen = 0;
		FILE *f = open_memstream(&mem, &memlen);

		ok(ndjson_write(f, jv_parse("{ \"a\" : [1, 2],\n \"b\":\"x\\ny\" }")) == 0,
		    "ndjson_write returns 0");
		ok(ndjson_write(f, ndjson_error_event(65, 12, "malformed JSON")) == 0,
		    "an error event is written");
		ok(ndjson_write(f, ndjson_error_event(69, 0, "down")) == 0,
		    "one without a line number too");
		fclose(f);
		is_str(mem, "{\"a\":[1,2],\"b\":\"x\\ny\"}\n"
		    "{\"type\":\"error\",\"code\":65,\"line\":12,\"message\":\"malformed JSON\"}\n"
		    "{\"type\":\"error\",\"code\":69,\"message\":\"down\"}\n",
		    "compact lines, each ending in a newline; no line when lineno is 0");
		free(mem);
	}
	{
		/* A full stream makes ndjson_write fail rather than truncate silently. */
		char small[8];
		FILE *f = fmemopen(small, sizeof small, "w");

		setvbuf(f, NULL, _IONBF, 0);
		is_int(ndjson_write(f, jv_parse("{\"long\":\"more than eight bytes\"}")), -1,
		    "a write error is -1");
		fclose(f);
	}
	return done_testing();
}
