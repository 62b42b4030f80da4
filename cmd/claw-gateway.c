/* claw-gateway: the HTTP API.  With no arguments it serves one connection on
 * stdin/stdout, as inetd, tcpserver and systemd's Accept=yes run it; `start`
 * listens itself.  Both read requests with the same connection code below and
 * answer them with lib/gateway.c: one poll(2) loop, light routes answered in
 * the loop, chat and skill runs in a forked child that takes the connection. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "base/buf.h"
#include "base/clock.h"
#include "store/config.h"
#include "base/err.h"
#include "gateway/gateway.h"
#include "net/http_req.h"
#include "net/jwt.h"
#include "base/path.h"
#include "store/store.h"

static const char usage[] =
    "usage: claw-gateway\n"
    "       claw-gateway start [--listen ADDR:PORT] [--foreground]\n"
    "       claw-gateway stop\n"
    "       claw-gateway status [--json]\n"
    "       claw-gateway token [--sub NAME] [--scope SCOPES] [--ttl DURATION]\n";

#define MAXCONNS   1024
#define KEEPALIVE_MS 5000
#define KEEPALIVE_MAX 100
#define WRITE_MS   30000

enum { READING, WRITING };

struct conn {
	int in, out;                  /* one socket under start; 0 and 1 under inetd */
	char peer[64];
	struct buf rx, tx;
	size_t head;                  /* the head's length once it parsed */
	long long length;             /* its body's */
	int state, close, nreq, partial, dead;
	long long t0, deadline;       /* clock_mono_ms() */
	char method[16], route[48];
	int status;
};

static struct gw g;
static struct conn *conns[MAXCONNS];
static int nconns, maxconns = MAXCONNS, lfd = -1, sfd = -1, pidfd = -1, stopping;
static long long accept_pause;   /* out of descriptors: no accepting until then */
static sqlite3 *volatile loop_db;  /* in a job's child: the loop's connection, never used */

static int
usage_error(void)
{
	fputs(usage, stderr);
	return EX_USAGE;
}

/* --- connections --- */

static struct conn *
conn_new(int in, int out, const char *peer)
{
	struct conn *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->in = in;
	c->out = out;
	snprintf(c->peer, sizeof c->peer, "%s", peer && *peer ? peer : "-");
	c->deadline = clock_mono_ms() + g.head_timeout * 1000LL;
	conns[nconns++] = c;
	return c;
}

static void
finish(struct conn *c, long long now)
{
	if (c->status)
		gw_record(&g, c->method, c->route, c->status, now - c->t0, c->peer);
	c->status = 0;
}

/* Closed first, recorded after: under inetd the client has its answer before the store is opened. */
static void
conn_free(int i)
{
	struct conn *c = conns[i];

	if (c->in >= 0)
		close(c->in);
	if (c->out >= 0 && c->out != c->in)
		close(c->out);
	finish(c, clock_mono_ms());
	buf_free(&c->rx);
	buf_free(&c->tx);
	free(c);
	conns[i] = conns[--nconns];
}

/* Queue an answer; the loop writes it when the socket takes it. */
static void
respond(struct conn *c, struct gw_out *o, long long now)
{
	buf_reset(&c->tx);
	buf_add(&c->tx, o->resp.p, o->resp.len);
	c->status = o->status;
	c->close = c->close || o->close || ++c->nreq >= KEEPALIVE_MAX || stopping;
	c->state = WRITING;
	c->deadline = now + WRITE_MS;
}

static void
refuse(struct conn *c, int status, const char *why, long long now)
{
	struct gw_out o = { 0 };

	if (!c->partial)
		c->t0 = now;
	snprintf(c->method, sizeof c->method, "-");
	snprintf(c->route, sizeof c->route, "-");
	o.close = 1;
	gw_error(&o, status, why);
	respond(c, &o, now);
	gw_out_free(&o);
}

