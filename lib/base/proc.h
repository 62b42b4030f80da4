/* proc: child processes with pipes, in their own process group, with a time
 * limit after which the whole group is killed. */
#ifndef CLAW_PROC_H
#define CLAW_PROC_H
#include <stddef.h>
#include <sys/types.h>

#include "base/buf.h"

/* What proc_wait and proc_run return when the child gave no exit status. */
enum {
	PROC_TIMEDOUT = -1,      /* killed at the time limit */
	PROC_TOOBIG = -2,        /* killed at the output cap */
	PROC_NOSTART = -3,       /* never started: err is set */
};

/* The longest time limit, in seconds, that a claw child is given: a SKILL.md's
 * timeout is at most this, and claw-chat waits no longer for a tool. */
#define PROC_TIMEOUT_MAX 3600

struct proc {
	pid_t pid;
	int in, out;            /* our ends: write to its stdin, read its stdout (-1 when closed) */
	int err;                /* its stderr when proc_run_err took it, else -1 */
};

/* Start argv[0] (searched on PATH when it has no '/') with envp (NULL: ours).
 * Its stderr is ours.  0, or an exit code with err set. */
int proc_spawn(struct proc *p, char *const argv[], char *const envp[]);
/* The same with its stderr a pipe of ours too (p->err), for a caller that carries
 * stdout and stderr apart (claw-node's remote runs). */
int proc_spawn_err(struct proc *p, char *const argv[], char *const envp[]);

/* Wait for the child; kill its group after timeout_ms (< 0: never).  Returns the
 * exit status as a shell reports it (128+signal), or PROC_TIMEDOUT. */
int proc_wait(struct proc *p, int timeout_ms);
void proc_kill(struct proc *p);

/* Run to completion: write input, collect stdout into out (at most maxout bytes;
 * more kills the child), enforce timeout_ms.  Returns as proc_wait, PROC_TOOBIG
 * when the output cap was hit, or PROC_NOSTART. */
int proc_run(char *const argv[], char *const envp[], const char *input, size_t inlen,
    struct buf *out, size_t maxout, int timeout_ms);
/* proc_run with the child's stderr a pipe of ours (never our terminal) collected into
 * err (NULL: ours, as proc_run), at most maxerr bytes: the rest is read and dropped,
 * and *errcut (or NULL) says so.  Stderr never kills the child. */
int proc_run_err(char *const argv[], char *const envp[], const char *input, size_t inlen,
    struct buf *out, size_t maxout, struct buf *err, size_t maxerr, int *errcut,
    int timeout_ms);
#endif
