/* proc: child processes with pipes, in their own process group, with a time
 * limit after which the whole group is killed. */
#ifndef CLAW_PROC_H
#define CLAW_PROC_H
#include <stddef.h>
#include <sys/types.h>

#include "base/buf.h"

struct proc {
	pid_t pid;
	int in, out;            /* our ends: write to its stdin, read its stdout (-1 when closed) */
};

/* Start argv[0] (searched on PATH when it has no '/') with envp (NULL: ours).
 * Its stderr is ours.  0, or an exit code with err set. */
int proc_spawn(struct proc *p, char *const argv[], char *const envp[]);

/* Wait for the child; kill its group after timeout_ms (< 0: never).  Returns the
 * exit status as a shell reports it (128+signal), or -1 when it timed out. */
int proc_wait(struct proc *p, int timeout_ms);
void proc_kill(struct proc *p);

/* Run to completion: write input, collect stdout into out (at most maxout bytes;
 * more kills the child), enforce timeout_ms.  Returns as proc_wait, or -2 when
 * the output cap was hit; < -2 never.  err is set on spawn failure (returns -3). */
int proc_run(char *const argv[], char *const envp[], const char *input, size_t inlen,
    struct buf *out, size_t maxout, int timeout_ms);
#endif