/* Every descriptor but the connection's: what a forked job must not hold. */
static void
close_others(struct conn *keep)
{
	int i;

	for (i = 0; i < nconns; i++)
		if (conns[i] != keep) {
			close(conns[i]->in);
			if (conns[i]->out != conns[i]->in)
				close(conns[i]->out);
		}
	if (lfd >= 0)
		close(lfd);
	if (sfd >= 0)
		close(sfd);
	if (pidfd >= 0)
		close(pidfd);
}

/* A chat or skill run: in the process itself under inetd, else in a child
 * that takes the connection over while the loop goes on.  1 when the
 * connection is done with, 0 when an answer was queued instead. */
static int
run_job(struct conn *c, struct gw_out *o)
{
	struct timeval tv = { WRITE_MS / 1000, 0 };
	sigset_t all;
	pid_t pid;

	setsockopt(c->out, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (g.inetd) {
		c->status = gw_job(&g, o, c->in, c->out);
		return 1;
	}
	if (g.children >= g.max_children) {
		o->job = 0;
		gw_error_extra(o, 503, "too many chats and skill runs at once (gateway.max_children): try again",
		    "Retry-After: 1\r\n");
		return 0;
	}
	if ((pid = fork()) < 0) {
		o->job = 0;
		gw_error_extra(o, 503, "cannot fork: try again", "Retry-After: 1\r\n");
		return 0;
	}
	if (pid == 0) {
		close_others(c);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		fcntl(c->in, F_SETFL, fcntl(c->in, F_GETFL) & ~O_NONBLOCK);
		/* This process must not touch the loop's SQLite connection, not even to
		 * close it: it opens its own.  Kept, not leaked, until _exit. */
		loop_db = g.db;
		g.db = NULL;
		g.inetd = 1;
		c->status = gw_job(&g, o, c->in, c->out);
		close(c->in);
		finish(c, clock_mono_ms());
		if (g.db)
			store_close(g.db);
		_exit(0);
	}
	g.children++;
	c->status = 0;                 /* the child records it */
	return 1;
}

/* Parse what has arrived; answer when a whole request is in.  1 when the
 * connection is done with. */
static int
step(struct conn *c, long long now)
{
	struct http_req r;
	struct gw_out o = { 0 };
	int n, done = 0;

	if (c->state != READING)
		return 0;
	if (!c->head) {
		if (!c->rx.len)
			return 0;
		if (!c->partial) {
			/* A new connection's head is due head_timeout after the accept, a kept
			 * one's after its first byte: a byte now and then never buys more time. */
			c->partial = 1;
			c->t0 = now;
			if (c->nreq > 0)
				c->deadline = now + g.head_timeout * 1000LL;
		}
		if ((n = http_parse(c->rx.p, c->rx.len, &r)) == 0)
			return 0;
		if (n < 0) {
			refuse(c, -n, r.error, now);
			return 0;
		}
		c->head = (size_t)n;
		gw_head(&g, &r);
		snprintf(c->method, sizeof c->method, "%.*s", (int)(r.mlen < 15 ? r.mlen : 15), r.method);
		c->length = r.length < 0 ? 0 : r.length;
		if (r.length < 0 && r.mlen == 4 && memcmp(r.method, "POST", 4) == 0) {
			refuse(c, 411, "a POST needs a Content-Length", now);
			return 0;
		}
		if (r.length > g.max_body) {
			char m[80];
			snprintf(m, sizeof m, "the body is over %lld bytes (gateway.max_body)", g.max_body);
			refuse(c, 413, m, now);
			return 0;
		}
		if (r.expect_continue && c->rx.len < c->head + (size_t)c->length
		    && write(c->out, "HTTP/1.1 100 Continue\r\n\r\n", 25) < 0)
			return 1;
		c->deadline = now + g.body_timeout * 1000LL;
	}
	if (c->rx.len < c->head + (size_t)c->length)
		return 0;
	http_parse(c->rx.p, c->head, &r);
	gw_serve(&g, &r, c->rx.p + c->head, (size_t)c->length, &o);
	snprintf(c->route, sizeof c->route, "%s", o.route);
	if (o.job)
		done = run_job(c, &o);
	if (!done) {
		respond(c, &o, now);
		buf_consume(&c->rx, c->head + (size_t)c->length);
		c->head = 0;
		c->partial = 0;
	}
	gw_out_free(&o);
	return done;
}

/* 1 when the connection is done with. */
static int
on_read(struct conn *c, long long now)
{
	char chunk[16384];
	ssize_t n = read(c->in, chunk, sizeof chunk);

	if (n < 0)
		return errno != EAGAIN && errno != EINTR;
	if (n == 0)
		return 1;                      /* closed, maybe mid-request: nobody to answer */
	buf_add(&c->rx, chunk, (size_t)n);
	if (c->rx.oom)
		return 1;
	if (!c->head && c->rx.len > HTTP_MAXHEAD + 16384) {
		refuse(c, 431, "the request head is too large", now);
		return 0;
	}
	return step(c, now);
}

static int
on_write(struct conn *c, long long now)
{
	while (c->tx.len) {
		ssize_t n = write(c->out, c->tx.p, c->tx.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return 1;
		buf_consume(&c->tx, (size_t)n);
	}
	if (c->close)
		return 1;
	finish(c, now);
	c->state = READING;
	c->deadline = now + KEEPALIVE_MS;
	return step(c, now);
}

/* A deadline passed: 1 when the connection is done with. */
static int
expire(struct conn *c, long long now)
{
	if (c->state == WRITING || (!c->partial && c->nreq > 0))
		return 1;                      /* a reader that stalled, or keep-alive gone idle */
	refuse(c, 408, c->head ? "the body did not arrive in time (gateway.body_timeout)"
	    : "the request head did not arrive in time (gateway.head_timeout)", now);
	c->partial = 1;
	return on_write(c, now);
}

static void
reap(void)
{
	struct signalfd_siginfo si;
	pid_t pid;

	while (read(sfd, &si, sizeof si) == sizeof si)
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			stopping = 1;
		else if (si.ssi_signo == SIGHUP)
			gw_reload(&g);
	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
		if (g.children > 0)
			g.children--;
		g.spooled = 1;                 /* its telemetry row waits in the spool */
	}
}

static void
accept_all(long long now)
{
	while (nconns < maxconns) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof sa;
		char host[INET6_ADDRSTRLEN] = "-";
		int fd;

		if ((fd = accept4(lfd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0) {
			/* The connection waits in the backlog, and the socket stays readable:
			 * without a pause the loop would spin until a descriptor frees. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				accept_pause = now + 100;
			return;
		}
		if (sa.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, host, sizeof host);
		else if (sa.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, host, sizeof host);
		if (!conn_new(fd, fd, host))
			close(fd);
	}
}

/* One connection's turn: 1 when it is done with. */
static int
turn(struct conn *c, short ev, long long now)
{
	int done = 0;

	if (ev && c->state == READING)
		done = on_read(c, now);
	else if (ev && c->state == WRITING)
		done = on_write(c, now);
	else if (c->deadline <= now)
		done = expire(c, now);
	else if (stopping && c->state == READING && !c->partial)
		done = 1;                      /* idle while stopping: nothing lost */
	if (!done && c->state == WRITING)
		done = on_write(c, now);       /* an answer just queued: try it at once */
	return done;
}

/* The loop: until a signal stops it (start), or its one connection is done (inetd). */
static int
serve(void)
{
	struct pollfd fds[MAXCONNS + 2];
	struct conn *polled[MAXCONNS];

	while (nconns > 0 || (lfd >= 0 && !stopping)) {
		long long now = clock_mono_ms(), next = -1;
		int i, k = 0, base, np = nconns;
		int listening = lfd >= 0 && !stopping && nconns < maxconns && now >= accept_pause;

		if (sfd >= 0)
			fds[k++] = (struct pollfd){ sfd, POLLIN, 0 };
		if (listening)
			fds[k++] = (struct pollfd){ lfd, POLLIN, 0 };
		base = k;
		for (i = 0; i < np; i++) {
			struct conn *c = polled[i] = conns[i];
			fds[k++] = (struct pollfd){ c->state == READING ? c->in : c->out,
			    c->state == READING ? POLLIN : POLLOUT, 0 };
			if (next < 0 || c->deadline < next)
				next = c->deadline;
		}
		if (lfd >= 0 && !stopping && now < accept_pause && (next < 0 || accept_pause < next))
			next = accept_pause;
		if ((g.nevents || g.spooled) && (next < 0 || g.flushed + 1000 < next))
			next = g.flushed + 1000;
		if (poll(fds, (nfds_t)k, next < 0 ? -1 : next <= now ? 0 : (int)(next - now)) < 0 && errno != EINTR)
			return err_set(EX_SOFTWARE, "poll:");
		now = clock_mono_ms();
		if (sfd >= 0 && fds[0].revents)
			reap();
		for (i = 0; i < np; i++)
			if (turn(polled[i], fds[base + i].revents, now))
				polled[i]->dead = 1;
		for (i = 0; i < nconns; )
			if (conns[i]->dead)
				conn_free(i);
			else
				i++;
		if (listening && fds[base - 1].revents)
			accept_all(now);
		gw_flush(&g, 0);
	}
	return 0;
}

/* --- inetd --- */

static int
inetd(void)
{
	const char *peer = getenv("TCPREMOTEIP");
	struct stat s0, s2;
	int rc;

	if (!peer || !*peer)
		peer = getenv("REMOTE_ADDR");
	/* inetd hands the socket over as stderr too: diagnostics there would be read as the answer. */
	if (fstat(0, &s0) == 0 && fstat(2, &s2) == 0 && S_ISSOCK(s0.st_mode)
	    && s0.st_ino == s2.st_ino && s0.st_dev == s2.st_dev) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0 && fd != 2) {
			dup2(fd, 2);
			close(fd);
		}
	}
	gw_init(&g, 1, NULL);
	if (!conn_new(0, 1, peer))
		return err_set(EX_SOFTWARE, "out of memory"), diag_err();
	rc = serve();
	gw_free(&g);
	return rc ? diag_err() : 0;
}

/* --- start, stop, status --- */

static int
pidfile_path(char *dst, size_t n)
{
	int rc;

	if ((rc = path_mkhome("run")))
		return rc;
	return path_in_home(dst, n, "run/gateway.pid");
}

/* The running gateway's pid and address: 0, or EX_NORESULT when none runs. */
static int
running(pid_t *pid, char *addr, size_t n)
{
	char path[4096], text[256];
	ssize_t len;
	int fd, rc;
	long p;

	if ((rc = pidfile_path(path, sizeof path)))
		return rc;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? EX_NORESULT : err_set(EX_NOINPUT, "%s:", path);
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {        /* nobody holds it: a stale file */
		close(fd);
		return EX_NORESULT;
	}
	len = read(fd, text, sizeof text - 1);
	close(fd);
	text[len > 0 ? len : 0] = '\0';
	if (sscanf(text, "%ld %255s", &p, addr) < 1 || p <= 0)
		return EX_NORESULT;
	(void)n;
	*pid = (pid_t)p;
	return 0;
}

static int
cmd_status(int argc, char **argv)
{
	char addr[256] = "-";
	pid_t pid;
	int json = argc == 2 && strcmp(argv[1], "--json") == 0, rc;

	if (argc > 2 || (argc == 2 && !json))
		return usage_error();
	rc = running(&pid, addr, sizeof addr);
	if (rc && rc != EX_NORESULT)
		return diag_err();
	if (json)
		rc ? printf("{\"running\":false}\n")
		    : printf("{\"running\":true,\"pid\":%ld,\"listen\":\"%s\"}\n", (long)pid, addr);
	else
		rc ? printf("not running\n") : printf("running pid %ld on %s\n", (long)pid, addr);
	return rc ? rc : out_finish();
}

static int
cmd_stop(int argc, char **argv)
{
	char addr[256] = "-";
	long long deadline = clock_mono_ms() + 10000;
	pid_t pid;
	int rc;

	if (argc > 1)
		return usage_error();
	if ((rc = running(&pid, addr, sizeof addr)) == EX_NORESULT) {
		diag("not running");
		return EX_NORESULT;
	}
	if (rc)
		return diag_err();
	if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
		return err_set(EX_NOPERM, "kill %ld:", (long)pid), diag_err();
	while (running(&pid, addr, sizeof addr) == 0) {
		if (clock_mono_ms() > deadline) {
			diag("pid %ld did not stop within 10 s", (long)pid);
			return EX_TEMPFAIL;
		}
		usleep(5000);
	}
	return 0;
}

static int
is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	return sa->sa_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

/* Bind ADDR:PORT ([v6]:PORT for IPv6); the address actually bound into bound. */
static int
bind_listen(const char *spec, char *bound, size_t n)
{
	char host[256], port[16];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints = { 0 }, *ai = NULL;
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	size_t hl;
	int fd, one = 1, e;

	if (!colon || colon == spec || strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof port
	    || strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return err_set(EX_CONFIG, "%s: want ADDR:PORT (e.g. 127.0.0.1:3000 or [::1]:3000)", spec);
	hl = (size_t)(colon - spec);
	if (spec[0] == '[' && hl > 2 && spec[hl - 1] == ']')
		spec++, hl -= 2;
	if (hl >= sizeof host)
		return err_set(EX_CONFIG, "%s: address too long", spec);
	memcpy(host, spec, hl);
	host[hl] = '\0';
	snprintf(port, sizeof port, "%s", colon + 1);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if ((e = getaddrinfo(host, port, &hints, &ai)) || !ai)
		return err_set(EX_CONFIG, "%s: %s", spec, gai_strerror(e));
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		freeaddrinfo(ai);
		return err_set(EX_UNAVAILABLE, "socket:");
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 511) < 0) {
		e = errno;
		close(fd);
		freeaddrinfo(ai);
		errno = e;
		return err_set(e == EACCES ? EX_NOPERM : EX_UNAVAILABLE, "%s:", spec);
	}
	freeaddrinfo(ai);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	if (sa.ss_family == AF_INET6) {
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, a, sizeof a);
		snprintf(bound, n, "[%s]:%u", a, ntohs(((struct sockaddr_in6 *)&sa)->sin6_port));
	} else {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, a, sizeof a);
		snprintf(bound, n, "%s:%u", a, ntohs(((struct sockaddr_in *)&sa)->sin_port));
	}
	if (!is_loopback((struct sockaddr *)&sa))
		diag("warning: %s is not a loopback address: the API is reachable from the network", bound);
	lfd = fd;
	return 0;
}

