/* Unit tests for lib/base/record.c: the jq-free record reader (one line at a time,
 * each checked alone, numbered) and the one writer of the error event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "base/record.h"
#include "tap.h"

/* What a walker handed out: "L:rec" or "L!why" per line, joined by '|'. */
static int
collect(const char *rec, size_t len, long lineno, const char *why, void *ctx)
{
	struct buf *b = ctx;

	if (b->len)
		buf_addc(b, '|');
	if (rec)
		buf_printf(b, "%ld:%.*s", lineno, (int)len, rec);
	else
		buf_printf(b, "%ld!%s", lineno, why);
	return 0;
}

static int
stop_second(const char *rec, size_t len, long lineno, const char *why, void *ctx)
{
	collect(rec, len, lineno, why, ctx);
	return lineno == 2 ? 7 : 0;
}

static const struct {
	const char *in, *want;
	size_t max;
} vectors[] = {
	{ "{\"a\":1}\n{\"b\":2}\n", "1:{\"a\":1}|2:{\"b\":2}", RECORD_MAXLINE },
	{ "{\"a\":1}", "1:{\"a\":1}", RECORD_MAXLINE },                  /* no final newline */
	{ "{\"a\":1}\r\n", "1:{\"a\":1}", RECORD_MAXLINE },              /* CRLF */
	{ "\n  \t\r\n{}\n", "3:{}", RECORD_MAXLINE },                     /* blank lines skipped */
	{ "[1]\n", "1!not a JSON object", RECORD_MAXLINE },
	{ "\"s\"\n", "1!not a JSON object", RECORD_MAXLINE },
	{ "{\"a\":\n{}\n", "1!malformed JSON at byte 5: unexpected end|2:{}", RECORD_MAXLINE },
	{ "{\"a\":\"\xff\"}\n", "1!invalid UTF-8", RECORD_MAXLINE },
	{ "{\"aaaa\":1}\n{}\n", "1!line longer than 8 bytes|2:{}", 8 },
	{ "  {\"a\":1}  \n", "1:  {\"a\":1}  ", RECORD_MAXLINE },         /* spaces around: kept */
};

static void
test_each(void)
{
	size_t i;

	for (i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		struct buf got = BUF_INIT, mem = BUF_INIT;
		size_t n = strlen(vectors[i].in);
		FILE *in = fmemopen((void *)vectors[i].in, n, "r");
		int rc = record_each(in, vectors[i].max, collect, &got);
		fclose(in);
		is_int(rc, 0, "record_each %zu returns 0", i);
		is_str(got.p ? got.p : "", vectors[i].want, "record_each %zu", i);
		rc = record_each_mem(vectors[i].in, n, vectors[i].max, collect, &mem);
		is_str(mem.p ? mem.p : "", vectors[i].want, "record_each_mem %zu agrees", i);
		buf_free(&got);
		buf_free(&mem);
	}
}

static void
test_nul_and_stop(void)
{
	static const char nul[] = "{\"a\":\"x\0y\"}\n{}\n";
	struct buf got = BUF_INIT;
	FILE *in = fmemopen((void *)nul, sizeof nul - 1, "r");

	record_each(in, RECORD_MAXLINE, collect, &got);
	fclose(in);
	is_str(got.p, "1!NUL byte in JSON text|2:{}", "a NUL byte is refused, the stream goes on");
	buf_reset(&got);
	is_int(record_each_mem("{}\n{}\n{}\n", 9, RECORD_MAXLINE, stop_second, &got), 7,
	    "a non-zero return stops the walk and is returned");
	is_str(got.p, "1:{}|2:{}", "nothing after the stop");
	buf_free(&got);
}

/* Bytes fed one at a time come out as the same lines as the whole. */
static void
test_take(void)
{
	const char *in = "{\"a\":1}\r\n\n[2]\n{\"b\":\"\xc3\xa9\"}\n{\"c\"";
	struct buf b = BUF_INIT, got = BUF_INIT;
	size_t i, n = strlen(in), off;
	const char *rec, *why;
	long lineno = 0;
	int r;

	for (i = 0; i < n; i++) {
		buf_addc(&b, in[i]);
		off = 0;
		while ((r = record_take(&b, &off, RECORD_MAXLINE, &rec, &n, &why)) > 0)
			collect(rec, n, ++lineno, why, &got);
		buf_consume(&b, off);
		n = strlen(in);
	}
	is_str(got.p, "1:{\"a\":1}|2!not a JSON object|3:{\"b\":\"\xc3\xa9\"}",
	    "record_take: complete lines only, a byte at a time");
	is_str(b.p, "{\"c\"", "the unfinished line stays in the buffer");
	buf_reset(&b);
	buf_adds(&b, "0123456789");
	off = 0;
	is_int(record_take(&b, &off, 8, &rec, &n, &why), -1, "an unfinished line past the cap: -1");
	buf_free(&b);
	buf_free(&got);
}

static void
test_error(void)
{
	struct buf b = BUF_INIT;

	record_error(&b, 65, 3, "not a \"JSON\" object\n");
	is_str(b.p, "{\"type\":\"error\",\"code\":65,\"line\":3,\"message\":\"not a \\\"JSON\\\" object\\n\"}",
	    "record_error with a line number, escaped");
	buf_reset(&b);
	record_error(&b, 70, 0, "x");
	is_str(b.p, "{\"type\":\"error\",\"code\":70,\"message\":\"x\"}", "record_error without one");
	buf_free(&b);
}

static void
test_file(void)
{
	char path[] = "/tmp/claw-unit-file-XXXXXX";
	struct buf b = BUF_INIT;
	int fd = mkstemp(path);

	ok(fd >= 0 && write(fd, "hello\n", 6) == 6, "a file to read");
	close(fd);
	is_int(file_read(path, 6, &b), 0, "file_read at exactly the cap");
	is_str(b.p, "hello\n", "its bytes");
	buf_reset(&b);
	is_int(file_read(path, 5, &b), EX_DATAERR, "one byte over the cap: EX_DATAERR");
	ok(strstr(err_msg(), "larger than 5 bytes") != NULL, "the message says the cap: %s", err_msg());
	buf_reset(&b);
	unlink(path);
	is_int(file_read(path, 6, &b), EX_NOINPUT, "a missing file: EX_NOINPUT");
	buf_reset(&b);
	is_int(file_read("/dev/zero", 4096, &b), EX_DATAERR, "an endless file stops at the cap");
	buf_free(&b);
}

int
main(void)
{
	test_each();
	test_nul_and_stop();
	test_take();
	test_error();
	test_file();
	return done_testing();
}
