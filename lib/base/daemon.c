/* daemon: the pidfile is "PID INFO" and its flock is the proof of life: a file
 * nobody holds is stale, whatever it says.  The readiness pipe carries "RC MESSAGE". */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/daemon.h"
#include "base/err.h"
#include "base/file.h"
#include "base/path.h"

#define PIDFILE_MAX 512               /* "PID INFO\n": more is not a pidfile of ours */

/* What the pidfile open at fd says, its first line, into text[0..n). */
/* The pidfile's first line into text, and the kB its second line gives, or -1. */
static void
pidfile_text(int fd, const char *path, char *text, size_t n, long long *rss_kb)
{
	struct buf b = BUF_INIT;
	const char *nl;

	text[0] = '\0';
	if (rss_kb)
		*rss_kb = -1;
	if (file_read_fd(fd, path, PIDFILE_MAX, &b) == 0 && b.p) {
		snprintf(text, n, "%.*s", (int)strcspn(b.p, "\n"), b.p);
		if (rss_kb && (nl = strchr(b.p, '\n'))
		    && sscanf(nl + 1, "rss_kb %lld", rss_kb) != 1)
			*rss_kb = -1;
	}
	buf_free(&b);
}

/* This process's resident memory now, from /proc/self/statm: kB, or -1. */
static long long
rss_now_kb(void)
{
	char b[128];
	long long size, pages;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	ssize_t len = fd >= 0 ? read(fd, b, sizeof b - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (len <= 0)
		return -1;
	b[len] = '\0';
	if (sscanf(b, "%lld %lld", &size, &pages) != 2)
		return -1;
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

void
daemon_init(struct daemon *d)
{
	memset(d, 0, sizeof *d);
	d->pidfd = -1;
	d->ready = -1;
}

/* Every descriptor from lo up to hi (inclusive): close_range(2), else one by one
 * up to the descriptor limit. */
static void
close_from(int lo, int hi)
{
	struct rlimit rl;
	long i, top = hi;

	if (lo > hi)
		return;
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lo, (unsigned)hi, 0) == 0)
		return;
#endif
	if (top > 1 << 20)
		top = getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY
		    || rl.rlim_cur > 1 << 20 ? 1 << 20 : (long)rl.rlim_cur;
	for (i = lo; i <= top; i++)
		close((int)i);
}

/* A reader needs the home checked (ours and private: nobody else reaches run/ to
 * plant a pid in it), not run/ made; a daemon about to write makes it. */
static int
pidfile_path(const char *name, int create, char *dst, size_t n)
{
	char rel[256];
	int rc;

	if ((rc = path_mkhome(create ? "run" : NULL)))
		return rc;
	snprintf(rel, sizeof rel, "run/%s.pid", name);
	return path_in_home(dst, n, rel);
}

int
daemon_detach(struct daemon *d, char *msg, size_t n)
{
	int p[2], rc;
	ssize_t len;
	char *sp;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		rc = err_set(EX_SOFTWARE, "fork:");
		snprintf(msg, n, "%s", err_msg());
		return rc;
	}
	if (pid == 0) {
		close(p[0]);
		d->ready = p[1];
		/* The caller's descriptors are not the daemon's: one kept open (a pipe
		 * to `| cat`) would hold whoever reads it until the daemon ends. */
		close_from(3, p[1] - 1);
		close_from(p[1] + 1, 0x7fffffff);
		setsid();
		return DAEMON_CHILD;
	}
	close(p[1]);
	len = read(p[0], msg, n - 1);
	close(p[0]);
	msg[len > 0 ? len : 0] = '\0';
	if (len <= 0) {
		snprintf(msg, n, "the server died while starting");
		return EX_SOFTWARE;
	}
	rc = atoi(msg);
	sp = strchr(msg, ' ');
	memmove(msg, sp ? sp + 1 : msg + len, strlen(sp ? sp + 1 : msg + len) + 1);
	return rc;
}

