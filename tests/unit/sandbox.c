/* Unit tests for lib/sandbox/: the scrubbed environment, the rlimits, the supervisor's
 * exit statuses and wall clock, and what the seccomp filter refuses and lets through. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "sandbox/display.h"
#include "sandbox/landlock.h"
#include "sandbox/sandbox.h"
#include "sandbox/seccomp.h"
#include "tap.h"

extern char **environ;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
find(char **env, const char *name)
{
	size_t len = strlen(name);

	for (; *env; env++)
		if (!strncmp(*env, name, len) && (*env)[len] == '=')
			return *env + len + 1;
	return NULL;
}

static size_t
count(char **env)
{
	size_t n = 0;

	while (env[n])
		n++;
	return n;
}

/* Run fn in a child and return what it exits with (a bitmask of failed checks). */
static int
in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int
limits(void)
{
	struct sandbox_limits l = { 7, 100, 2, 64, 16 };
	struct rlimit r;
	int bad = 0;

	/* A hard limit already lower than asked stays: the sandbox only ever lowers. */
	r.rlim_cur = r.rlim_max = 32;
	setrlimit(RLIMIT_NOFILE, &r);
	if (sandbox_rlimits(&l))
		return 1;
	getrlimit(RLIMIT_CPU, &r);
	bad |= (r.rlim_cur != 7 || r.rlim_max != 8) << 1;
	getrlimit(RLIMIT_DATA, &r);
	bad |= (r.rlim_cur != 100UL << 20) << 2;
	getrlimit(RLIMIT_FSIZE, &r);
	bad |= (r.rlim_cur != 2UL << 20) << 3;
	getrlimit(RLIMIT_NOFILE, &r);
	bad |= (r.rlim_cur != 32 || r.rlim_max != 32) << 4;
	getrlimit(RLIMIT_CORE, &r);
	bad |= (r.rlim_max != 0) << 5;
	getrlimit(RLIMIT_AS, &r);
	bad |= (r.rlim_cur != (100UL + SANDBOX_AS_SLACK_MB) << 20) << 6;
	return bad;
}

/* The filter without -n: each check that goes wrong sets one bit. */
static int
filter(void)
{
	int bad = 0, sv[2];

	if (sandbox_no_new_privs() || sandbox_seccomp(0))
		return 1;
	errno = 0;
	bad |= (socket(AF_INET, SOCK_STREAM, 0) >= 0 || errno != EPERM) << 1;
	errno = 0;
	bad |= (socket(AF_NETLINK, SOCK_RAW, 0) >= 0 || errno != EPERM) << 2;
	errno = 0;
	bad |= (socket(AF_UNIX, SOCK_STREAM, 0) >= 0 || errno != EPERM) << 3;
	bad |= (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) << 12;
	errno = 0;
	bad |= (unshare(CLONE_NEWUSER) == 0 || errno != EPERM) << 4;
	errno = 0;
	bad |= (syscall(SYS_clone, (unsigned long)(CLONE_NEWNET | SIGCHLD), 0, 0, 0, 0) >= 0 ||
	    errno != EPERM) << 5;
#ifdef SYS_clone3
	errno = 0;
	bad |= (syscall(SYS_clone3, NULL, 0) >= 0 || errno != ENOSYS) << 6;
#endif
	/* Asking is fine; turning off ASLR is not, with or without bit 31. */
	bad |= (personality(0xffffffff) < 0) << 7;
	errno = 0;
	bad |= (personality(ADDR_NO_RANDOMIZE) >= 0 || errno != EPERM) << 8;
	errno = 0;
	bad |= (personality(0x80000000 | ADDR_NO_RANDOMIZE) >= 0 || errno != EPERM) << 9;
	bad |= (personality(0) < 0) << 10;
	errno = 0;
	bad |= (syscall(SYS_ptrace, 0, 0, 0, 0) >= 0 || errno != EPERM) << 11;
	/* Issue 11: each of these fails otherwise with another errno, or not at all. */
	errno = 0;
	bad |= (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0 || errno != EPERM) << 13;
	errno = 0;
	bad |= (connect(-1, NULL, 0) == 0 || errno != EPERM) << 14;
	errno = 0;
	bad |= (ioctl(-1, TIOCSTI, "x") == 0 || errno != EPERM) << 15;
	errno = 0;
	bad |= (inotify_init1(0) >= 0 || errno != EPERM) << 16;
	errno = 0;
	bad |= (chmod("/nonexistent/claw-unit", 0644) == 0 || errno != EPERM) << 17;
	errno = 0;
	bad |= (chown("/nonexistent/claw-unit", 0, 0) == 0 || errno != EPERM) << 18;
	return bad;
}

