/* sandbox: the layers claw-sandbox puts around a skill process — environment, rlimits,
 * namespaces, no_new_privs, capabilities — each one call that returns an error (Landlock
 * and seccomp: landlock.h, seccomp.h). */
#ifndef CLAW_SANDBOX_H
#define CLAW_SANDBOX_H
#include <stddef.h>
#include <sys/types.h>

#include "base/path.h"

/* A layer call returns 0 when applied, SANDBOX_UNAVAILABLE when this machine
 * does not offer the layer (err says why; the caller may go on without it), or
 * an exit code with err set when the layer exists but could not be applied. */
#define SANDBOX_UNAVAILABLE (-1)

/* The exit status for a program stopped by the wall-clock limit, as timeout(1). */
#define SANDBOX_TIMEDOUT 124

/* The system PATH a sandboxed program gets, whatever the caller's was. */
#define SANDBOX_PATH PATH_DEFAULT

/* RLIMIT_AS is mem_mb plus this: node 20 reserves ~720 MiB of address space
 * before its first line (python3 ~20 MiB), and V8 about twice the heap it uses. */
#define SANDBOX_AS_SLACK_MB 1024

struct sandbox_limits {
	unsigned long cpu_s;    /* RLIMIT_CPU: SIGXCPU at cpu_s, SIGKILL a second later */
	unsigned long mem_mb;   /* RLIMIT_DATA: heap and private mappings; RLIMIT_AS:
				 * every mapping, mem_mb + SANDBOX_AS_SLACK_MB */
	unsigned long file_mb;  /* RLIMIT_FSIZE: the largest file it may write */
	unsigned long nofile;   /* RLIMIT_NOFILE */
	unsigned long nproc;    /* processes and threads, see sandbox_nproc() */
};

/* The environment of the sandboxed program: PATH=SANDBOX_PATH, LANG and LC_ALL
 * C.UTF-8, HOME and TMPDIR = dir, then each variable in names copied from ours
 * when set (LANG and LC_* may be overridden that way; PATH, HOME and TMPDIR may
 * not: EX_USAGE).  A NULL-terminated array the caller frees with free(). */
int sandbox_env(char ***envp, const char *dir, char *const names[], size_t n);

int sandbox_rlimits(const struct sandbox_limits *l);

/* unshare(2) a user, pid and (unless net) network namespace, mapping our uid and
 * gid to themselves.  Our children are then in the new pid namespace: the first
 * one is its init, and every process in it dies with that init. */
int sandbox_unshare(int net);

/* Bound the number of processes a fork bomb can make: RLIMIT_NPROC, which inside
 * a fresh user namespace counts only that namespace's processes (root ignores
 * it), and, called in the init of a pid namespace on Linux >= 6.14, that
 * namespace's pid_max (300 + n: pids below 300 are only used before the first
 * wrap).  what names the bound that applies; SANDBOX_UNAVAILABLE when none does. */
int sandbox_nproc(unsigned long n, int userns, int pidns, const char **what);

int sandbox_no_new_privs(void);

/* Drop every capability (bounding set included), so a root-owned program gets
 * none back at execve. */
int sandbox_drop_caps(void);

/* Wait for child; after wall_s seconds (0: never), or when we get SIGTERM,
 * SIGINT or SIGHUP, kill it with SIGKILL, then its process group too when group.
 * SIGCHLD, SIGTERM, SIGINT and SIGHUP must be blocked (sandbox_block_signals)
 * before the fork.  Returns its exit status as a shell reports it (128+signal),
 * SANDBOX_TIMEDOUT after the wall-clock limit; -1 with err set if waiting failed. */
int sandbox_block_signals(void);
int sandbox_unblock_signals(void);
int sandbox_supervise(pid_t child, unsigned long wall_s, int group);

/* As the init of a pid namespace: reap every process, and return main's exit
 * status (128+signal) once main is gone; -1 with err set if waiting failed. */
int sandbox_reap(pid_t main);

/* What this machine offers, one layer per line as claw-sandbox --check prints it. */
struct sandbox_layer {
	const char *name;
	int active;
	char detail[96];
};
size_t sandbox_check(struct sandbox_layer *out, size_t max);
#endif
