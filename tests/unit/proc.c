/* Unit tests for lib/base/proc.c: pipes both ways, exit statuses, the time limit that
 * kills the whole process group, the output cap, and a missing program. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/proc.h"
#include "tap.h"

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Is pid gone (or only a zombie waiting for init)?  Waits up to 2 s for it. */
static int
gone(pid_t pid)
{
	long long end = now_ms() + 2000;
	char path[64], stat[256];
	FILE *f;

	do {
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return 1;
		snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
		if ((f = fopen(path, "r"))) {
			char *s = fgets(stat, sizeof stat, f) ? strrchr(stat, ')') : NULL;
			fclose(f);
			if (s && s[1] == ' ' && s[2] == 'Z')
				return 1;
		}
		usleep(10000);
	} while (now_ms() < end);
	return 0;
}

static int
run(char *const argv[], const char *input, struct buf *out, size_t maxout, int timeout_ms)
{
	buf_reset(out);
	return proc_run(argv, NULL, input, input ? strlen(input) : 0, out, maxout, timeout_ms);
}

int
main(void)
{
	struct buf out = BUF_INIT;
	long long t0, ms;
	int rc;

	{
		char *argv[] = { "cat", NULL };
		rc = run(argv, "hello\nworld\n", &out, 1 << 20, 5000);
		is_int(rc, 0, "cat exits 0");
		is_str(out.p, "hello\nworld\n", "cat echoes its input");
	}
	{
		/* More than a pipe holds both ways: input and output must be interleaved. */
		size_t n = 1 << 20, i;
		char *big = malloc(n + 1);
		char *argv[] = { "cat", NULL };
		for (i = 0; i < n; i++)
			big[i] = (char)('a' + i % 23);
		big[n] = '\0';
		rc = run(argv, big, &out, 2 << 20, 10000);
		ok(rc == 0 && out.len == n && memcmp(out.p, big, n) == 0,
		    "1 MiB through cat comes back whole");
		free(big);
	}
	{
		char *argv[] = { "echo", "no", "input", NULL };
		rc = run(argv, NULL, &out, 1024, 5000);
		ok(rc == 0 && strcmp(out.p, "no input\n") == 0,
		    "no input: stdin is closed, output read");
	}
	{
		char *argv[] = { "sh", "-c", "exit 3", NULL };
		is_int(run(argv, NULL, &out, 1024, 5000), 3, "the exit status is returned");
	}
	{
		char *argv[] = { "sh", "-c", "kill -TERM $$", NULL };
		is_int(run(argv, NULL, &out, 1024, 5000), 128 + SIGTERM,
		    "death by a signal is 128+signal");
	}
	{
		char *argv[] = { "sh", "-c", "echo \"$CLAW_TEST_VAR:${HOME:-nohome}\"", NULL };
		char *envp[] = { "CLAW_TEST_VAR=given", NULL };
		buf_reset(&out);
		rc = proc_run(argv, envp, NULL, 0, &out, 1024, 5000);
		ok(rc == 0 && strcmp(out.p, "given:nohome\n") == 0,
		    "envp replaces the environment");
	}
	{
		/* The child's stderr is ours: point ours at /dev/null for the moment. */
		char *argv[] = { "sh", "-c", "echo out; echo err >&2", NULL };
		int saved = dup(2);
		FILE *null = freopen("/dev/null", "w", stderr);
		rc = run(argv, NULL, &out, 1024, 5000);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		(void)null;
		ok(rc == 0 && strcmp(out.p, "out\n") == 0, "only stdout is collected");
	}

	/* The time limit. */
	{
		char *argv[] = { "sleep", "10", NULL };
		t0 = now_ms();
		rc = run(argv, NULL, &out, 1024, 200);
		ms = now_ms() - t0;
		is_int(rc, -1, "sleep 10 with a 200 ms limit returns -1");
		ok(ms >= 190 && ms < 2000, "after about 200 ms (%lld ms)", ms);
	}
	{
		/* The child reports its background grandchild, then waits: the group dies. */
		char *argv[] = { "sh", "-c", "sleep 30 & echo $!; sleep 30", NULL };
		pid_t grandchild;
		t0 = now_ms();
		rc = run(argv, NULL, &out, 1024, 300);
		ms = now_ms() - t0;
		is_int(rc, -1, "sh with a background sleep times out: -1");
		ok(ms < 2000, "promptly (%lld ms)", ms);
		grandchild = (pid_t)atoi(out.p ? out.p : "0");
		ok(grandchild > 1, "the child told us its grandchild's pid (%d)", (int)grandchild);
		ok(grandchild > 1 && gone(grandchild), "the grandchild is killed with the group");
	}
	{
		/* Output that keeps coming is still cut at the deadline. */
		char *argv[] = { "sh", "-c", "while :; do echo tick; sleep 0.01; done", NULL };
		t0 = now_ms();
		rc = run(argv, NULL, &out, 1 << 20, 200);
		ms = now_ms() - t0;
		ok(rc == -1 && ms < 2000,
		    "a chatty child is stopped at the deadline too (%d, %lld ms)", rc, ms);
	}

	/* The output cap. */
	{
		char *argv[] = { "yes", NULL };
		t0 = now_ms();
		rc = run(argv, NULL, &out, 1000, 10000);
		ms = now_ms() - t0;
		is_int(rc, -2, "yes with a 1000-byte cap returns -2");
		is_int((long long)out.len, 1000, "exactly the cap is kept");
		ok(out.p && strncmp(out.p, "y\ny\n", 4) == 0, "and it is the start of the output");
		ok(ms < 2000, "the child is killed, not waited for (%lld ms)", ms);
	}
	{
		char *argv[] = { "printf", "abc", NULL };
		rc = run(argv, NULL, &out, 3, 5000);
		ok(rc == 0 && strcmp(out.p, "abc") == 0,
		    "output of exactly the cap is not an overflow");
		rc = run(argv, NULL, &out, 2, 5000);
		ok(rc == -2 && out.len == 2, "one byte over is");
	}

	/* Nothing to run. */
	{
		char *argv[] = { "claw-no-such-program", NULL };
		rc = run(argv, "x", &out, 1024, 5000);
		is_int(rc, -3, "a missing program returns -3");
		is_int(err_code(), EX_UNAVAILABLE, "with EX_UNAVAILABLE");
		ok(strstr(err_msg(), "claw-no-such-program") != NULL, "naming it (%s)", err_msg());
	}
	{
		char *argv[] = { "/nonexistent/bin/tool", NULL };
		rc = run(argv, NULL, &out, 1024, 5000);
		ok(rc == -3 && err_code() == EX_UNAVAILABLE, "a missing absolute path too");
	}
	{
		char *argv[] = { "/etc/passwd", NULL };
		rc = run(argv, NULL, &out, 1024, 5000);
		ok(rc == -3 && err_code() == EX_NOPERM,
		    "a file that cannot be executed is EX_NOPERM (%s)", err_msg());
	}

	/* proc_spawn / proc_wait by hand. */
	{
		char *argv[] = { "cat", NULL };
		struct proc p;
		char got[16] = "";
		ssize_t n;
		rc = proc_spawn(&p, argv, NULL);
		ok(rc == 0 && p.pid > 0 && p.in >= 0 && p.out >= 0,
		    "proc_spawn gives a pid and two pipes");
		if (rc == 0) {
			n = write(p.in, "ping", 4);
			close(p.in);
			p.in = -1;
			n = n == 4 ? read(p.out, got, sizeof got - 1) : -1;
			got[n > 0 ? n : 0] = '\0';
			is_str(got, "ping", "write to in, read from out");
			is_int(proc_wait(&p, -1), 0, "proc_wait without a limit");
			is_int(p.pid, -1, "pid is cleared after the wait");
		}
	}
	{
		char *argv[] = { "sleep", "10", NULL };
		struct proc p;
		if (proc_spawn(&p, argv, NULL) == 0) {
			pid_t pid = p.pid;
			t0 = now_ms();
			rc = proc_wait(&p, 100);
			ms = now_ms() - t0;
			ok(rc == -1 && ms < 2000, "proc_wait with a 100 ms limit: -1 (%lld ms)",
			    ms);
			ok(kill(pid, 0) < 0 && errno == ESRCH, "and the child is reaped");
		} else
			ok(0, "proc_spawn sleep");
	}

	/* A child that exits without reading its input must not take us down with SIGPIPE. */
	{
		pid_t pid = fork();
		int status = 0;
		if (pid == 0) {
			size_t n = 1 << 20;
			char *big = malloc(n);
			/* It closes stdin at once but keeps stdout open a little: our
			 * writes then find the pipe without a reader, every time. */
			char *argv[] = { "sh", "-c", "exec <&-; sleep 0.1", NULL };
			struct buf o = BUF_INIT;
			memset(big, 'x', n);
			rc = proc_run(argv, NULL, big, n, &o, 1024, 5000);
			free(big);
			buf_free(&o);
			_exit(rc == 0 ? 0 : 1);
		}
		waitpid(pid, &status, 0);
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "unread input: proc_run returns 0, the caller survives (%s %d)",
		    WIFSIGNALED(status) ? "signal" : "exit",
		        WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	}
	buf_free(&out);
	return done_testing();
}
