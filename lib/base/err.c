/* err: the error a lib/ call leaves behind, and the cmd/ side's one-line diagnostics. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"

static _Thread_local char msg[1024];
static _Thread_local int code;
static const char *prog = "claw";

static void vformat(char *dst, size_t n, const char *fmt, va_list ap)
{
	int saved = errno;
	size_t len;

	vsnprintf(dst, n, fmt, ap);
	len = strlen(fmt);
	if (len > 0 && fmt[len - 1] == ':') {
		size_t used = strlen(dst);
		snprintf(dst + used, n - used, " %s", strerror(saved));
	}
}

int
err_set(int c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vformat(msg, sizeof msg, fmt, ap);
	va_end(ap);
	code = c;
	return c;
}

const char *err_msg(void) { return msg[0] ? msg : "unknown error"; }
int err_code(void) { return code ? code : EX_SOFTWARE; }

void
diag_init(const char *argv0)
{
	const char *s = argv0 ? strrchr(argv0, '/') : NULL;

	prog = s ? s + 1 : argv0 ? argv0 : "claw";
}

const char *diag_prog(void) { return prog; }

void
diag(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vformat(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", prog, line);
}

int
diag_err(void)
{
	fprintf(stderr, "%s: %s\n", prog, err_msg());
	return err_code();
}

int
out_finish(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	if (errno == EPIPE)
		return 0;
	diag("stdout:");
	return EX_IOERR;
}