int
daemon_lock(struct daemon *d, const char *name)
{
	int rc;

	if ((rc = pidfile_path(name, 1, d->pidfile, sizeof d->pidfile)))
		return rc;
	if ((d->pidfd = open(d->pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return err_set(EX_CANTCREAT, "%s:", d->pidfile);
	if (flock(d->pidfd, LOCK_EX | LOCK_NB) < 0) {
		char text[PIDFILE_MAX];
		pidfile_text(d->pidfd, d->pidfile, text, sizeof text, NULL);
		close(d->pidfd);
		d->pidfd = -1;
		return err_set(EX_UNAVAILABLE, "already running (pid and address: %s)", text);
	}
	return 0;
}

int
daemon_write(struct daemon *d, const char *info)
{
	long long rss = rss_now_kb();

	if (ftruncate(d->pidfd, 0) < 0 || dprintf(d->pidfd, "%ld %s\n", (long)getpid(), info) < 0
	    || (rss >= 0 && dprintf(d->pidfd, "rss_kb %lld\n", rss) < 0))
		return err_set(EX_IOERR, "%s:", d->pidfile);
	return 0;
}

void
daemon_ready(struct daemon *d, const char *log, const char *msg)
{
	char path[4096];
	int null, fd;

	if (d->ready < 0)
		return;
	null = open("/dev/null", O_RDWR);
	if (path_mkhome("log") == 0 && path_in_home(path, sizeof path, log) == 0
	    && (fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) >= 0) {
		dup2(fd, 2);
		close(fd);
	}
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		if (null > 2)
			close(null);
	}
	dprintf(d->ready, "0 %s", msg);
	close(d->ready);
	d->ready = -1;
}

void
daemon_fail(struct daemon *d, int rc)
{
	if (d->ready < 0)
		return;
	dprintf(d->ready, "%d %s", rc, err_msg());
	close(d->ready);
	d->ready = -1;
}

void
daemon_free(struct daemon *d)
{
	if (d->pidfd >= 0)
		close(d->pidfd);
	if (d->ready >= 0)
		close(d->ready);
	d->pidfd = d->ready = -1;
}

int
daemon_running(const char *name, pid_t *pid, char *info, size_t n)
{
	return daemon_running_rss(name, pid, info, n, NULL);
}

int
daemon_running_rss(const char *name, pid_t *pid, char *info, size_t n, long long *rss_kb)
{
	char path[4096], text[PIDFILE_MAX], fmt[32];
	int fd, rc;
	long p;

	if ((rc = pidfile_path(name, 0, path, sizeof path)))
		return rc;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? EX_NORESULT : err_set(EX_NOINPUT, "%s:", path);
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {        /* nobody holds it: a stale file */
		close(fd);
		return EX_NORESULT;
	}
	pidfile_text(fd, path, text, sizeof text, rss_kb);
	close(fd);
	snprintf(fmt, sizeof fmt, "%%ld %%%zus", n - 1);
	if (sscanf(text, fmt, &p, info) < 1 || p <= 0)
		return EX_NORESULT;
	*pid = (pid_t)p;
	return 0;
}

int
daemon_stop(const char *name, int timeout_ms)
{
	long long deadline = clock_mono_ms() + timeout_ms;
	char info[256];
	pid_t pid;
	int rc;

	if ((rc = daemon_running(name, &pid, info, sizeof info)) == EX_NORESULT)
		return err_set(EX_NORESULT, "not running");
	if (rc)
		return rc;
	if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
		return err_set(EX_NOPERM, "kill %ld:", (long)pid);
	while (daemon_running(name, &pid, info, sizeof info) == 0) {
		if (clock_mono_ms() > deadline)
			return err_set(EX_TEMPFAIL, "pid %ld did not stop within %d s", (long)pid,
			    timeout_ms / 1000);
		usleep(5000);
	}
	return 0;
}
