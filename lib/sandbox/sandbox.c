/* sandbox: one function per layer around a skill process (C-NOTES.md §3 says which work
 * where), and --check's probe; Landlock and seccomp have their own files.  Nothing here
 * prints or exits: the caller decides what a missing layer means. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "sandbox/landlock.h"
#include "sandbox/sandbox.h"
#include "sandbox/seccomp.h"

extern char **environ;

/* Environment */

static int
reserved(const char *name)
{
	return !strcmp(name, "PATH") || !strcmp(name, "HOME") || !strcmp(name, "TMPDIR");
}

static int
var_name(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* Put "NAME=value" into e, replacing an entry of the same name. */
static void
env_put(char **e, size_t *k, char *entry)
{
	size_t i, len = strcspn(entry, "=") + 1;

	for (i = 0; i < *k; i++)
		if (!strncmp(e[i], entry, len)) {
			e[i] = entry;
			return;
		}
	e[(*k)++] = entry;
}

int
sandbox_env(char ***envp, const char *dir, char *const names[], size_t n)
{
	size_t i, k = 0, dlen = strlen(dir), slots = n + 6;
	char **e, *home, *tmp, **v;

	*envp = NULL;
	for (i = 0; i < n; i++) {
		if (!var_name(names[i]))
			return err_set(EX_USAGE, "-e %s: not a variable name", names[i]);
		if (reserved(names[i]))
			return err_set(EX_USAGE, "-e %s: claw-sandbox sets it", names[i]);
	}
	/* One block: the array, then the two strings that name dir. */
	if (!(e = malloc(slots * sizeof *e + 2 * (dlen + 8))))
		return err_set(EX_SOFTWARE, "environment:");
	home = (char *)(e + slots);
	tmp = home + dlen + 8;
	snprintf(home, dlen + 8, "HOME=%s", dir);
	snprintf(tmp, dlen + 8, "TMPDIR=%s", dir);
	e[k++] = (char *)"PATH=" SANDBOX_PATH;
	e[k++] = (char *)"LANG=C.UTF-8";
	e[k++] = (char *)"LC_ALL=C.UTF-8";
	e[k++] = home;
	e[k++] = tmp;
	for (i = 0; i < n; i++) {
		size_t len = strlen(names[i]);
		for (v = environ; v && *v; v++)
			if (!strncmp(*v, names[i], len) && (*v)[len] == '=') {
				env_put(e, &k, *v);
				break;
			}
	}
	e[k] = NULL;
	*envp = e;
	return 0;
}

/* Resource limits */

static int
limit(int res, rlim_t soft, rlim_t hard, const char *name)
{
	struct rlimit r;

	/* Only ever lower: a hard limit the caller already has stays the ceiling. */
	if (getrlimit(res, &r) < 0)
		return err_set(EX_SOFTWARE, "getrlimit %s:", name);
	if (hard > r.rlim_max)
		hard = r.rlim_max;
	if (soft > hard)
		soft = hard;
	r.rlim_cur = soft;
	r.rlim_max = hard;
	if (setrlimit(res, &r) < 0)
		return err_set(EX_SOFTWARE, "setrlimit %s:", name);
	return 0;
}

int
sandbox_rlimits(const struct sandbox_limits *l)
{
	const rlim_t mb = 1024 * 1024;

	/* Soft below hard: SIGXCPU first, a handler gets a second to finish. */
	if (limit(RLIMIT_CPU, l->cpu_s, l->cpu_s + 1, "cpu") ||
	    limit(RLIMIT_DATA, l->mem_mb * mb, l->mem_mb * mb, "data") ||
	    /* DATA leaves out shared and MAP_GROWSDOWN mappings; AS counts them, with
	     * room for what V8 reserves and never touches. */
	    limit(RLIMIT_AS, (l->mem_mb + SANDBOX_AS_SLACK_MB) * mb,
		(l->mem_mb + SANDBOX_AS_SLACK_MB) * mb, "as") ||
	    limit(RLIMIT_FSIZE, l->file_mb * mb, l->file_mb * mb, "fsize") ||
	    limit(RLIMIT_NOFILE, l->nofile, l->nofile, "nofile") ||
	    limit(RLIMIT_CORE, 0, 0, "core"))
		return err_code();
	return 0;
}

/* Namespaces */

static int
write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), e;
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

