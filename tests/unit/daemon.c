/* Unit tests for lib/base/daemon.c and the gateway's exit-code table: a pidfile
 * locked once, what status and stop read from it, detaching with a readiness
 * pipe; and every exit code of claw-chat and claw-skill as an HTTP status. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/daemon.h"
#include "base/err.h"
#include "gateway/reply.h"
#include "tap.h"

static void
exit_table(void)
{
	static const struct { long code; int status, retry; } want[] = {
		{ 0, 200, 0 }, { EX_NORESULT, 422, 0 }, { EX_USAGE, 400, 0 },
		{ EX_DATAERR, 400, 0 },
		{ EX_NOINPUT, 404, 0 }, { EX_UNAVAILABLE, 503, 0 }, { EX_TEMPFAIL, 503, 1 },
		{ EX_NOPERM, 403, 0 }, { EX_SOFTWARE, 500, 0 }, { EX_CONFIG, 500, 0 },
		{ 137, 500, 0 },
	};
	size_t i;
	int retry;

	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		is_int(gw_exit_status(want[i].code, &retry), want[i].status, "exit %ld is HTTP %d",
		    want[i].code, want[i].status);
		is_int(retry, want[i].retry, "exit %ld: Retry-After %s", want[i].code,
		    want[i].retry ? "yes" : "no");
	}
	is_int(gw_exit_status(EX_TEMPFAIL, NULL), 503, "retry may be NULL");
}

static void
pidfile(void)
{
	struct daemon a, b;
	char info[64] = "";
	pid_t pid = 0;
	long long rss = -1;

	daemon_init(&a);
	daemon_init(&b);
	is_int(daemon_running("t", &pid, info, sizeof info), EX_NORESULT,
	    "none running: no pidfile");
	is_int(daemon_stop("t", 100), EX_NORESULT, "stop with none running");
	is_str(err_msg(), "not running", "and says so");
	is_int(daemon_lock(&a, "t"), 0, "the first lock");
	is_int(daemon_write(&a, "127.0.0.1:9"), 0, "pid and address written");
	is_int(daemon_running("t", &pid, info, sizeof info), 0, "it runs");
	is_int(pid, getpid(), "its pid");
	is_str(info, "127.0.0.1:9", "its address");
	is_int(daemon_running_rss("t", &pid, info, sizeof info, &rss), 0, "and its RSS");
	ok(rss > 0, "its resident memory at start: %lld kB", rss);
	is_int(daemon_lock(&b, "t"), EX_UNAVAILABLE, "a second one is refused");
	ok(strstr(err_msg(), "already running") && strstr(err_msg(), "127.0.0.1:9")
	    && !strstr(err_msg(), "rss_kb"), "naming the running one: %s", err_msg());
	daemon_free(&a);
	is_int(daemon_running("t", &pid, info, sizeof info), EX_NORESULT,
	    "a pidfile nobody holds is stale");
}

static void
detach(void)
{
	struct daemon d;
	char msg[128];
	int rc, st;

	daemon_init(&d);
	if ((rc = daemon_detach(&d, msg, sizeof msg)) == DAEMON_CHILD) {
		daemon_ready(&d, "log/t.log", "ready at last");
		_exit(0);
	}
	is_int(rc, 0, "a child that is ready: 0");
	is_str(msg, "ready at last", "with its message");
	daemon_init(&d);
	if ((rc = daemon_detach(&d, msg, sizeof msg)) == DAEMON_CHILD) {
		daemon_fail(&d, err_set(EX_CONFIG, "bad address"));
		_exit(EX_CONFIG);
	}
	is_int(rc, EX_CONFIG, "a child that failed: its exit code");
	is_str(msg, "bad address", "and its message");
	daemon_init(&d);
	if ((rc = daemon_detach(&d, msg, sizeof msg)) == DAEMON_CHILD)
		_exit(3);
	is_int(rc, EX_SOFTWARE, "a child that died without a word");
	while (waitpid(-1, &st, 0) > 0)
		;
}

int
main(void)
{
	char home[] = "/tmp/claw-daemon-XXXXXX", rm[64];

	if (!mkdtemp(home))
		return 1;
	setenv("CLAW_HOME", home, 1);
	exit_table();
	pidfile();
	detach();
	snprintf(rm, sizeof rm, "rm -rf %s", home);
	if (system(rm) != 0)
		note("could not remove %s", home);
	return done_testing();
}
