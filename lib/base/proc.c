/* proc: spawn with pipes, poll with a deadline, kill the process group. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/proc.h"

extern char **environ;

/* Spawn with its stderr ours, or (want_err) a pipe whose read end is p->err. */
static int
spawn(struct proc *p, char *const argv[], char *const envp[], int want_err)
{
	int in[2], out[2], ex[2], er[2] = { -1, -1 }, e = 0;
	pid_t parent = getpid();
	ssize_t n;

	p->pid = -1;
	p->in = p->out = p->err = -1;
	if (pipe2(in, O_CLOEXEC) < 0)
		return err_set(EX_TEMPFAIL, "pipe:");
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(ex, O_CLOEXEC) < 0
	    || (want_err && pipe2(er, O_CLOEXEC) < 0)) {
		close(in[0]); close(in[1]);
		return err_set(EX_TEMPFAIL, "pipe:");
	}
	switch ((p->pid = fork())) {
	case -1:
		e = errno;
		close(in[0]), close(in[1]);
		close(out[0]), close(out[1]);
		close(ex[0]), close(ex[1]);
		if (want_err)
			close(er[0]), close(er[1]);
		errno = e;
		return err_set(EX_TEMPFAIL, "fork:");
	case 0:
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || (want_err && dup2(er[1], 2) < 0))
			goto fail;
		if (envp)
			environ = (char **)envp;
		execvp(argv[0], argv);
	fail:
		e = errno;
		n = write(ex[1], &e, sizeof e);
		(void)n;
		_exit(127);
	}
	setpgid(p->pid, p->pid);   /* both sides set it: no race with an early kill */
	close(in[0]);
	close(out[1]);
	close(ex[1]);
	if (want_err)
		close(er[1]);
	n = read(ex[0], &e, sizeof e);
	close(ex[0]);
	p->in = in[1];
	p->out = out[0];
	p->err = er[0];
	if (n == sizeof e) {
		proc_wait(p, -1);
		errno = e;
		return err_set(e == ENOENT ? EX_UNAVAILABLE : e == EACCES ? EX_NOPERM : EX_SOFTWARE,
		    "%s:", argv[0]);
	}
	return 0;
}

int
proc_spawn(struct proc *p, char *const argv[], char *const envp[])
{
	return spawn(p, argv, envp, 0);
}

int
proc_spawn_err(struct proc *p, char *const argv[], char *const envp[])
{
	return spawn(p, argv, envp, 1);
}

void
proc_kill(struct proc *p)
{
	if (p->pid > 0)
		kill(-p->pid, SIGKILL);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int
proc_wait(struct proc *p, int timeout_ms)
{
	long long deadline = timeout_ms < 0 ? -1 : clock_mono_ms() + timeout_ms;
	int status, timedout = 0;
	pid_t r;

	close_fd(&p->in);
	close_fd(&p->out);
	close_fd(&p->err);
	for (;;) {
		r = waitpid(p->pid, &status, deadline < 0 || timedout ? 0 : WNOHANG);
		if (r == p->pid)
			break;
		if (r < 0 && errno != EINTR) {
			status = 0;
			break;
		}
		if (r == 0 && clock_mono_ms() >= deadline) {
			proc_kill(p);
			timedout = 1;
		} else if (r == 0) {
			usleep(2000);
		}
	}
	kill(-p->pid, SIGKILL);    /* whatever it left behind in its group */
	p->pid = -1;
	if (timedout)
		return PROC_TIMEDOUT;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* write(2) to a pipe whose reader may be gone: EPIPE, never a SIGPIPE that would
 * kill the caller.  The signal is blocked in this thread only and a pending one
 * our write raised is taken back. */
static ssize_t
write_nosig(int fd, const void *p, size_t n)
{
	sigset_t pipe, old;
	struct timespec zero = { 0, 0 };
	ssize_t r;
	int e;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, &old);
	r = write(fd, p, n);
	e = errno;
	if (r < 0 && e == EPIPE)
		sigtimedwait(&pipe, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return r;
}

/* Its stderr into err, at most maxerr bytes; the rest is read and dropped. */
static void
read_err(struct proc *p, struct buf *err, size_t maxerr, int *errcut)
{
	char chunk[8192];
	ssize_t n = read(p->err, chunk, sizeof chunk);

	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		close_fd(&p->err);
		return;
	}
	if (err->len + (size_t)n > maxerr) {
		*errcut = 1;
		n = (ssize_t)(maxerr - err->len);
	}
	buf_add(err, chunk, (size_t)n);
}

int
proc_run_err(char *const argv[], char *const envp[], const char *input, size_t inlen,
    struct buf *out, size_t maxout, struct buf *err, size_t maxerr, int *errcut,
    int timeout_ms)
{
	long long deadline = timeout_ms < 0 ? -1 : clock_mono_ms() + timeout_ms;
	struct proc p;
	size_t off = 0;
	int capped = 0, timedout = 0, rc;
	char chunk[8192];

	if (errcut)
		*errcut = 0;
	if (spawn(&p, argv, envp, err != NULL))
		return PROC_NOSTART;
	fcntl(p.in, F_SETFL, O_NONBLOCK);
	if (inlen == 0)
		close_fd(&p.in);
	while (p.out >= 0 || p.err >= 0) {
		struct pollfd fds[3] = { { p.out, POLLIN, 0 }, { p.err, POLLIN, 0 },
		    { p.in, POLLOUT, 0 } };
		int wait = deadline < 0 ? -1 : (int)(deadline - clock_mono_ms());
		if (deadline >= 0 && wait <= 0) {
			timedout = 1;
			break;
		}
		if (poll(fds, p.in >= 0 ? 3 : 2, wait) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p.in >= 0 && fds[2].revents) {
			ssize_t n = write_nosig(p.in, input + off, inlen - off);
			if (n > 0)
				off += (size_t)n;
			if (n < 0 && errno != EAGAIN)
				close_fd(&p.in);
			if (off == inlen)
				close_fd(&p.in);
		}
		if (p.err >= 0 && fds[1].revents)
			read_err(&p, err, maxerr, errcut);
		if (p.out >= 0 && fds[0].revents) {
			ssize_t n = read(p.out, chunk, sizeof chunk);
			if (n <= 0) {
				if (n < 0 && errno == EINTR)
					continue;
				close_fd(&p.out);
				continue;
			}
			if (out->len + (size_t)n > maxout) {
				buf_add(out, chunk, maxout - out->len);
				capped = 1;
				break;
			}
			buf_add(out, chunk, (size_t)n);
		}
	}
	if (timedout || capped)
		proc_kill(&p);
	rc = proc_wait(&p, timedout || capped ? 0 :
	    (deadline < 0 ? -1 : (int)(deadline - clock_mono_ms() + 1)));
	if (capped)
		return PROC_TOOBIG;
	return timedout ? PROC_TIMEDOUT : rc;
}

int
proc_run(char *const argv[], char *const envp[], const char *input, size_t inlen,
    struct buf *out, size_t maxout, int timeout_ms)
{
	return proc_run_err(argv, envp, input, inlen, out, maxout, NULL, 0, NULL, timeout_ms);
}
