/* err: the one exit-code table and the error a lib/ call leaves for its caller.
 * lib/ never prints or exits: it records what failed here and returns the code. */
#ifndef CLAW_ERR_H
#define CLAW_ERR_H
#include <sysexits.h>

#define EX_NORESULT 1   /* "no result", as grep says it */

/* Record "what: why" for the caller and return code.  A format ending in ':'
 * gets ": strerror(errno)" appended, as sbase's eprintf does. */
int err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *err_msg(void);
int err_code(void);

/* For cmd/ only: name the program, print one diagnostic line on stderr. */
void diag_init(const char *argv0);
const char *diag_prog(void);
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int diag_err(void);     /* prints err_msg(), returns err_code() */
int out_finish(void);   /* flush stdout; a failed write is EX_IOERR, a closed pipe is quiet */
#endif