static int
filter_net(void)
{
	int fd;

	if (sandbox_no_new_privs() || sandbox_seccomp(1))
		return 1;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	return fd < 0 ? 2 : 0;
}

static pid_t
spawn(const char *script)
{
	pid_t pid = fork();

	if (pid == 0) {
		setpgid(0, 0);
		sandbox_unblock_signals();
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

/* -D: DISPLAY and WAYLAND_DISPLAY into sockets, and which addresses are theirs. */
static void
display(void)
{
	struct sandbox_display d;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t off = offsetof(struct sockaddr_un, sun_path);
	static const char *const bad[] = { "host:0", ":", ":x", ":0.", "/tmp/.X11-unix/X0",
		"unix:", ":99999", "tcp/:0" };
	size_t i;

	setenv("DISPLAY", "unix:7.1", 1);
	setenv("WAYLAND_DISPLAY", "wayland-1", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/5", 1);
	is_int(sandbox_display_parse(&d), 0, "unix:7.1 and wayland-1 parse");
	is_str(d.x11, "/tmp/.X11-unix/X7", "the X server's socket file");
	is_str(d.wayland, "/run/user/5/wayland-1", "the compositor's, in XDG_RUNTIME_DIR");
	unsetenv("XDG_RUNTIME_DIR");
	sandbox_display_parse(&d);
	is_str(d.wayland, "", "a relative WAYLAND_DISPLAY without XDG_RUNTIME_DIR: none");
	setenv("WAYLAND_DISPLAY", "/tmp/wl", 1);
	sandbox_display_parse(&d);
	is_str(d.wayland, "/tmp/wl", "an absolute WAYLAND_DISPLAY is the socket");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		setenv("DISPLAY", bad[i], 1);
		is_int(sandbox_display_parse(&d), EX_USAGE, "DISPLAY=%s is refused", bad[i]);
	}
	setenv("DISPLAY", ":7", 1);
	sandbox_display_parse(&d);
	strcpy(a.sun_path, "/tmp/.X11-unix/X7");
	ok(sandbox_display_wanted(&d, &a, sizeof a) == d.x11, "the X socket file, padded");
	ok(sandbox_display_wanted(&d, &a, off + 17) == d.x11, "the X socket file, no NUL");
	ok(!sandbox_display_wanted(&d, &a, off + 16), "a prefix of it is not");
	memmove(a.sun_path + 1, a.sun_path, 18);
	a.sun_path[0] = '\0';
	ok(sandbox_display_wanted(&d, &a, off + 18) == d.x11, "its abstract name, as libxcb");
	ok(!sandbox_display_wanted(&d, &a, off + 19), "the abstract name with a NUL more is not");
	ok(!sandbox_display_wanted(&d, &a, sizeof a), "nor padded to the whole sun_path");
	strcpy(a.sun_path, "/tmp/.X11-unix/X70");
	ok(!sandbox_display_wanted(&d, &a, sizeof a), "another display is not");
	strcpy(a.sun_path, "/tmp/wl");
	ok(sandbox_display_wanted(&d, &a, sizeof a) == d.wayland, "the compositor's socket");
	a.sun_family = AF_INET;
	ok(!sandbox_display_wanted(&d, &a, sizeof a), "another family is not");
	ok(!sandbox_display_wanted(&d, &a, sizeof a + 1), "nor an address too long");
	unsetenv("DISPLAY");
	unsetenv("WAYLAND_DISPLAY");
}

int
main(void)
{
	int valgrind = getenv("CLAW_VALGRIND") && !strcmp(getenv("CLAW_VALGRIND"), "1");
	char **env;
	long long t0, ms;
	int rc;

	display();
	/* The environment. */
	setenv("OPENAI_API_KEY", "sk-unit-secret", 1);
	setenv("CLAW_UNIT_A", "a value", 1);
	setenv("LANG", "de_DE.UTF-8", 1);
	unsetenv("CLAW_UNIT_UNSET");
	{
		char *names[] = { "CLAW_UNIT_A", "CLAW_UNIT_UNSET", "CLAW_UNIT_A" };
		rc = sandbox_env(&env, "/tmp/scratch", names, 3);
		is_int(rc, 0, "sandbox_env builds an environment");
		is_str(find(env, "PATH"), SANDBOX_PATH, "PATH is the fixed system one");
		is_str(find(env, "HOME"), "/tmp/scratch", "HOME is DIR");
		is_str(find(env, "TMPDIR"), "/tmp/scratch", "TMPDIR is DIR");
		is_str(find(env, "LANG"), "C.UTF-8", "LANG is C.UTF-8, not the caller's");
		is_str(find(env, "LC_ALL"), "C.UTF-8", "LC_ALL is C.UTF-8");
		is_str(find(env, "CLAW_UNIT_A"), "a value", "-e copies a variable from the caller");
		ok(!find(env, "OPENAI_API_KEY"), "nothing else of the caller's gets through");
		ok(!find(env, "CLAW_UNIT_UNSET"), "-e of an unset variable sets nothing");
		is_int((int)count(env), 6, "a name given twice is there once");
		free(env);
	}
	{
		char *names[] = { "LANG" };
		sandbox_env(&env, "/d", names, 1);
		is_str(find(env, "LANG"), "de_DE.UTF-8", "-e LANG replaces the default");
		is_int((int)count(env), 5, "and is not there twice");
		free(env);
	}
	{
		char *names[] = { "HOME" }, *bad[] = { "A=B" }, *empty[] = { "" };
		is_int(sandbox_env(&env, "/d", names, 1), EX_USAGE, "-e HOME is refused");
		ok(env == NULL, "with no environment made");
		is_int(sandbox_env(&env, "/d", bad, 1), EX_USAGE, "-e A=B is refused");
		is_str(err_msg(), "-e A=B: not a variable name", "saying why");
		is_int(sandbox_env(&env, "/d", empty, 1), EX_USAGE, "-e '' is refused");
	}

	/* The supervisor. */
	sandbox_block_signals();
	is_int(sandbox_supervise(spawn("exit 3"), 10, 1), 3, "the exit status passes through");
	is_int(sandbox_supervise(spawn("kill -KILL $$"), 10, 1), 128 + SIGKILL,
	    "death by a signal is 128+signal");
	t0 = now_ms();
	rc = sandbox_supervise(spawn("sleep 30 & sleep 30"), 1, 1);
	ms = now_ms() - t0;
	is_int(rc, SANDBOX_TIMEDOUT, "past the wall clock: 124, as timeout(1)");
	ok(ms >= 950 && ms < 3000, "after about a second (%lld ms)", ms);
	{
		pid_t pid = spawn("sleep 0.2; exit 5");
		t0 = now_ms();
		rc = sandbox_supervise(pid, 0, 1);
		ms = now_ms() - t0;
		is_int(rc, 5, "no wall clock (0): waits as long as it runs");
		ok(ms < 1500, "and returns as soon as it ends (%lld ms)", ms);
	}
	{
		/* SIGTERM to the supervisor kills the child and reports 128+15. */
		pid_t pid = spawn("sleep 30");
		kill(getpid(), SIGTERM);
		is_int(sandbox_supervise(pid, 10, 1), 128 + SIGTERM,
		    "SIGTERM to the supervisor: 143");
	}
	sandbox_unblock_signals();

	/* What valgrind cannot follow: it emulates RLIMIT_NOFILE and RLIMIT_DATA,
	 * and knows neither seccomp(2) nor Landlock. */
	if (valgrind) {
		note("skipped under valgrind: rlimits, seccomp");
		return done_testing();
	}
	is_int(in_child(limits), 0,
	    "sandbox_rlimits sets cpu (soft < hard), data, as, fsize, core; never raises");
	{
		void *prog;
		size_t len;
		rc = sandbox_seccomp_build(0, 0, &prog, &len);
		ok(rc == 0 && len > 0 && len % 8 == 0,
		    "the seccomp filter compiles to BPF (%zu bytes)", len);
		free(prog);
	}
	rc = in_child(filter);
	is_int(rc, 0, "the filter refuses sockets, datagram socketpairs, connect, namespaces, "
	    "clone3, ptrace, ASLR off, TIOCSTI, inotify, chmod and chown, and allows stream "
	    "socketpairs and personality queries (failed checks: %#x)", rc);
	is_int(in_child(filter_net), 0, "with net, socket(AF_INET) is allowed");
	return done_testing();
}