int
sandbox_unshare(int net)
{
	unsigned uid = (unsigned)geteuid(), gid = (unsigned)getegid();
	char map[64];

	if (unshare(CLONE_NEWUSER | CLONE_NEWPID | (net ? 0 : CLONE_NEWNET)) < 0) {
		/* Containers, seccomp profiles and AppArmor (Ubuntu >= 23.10) refuse it. */
		if (errno == EPERM || errno == EINVAL || errno == ENOSPC || errno == EUSERS ||
		    errno == ENOSYS || errno == EACCES) {
			err_set(EX_SOFTWARE, "unshare:");
			return SANDBOX_UNAVAILABLE;
		}
		return err_set(EX_SOFTWARE, "unshare:");
	}
	/* Half a namespace (an unmapped uid) is no state to run a program in. */
	snprintf(map, sizeof map, "%u %u 1", uid, uid);
	if (write_file("/proc/self/uid_map", map) < 0)
		return err_set(EX_SOFTWARE, "/proc/self/uid_map:");
	if (write_file("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
		return err_set(EX_SOFTWARE, "/proc/self/setgroups:");
	snprintf(map, sizeof map, "%u %u 1", gid, gid);
	if (write_file("/proc/self/gid_map", map) < 0)
		return err_set(EX_SOFTWARE, "/proc/self/gid_map:");
	return 0;
}

/* Since Linux 6.14 each pid namespace has its own pid_max.  Before, there is
 * one for the machine, and root in a user namespace that maps uid 0 to itself
 * may still write it: so never try there. */
static int
pid_max_per_ns(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 0;
	return major > 6 || (major == 6 && minor >= 14);
}

int
sandbox_nproc(unsigned long n, int userns, int pidns, const char **what)
{
	struct rlimit r = { n, n };
	char v[32];
	int pidmax = 0;

	*what = NULL;
	/* Only root needs it (RLIMIT_NPROC binds everyone else), and only as init
	 * of its own pid namespace, where pid_max is the namespace's. */
	if (pidns && getuid() == 0 && getpid() == 1 && pid_max_per_ns()) {
		snprintf(v, sizeof v, "%lu", 300 + n);
		if (write_file("/proc/sys/kernel/pid_max", v) == 0)
			pidmax = 1;
		else if (errno != EPERM && errno != EACCES && errno != EROFS && errno != ENOENT &&
		    errno != EINVAL)
			return err_set(EX_SOFTWARE, "/proc/sys/kernel/pid_max:");
	}
	/* Outside a fresh user namespace RLIMIT_NPROC counts every process of our
	 * uid on the machine, so it would fail for reasons not ours. */
	if (userns) {
		if (setrlimit(RLIMIT_NPROC, &r) < 0)
			return err_set(EX_SOFTWARE, "setrlimit nproc:");
		if (getuid() != 0) {
			*what = "RLIMIT_NPROC per user namespace";
			return 0;
		}
	}
	if (pidmax) {
		*what = "pid_max in the pid namespace (root ignores RLIMIT_NPROC)";
		return 0;
	}
	err_set(EX_SOFTWARE, "%s", !userns ? "no user namespace for a private RLIMIT_NPROC" :
	    "root ignores RLIMIT_NPROC and this kernel has no per-namespace pid_max");
	return SANDBOX_UNAVAILABLE;
}

int
sandbox_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_set(EX_SOFTWARE, "no_new_privs:");
	return 0;
}

int
sandbox_drop_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int c;

	/* The bounding set is what root would get back at execve.  EPERM: we lack
	 * CAP_SETPCAP, so we are no root and execve gives us nothing anyway. */
	for (c = 0; c < 64; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break;
			if (errno != EPERM)
				return err_set(EX_SOFTWARE, "capabilities:");
		}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(d, 0, sizeof d);
	if (syscall(SYS_capset, &h, d) < 0)
		return err_set(EX_SOFTWARE, "capset:");
	return 0;
}

/* Processes */

static void
fill_set(sigset_t *s)
{
	sigemptyset(s);
	sigaddset(s, SIGCHLD);
	sigaddset(s, SIGTERM);
	sigaddset(s, SIGINT);
	sigaddset(s, SIGHUP);
}

int
sandbox_block_signals(void)
{
	sigset_t s;

	fill_set(&s);
	if (sigprocmask(SIG_BLOCK, &s, NULL) < 0)
		return err_set(EX_SOFTWARE, "sigprocmask:");
	return 0;
}

int
sandbox_unblock_signals(void)
{
	sigset_t s;

	fill_set(&s);
	if (sigprocmask(SIG_UNBLOCK, &s, NULL) < 0)
		return err_set(EX_SOFTWARE, "sigprocmask:");
	return 0;
}