/* Lock the pidfile, bind, make sure there is a secret: what must work before `start` says it does. */
static int
prepare(const char *spec, char *bound, size_t n)
{
	char path[4096];
	sqlite3 *db;
	char *secret = NULL;
	int rc, made;

	if ((rc = pidfile_path(path, sizeof path)))
		return rc;
	if ((pidfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return err_set(EX_CANTCREAT, "%s:", path);
	if (flock(pidfd, LOCK_EX | LOCK_NB) < 0) {
		char text[256] = "";
		ssize_t len = read(pidfd, text, sizeof text - 1);
		text[len > 0 ? len : 0] = '\0';
		text[strcspn(text, "\n")] = '\0';
		return err_set(EX_UNAVAILABLE, "already running (pid and address: %s)", text);
	}
	if ((rc = bind_listen(spec, bound, n)))
		return rc;
	if ((rc = store_open(&db)))
		return rc;
	rc = gw_secret(db, &secret, &made);
	store_close(db);
	if (rc)
		return rc;
	if (made)
		diag("generated gateway.jwt_secret (stored sealed); mint a token with: claw-gateway token --scope chat");
	sodium_memzero(secret, strlen(secret));
	free(secret);
	if (ftruncate(pidfd, 0) < 0 || dprintf(pidfd, "%ld %s\n", (long)getpid(), bound) < 0)
		return err_set(EX_IOERR, "%s:", path);
	return 0;
}

static int
listen_loop(const char *bound)
{
	struct rlimit rl;
	sigset_t set;
	int rc;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		return err_set(EX_SOFTWARE, "signalfd:");
	/* A connection is a descriptor: take what the hard limit allows, keep some
	 * for the store, the spool and a job's pipes. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < MAXCONNS + 64 && rl.rlim_max > rl.rlim_cur) {
			rl.rlim_cur = rl.rlim_max < MAXCONNS + 64 ? rl.rlim_max : MAXCONNS + 64;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur < MAXCONNS + 64)
			maxconns = rl.rlim_cur > 96 ? (int)rl.rlim_cur - 64 : 32;
	}
	gw_init(&g, 0, bound);
	if ((rc = gw_store(&g)))
		return rc;
	rc = serve();
	gw_free(&g);
	return rc;
}

static int
cmd_start(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' }, { "foreground", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 } };
	char *spec = NULL, bound[300], msg[512];
	int c, fg = 0, rc, ready[2];
	ssize_t n;
	pid_t pid;

	while ((c = getopt_long(argc, argv, "l:f", opts, NULL)) != -1)
		switch (c) {
		case 'l': free(spec); spec = strdup(optarg); break;
		case 'f': fg = 1; break;
		default: return usage_error();
		}
	if (optind != argc)
		return usage_error();
	if (!spec) {
		sqlite3 *db;
		if ((rc = store_open(&db)))
			return diag_err();
		rc = config_get(db, "gateway.listen", &spec, NULL);
		store_close(db);
		if (rc)
			return diag_err();
	}
	if (fg) {
		if ((rc = prepare(spec, bound, sizeof bound)))
			return free(spec), diag_err();
		diag("listening on %s (pid %ld)", bound, (long)getpid());
		rc = listen_loop(bound);
		free(spec);
		return rc ? diag_err() : 0;
	}
	/* Detach, but answer only once the socket listens: a first request may follow at once. */
	if (pipe2(ready, O_CLOEXEC) < 0 || (pid = fork()) < 0)
		return free(spec), err_set(EX_SOFTWARE, "fork:"), diag_err();
	if (pid > 0) {
		close(ready[1]);
		n = read(ready[0], msg, sizeof msg - 1);
		msg[n > 0 ? n : 0] = '\0';
		free(spec);
		if (n <= 0)
			return diag("the server died while starting"), EX_SOFTWARE;
		if (msg[0] != '0') {
			rc = atoi(msg);
			diag("%s", strchr(msg, ' ') ? strchr(msg, ' ') + 1 : msg);
			return rc ? rc : EX_SOFTWARE;
		}
		diag("%s", msg + 2);
		return 0;
	}
	close(ready[0]);
	setsid();
	if ((rc = prepare(spec, bound, sizeof bound))) {
		dprintf(ready[1], "%d %s", rc, err_msg());
		_exit(rc);
	}
	{
		char log[4096];
		int null = open("/dev/null", O_RDWR), fd;
		if (path_mkhome("log") == 0 && path_in_home(log, sizeof log, "log/gateway.log") == 0
		    && (fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		dup2(null, 0);
		dup2(null, 1);
		if (null > 2)
			close(null);
	}
	dprintf(ready[1], "0 listening on %s (pid %ld)", bound, (long)getpid());
	close(ready[1]);
	free(spec);
	rc = listen_loop(bound);
	if (rc)
		diag("%s", err_msg());
	_exit(rc);
}

/* --- token --- */

static long long
duration(const char *s)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || end == s || n <= 0)
		return -1;
	switch (*end ? *end++ : 's') {
	case 's': break;
	case 'm': n *= 60; break;
	case 'h': n *= 3600; break;
	case 'd': n *= 86400; break;
	default: return -1;
	}
	return *end || n > 366LL * 86400 ? -1 : n;
}

static int
scopes_ok(const char *s)
{
	char copy[256], *w, *save = NULL;

	if (strlen(s) >= sizeof copy || !*s)
		return 0;
	snprintf(copy, sizeof copy, "%s", s);
	for (w = strtok_r(copy, " ,", &save); w; w = strtok_r(NULL, " ,", &save))
		if (strcmp(w, "chat") && strcmp(w, "skills") && strcmp(w, "admin"))
			return 0;
	return 1;
}

static int
cmd_token(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sub", required_argument, NULL, 's' }, { "scope", required_argument, NULL, 'c' },
		{ "ttl", required_argument, NULL, 't' }, { NULL, 0, NULL, 0 } };
	const char *sub = getenv("USER"), *scope = "chat skills", *ttl = "1h";
	struct buf payload = BUF_INIT, tok = BUF_INIT;
	unsigned char jti[12];
	char *secret = NULL, hex[25], sc[256];
	long long now = clock_wall_ms() / 1000, life;
	sqlite3 *db;
	int c, rc, made;

	while ((c = getopt_long(argc, argv, "s:c:t:", opts, NULL)) != -1)
		switch (c) {
		case 's': sub = optarg; break;
		case 'c': scope = optarg; break;
		case 't': ttl = optarg; break;
		default: return usage_error();
		}
	if (optind != argc)
		return usage_error();
	if (!scopes_ok(scope))
		return diag("--scope %s: want chat, skills or admin, separated by spaces or commas", scope), EX_USAGE;
	if ((life = duration(ttl)) < 0)
		return diag("--ttl %s: want N, Ns, Nm, Nh or Nd, at most 366d", ttl), EX_USAGE;
	if (!sub || !*sub)
		sub = "claw";
	if (strlen(sub) >= 120)
		return diag("--sub: at most 119 bytes"), EX_USAGE;
	snprintf(sc, sizeof sc, "%s", scope);
	for (c = 0; sc[c]; c++)
		if (sc[c] == ',')
			sc[c] = ' ';
	if ((rc = store_open(&db)))
		return diag_err();
	rc = gw_secret(db, &secret, &made);
	store_close(db);
	if (rc)
		return diag_err();
	if (made)
		diag("generated gateway.jwt_secret (stored sealed)");
	randombytes_buf(jti, sizeof jti);
	sodium_bin2hex(hex, sizeof hex, jti, sizeof jti);
	buf_adds(&payload, "{\"sub\":");
	buf_add_json_str(&payload, sub, strlen(sub));
	buf_adds(&payload, ",\"scope\":");
	buf_add_json_str(&payload, sc, strlen(sc));
	buf_printf(&payload, ",\"iat\":%lld,\"exp\":%lld,\"jti\":\"%s\"}", now, now + life, hex);
	rc = payload.oom ? err_set(EX_SOFTWARE, "out of memory")
	    : jwt_sign(secret, strlen(secret), payload.p, payload.len, &tok);
	sodium_memzero(secret, strlen(secret));
	free(secret);
	if (!rc)
		printf("%s\n", tok.p);
	buf_free(&payload);
	buf_free(&tok);
	return rc ? diag_err() : out_finish();
}

int
main(int argc, char **argv)
{
	diag_init("claw-gateway");
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0)
		return diag("libsodium cannot start"), EX_SOFTWARE;
	if (argc < 2)
		return inetd();
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return fputs(usage, stdout), out_finish();
	if (strcmp(argv[1], "--version") == 0)
		return printf("claw-gateway %s\n", CLAW_VERSION), out_finish();
	if (strcmp(argv[1], "start") == 0)
		return cmd_start(argc - 1, argv + 1);
	if (strcmp(argv[1], "stop") == 0)
		return cmd_stop(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "token") == 0)
		return cmd_token(argc - 1, argv + 1);
	diag("%s: no such command", argv[1]);
	return usage_error();
}
