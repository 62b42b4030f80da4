/* tap: a tiny Test Anything Protocol producer for the C unit tests, run by prove.
 *   plan(n) or none; ok(cond, fmt, ...); is_str(got, want, fmt, ...);
 *   is_int(got, want, fmt, ...); note(fmt, ...); return done_testing();
 * Set tap_todo to a reason to mark the next results as a known bug (TAP "# TODO"):
 * they are reported but do not fail the run, and prove shows them when they pass. */
#ifndef CLAW_TAP_H
#define CLAW_TAP_H
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_run, tap_failed, tap_planned = -1;
static const char *tap_todo __attribute__((unused));

#define TAP_FN static __attribute__((unused))

TAP_FN void
plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static void
tap_vresult(int pass, const char *fmt, va_list ap)
{
	tap_run++;
	if (!pass && !tap_todo)
		tap_failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_run);
	vprintf(fmt, ap);
	if (tap_todo)
		printf(" # TODO %s", tap_todo);
	putchar('\n');
	fflush(stdout);
}

/* A comment line; prove shows those written to stderr next to a failure. */
TAP_FN __attribute__((format(printf, 1, 2))) void
note(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

TAP_FN __attribute__((format(printf, 2, 3))) int
ok(int pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vresult(pass, fmt, ap);
	va_end(ap);
	return pass;
}

/* NULL equals only NULL. */
TAP_FN __attribute__((format(printf, 3, 4))) int
is_str(const char *got, const char *want, const char *fmt, ...)
{
	int pass = (got && want) ? strcmp(got, want) == 0 : got == want;
	va_list ap;

	va_start(ap, fmt);
	tap_vresult(pass, fmt, ap);
	va_end(ap);
	if (!pass) {
		note("     got: %s%s%s", got ? "'" : "", got ? got : "NULL", got ? "'" : "");
		note("expected: %s%s%s", want ? "'" : "", want ? want : "NULL", want ? "'" : "");
	}
	return pass;
}

TAP_FN __attribute__((format(printf, 3, 4))) int
is_int(long long got, long long want, const char *fmt, ...)
{
	int pass = got == want;
	va_list ap;

	va_start(ap, fmt);
	tap_vresult(pass, fmt, ap);
	va_end(ap);
	if (!pass) {
		note("     got: %lld", got);
		note("expected: %lld", want);
	}
	return pass;
}

/* The exit status of main: 1 when a test failed or the plan was not kept. */
TAP_FN int
done_testing(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_run);
	else if (tap_planned != tap_run)
		note("planned %d tests but ran %d", tap_planned, tap_run);
	if (tap_failed)
		note("failed %d of %d tests", tap_failed, tap_run);
	fflush(stdout);
	return tap_failed || (tap_planned >= 0 && tap_planned != tap_run) ? 1 : 0;
}
#endif
