/* daemon: a long-running server's pidfile (locked while it runs), detaching with
 * a readiness pipe so that `start` returns only once the service answers, and
 * the stop and status that read the pidfile.  claw-gateway and claw-node use it. */
#ifndef CLAW_DAEMON_H
#define CLAW_DAEMON_H
#include <stddef.h>
#include <sys/types.h>

#define DAEMON_CHILD (-1)     /* daemon_detach in the child: go on starting */

struct daemon {
	char pidfile[4096];
	int pidfd;                /* locked while the daemon runs, -1 before daemon_lock */
	int ready;                /* detached: the pipe to the waiting parent, else -1 */
};

void daemon_init(struct daemon *d);
/* Fork a child in a new session.  In the parent, wait until the child calls
 * daemon_ready or daemon_fail (or dies): returns its exit code (0: it started)
 * with its message in msg.  In the child returns DAEMON_CHILD. */
int daemon_detach(struct daemon *d, char *msg, size_t n);
/* Lock $CLAW_HOME/run/NAME.pid: 0, or EX_UNAVAILABLE "already running (...)"
 * naming what the running one wrote, or EX_CANTCREAT. */
int daemon_lock(struct daemon *d, const char *name);
/* "PID INFO\n" into the locked pidfile (INFO: where it listens), then "rss_kb N\n":
 * this process's resident memory now, what growth is counted from.  0 or EX_IOERR. */
int daemon_write(struct daemon *d, const char *info);
/* Detached: standard input and output to /dev/null, standard error appended to
 * $CLAW_HOME/LOG, then msg to the parent, which prints it and exits 0.  In the
 * foreground nothing happens. */
void daemon_ready(struct daemon *d, const char *log, const char *msg);
/* Detached: tell the parent start failed with rc and err_msg(). */
void daemon_fail(struct daemon *d, int rc);
void daemon_free(struct daemon *d);   /* the pidfile's lock goes (it goes at exit anyway) */

/* The running daemon NAME: its pid and INFO: 0, or EX_NORESULT when none runs. */
int daemon_running(const char *name, pid_t *pid, char *info, size_t n);
/* And its resident memory in kB when it wrote the pidfile (-1: not said). */
int daemon_running_rss(const char *name, pid_t *pid, char *info, size_t n, long long *rss_kb);
/* SIGTERM to it, and wait up to timeout_ms for it to exit: 0; EX_NORESULT when
 * none runs, EX_TEMPFAIL when it did not stop, EX_NOPERM; err set. */
int daemon_stop(const char *name, int timeout_ms);
#endif