static int
exit_status(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The child first: it may not have made its group yet (a child that makes one
 * before it forks leaves nothing outside it), then the group. */
static void
kill_all(pid_t child, int group)
{
	kill(child, SIGKILL);
	if (group)
		kill(-child, SIGKILL);
}

int
sandbox_supervise(pid_t child, unsigned long wall_s, int group)
{
	long long deadline = wall_s ? clock_mono_ms() + (long long)wall_s * 1000 : -1, left;
	struct timespec ts = { 0, 0 };
	sigset_t s;
	int status = 0, killed = 0, sig;
	pid_t r;

	fill_set(&s);
	for (;;) {
		r = waitpid(child, &status, killed ? 0 : WNOHANG);
		if (r == child)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err_set(EX_SOFTWARE, "waitpid:");
			return -1;
		}
		if (killed)
			continue;
		if (deadline >= 0) {
			if ((left = deadline - clock_mono_ms()) <= 0) {
				killed = SANDBOX_TIMEDOUT;
				kill_all(child, group);
				continue;
			}
			ts.tv_sec = left / 1000;
			ts.tv_nsec = (left % 1000) * 1000000;
		}
		/* Woken by SIGCHLD at once, not by polling: this wait is on every skill run. */
		sig = sigtimedwait(&s, NULL, deadline >= 0 ? &ts : NULL);
		if (sig < 0 || sig == SIGCHLD)
			continue;      /* time is up (EAGAIN) or the child changed: look again */
		killed = 128 + sig;
		kill_all(child, group);
	}
	if (group)
		kill(-child, SIGKILL);  /* whatever it left behind in its group */
	return killed ? killed : exit_status(status);
}

int
sandbox_reap(pid_t main)
{
	int status;
	pid_t r;

	for (;;) {
		r = waitpid(-1, &status, 0);
		if (r == main)
			return exit_status(status);
		if (r < 0 && errno != EINTR) {
			err_set(EX_SOFTWARE, "waitpid:");
			return -1;
		}
	}
}

/* --check */

struct probe {
	int ns, nproc, seccomp;
	char nsmsg[96], nprocmsg[96], seccompmsg[96];
};

static void
probe_ns(struct probe *pr)
{
	const char *what;
	pid_t pid;
	int rc;

	if ((rc = sandbox_unshare(0))) {
		snprintf(pr->nsmsg, sizeof pr->nsmsg, "%s", err_msg());
		snprintf(pr->nprocmsg, sizeof pr->nprocmsg, "%s",
		    "no user namespace for a private RLIMIT_NPROC");
		return;
	}
	pr->ns = 1;
	snprintf(pr->nsmsg, sizeof pr->nsmsg, "user pid net");
	if ((pid = fork()) == 0) {
		rc = sandbox_nproc(64, 1, 1, &what);
		pr->nproc = rc == 0;
		snprintf(pr->nprocmsg, sizeof pr->nprocmsg, "%s", rc == 0 ? what : err_msg());
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void
probe_seccomp(struct probe *pr)
{
	int rc;

	if ((rc = sandbox_no_new_privs()) == 0)
		rc = sandbox_seccomp(0);
	pr->seccomp = rc == 0;
	if (rc)
		snprintf(pr->seccompmsg, sizeof pr->seccompmsg, "%s", err_msg());
	else
		sandbox_seccomp_lib(pr->seccompmsg, sizeof pr->seccompmsg);
}

static void
layer(struct sandbox_layer *out, size_t max, size_t *n, const char *name, int active,
    const char *detail)
{
	if (*n >= max)
		return;
	out[*n].name = name;
	out[*n].active = active;
	snprintf(out[*n].detail, sizeof out[*n].detail, "%s", detail);
	(*n)++;
}

size_t
sandbox_check(struct sandbox_layer *out, size_t max)
{
	struct probe *pr;
	char d[96];
	size_t n = 0;
	pid_t pid;
	int abi;

	/* Each probe runs in a child, which keeps what it sets up, so we stay as we were. */
	pr = mmap(NULL, sizeof *pr, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (pr == MAP_FAILED)
		return 0;
	memset(pr, 0, sizeof *pr);
	snprintf(pr->nsmsg, sizeof pr->nsmsg, "probe failed");
	snprintf(pr->nprocmsg, sizeof pr->nprocmsg, "probe failed");
	snprintf(pr->seccompmsg, sizeof pr->seccompmsg, "probe failed");
	if ((pid = fork()) == 0) {
		probe_ns(pr);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	if ((pid = fork()) == 0) {
		probe_seccomp(pr);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);

	layer(out, max, &n, "rlimits", 1, "cpu data as fsize nofile core");
	layer(out, max, &n, "supervisor", 1, "wall clock, process group, parent death");
	layer(out, max, &n, "namespaces", pr->ns, pr->nsmsg);
	layer(out, max, &n, "nproc", pr->nproc, pr->nprocmsg);
	layer(out, max, &n, "no_new_privs", 1, "prctl");
	layer(out, max, &n, "capabilities", 1, "all dropped, bounding set too");
	if ((abi = sandbox_landlock_abi()) > 0) {
		snprintf(d, sizeof d, "ABI %d", abi);
		layer(out, max, &n, "landlock", 1, d);
	} else {
		layer(out, max, &n, "landlock", 0, errno == EOPNOTSUPP ? "disabled at boot" :
		    "this kernel has no Landlock");
	}
	layer(out, max, &n, "landlock-net", abi >= 4, abi >= 4 ? "TCP bind and connect" :
	    "needs Landlock ABI 4 (Linux 6.7)");
	layer(out, max, &n, "seccomp", pr->seccomp, pr->seccompmsg);
	munmap(pr, sizeof *pr);
	return n;
}
