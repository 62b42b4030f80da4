/* server: a connection is READING (a head, then its body), WRITING an answer, or
 * DRAINING: refused with a body unread, its answer sent and its writing side
 * shut, it reads and drops what still comes for a moment, so that closing with
 * unread bytes does not reset the connection and lose the answer;
 * every state has a deadline, and the loop sleeps in poll(2) until the nearest
 * one or a descriptor is ready.  Deadlines are clock_mono_ms(). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "net/server.h"
#include "net/tcp.h"

enum { READING, WRITING, DRAINING };

#define DRAIN_MS 1000                 /* a refused body is read and dropped this long, */
#define DRAIN_MAX (1 << 20)           /* or this many bytes, at most */

void
server_init(struct server *s, const struct server_ops *ops, void *ctx,
    const struct server_limits *lim)
{
	memset(s, 0, sizeof *s);
	s->ops = ops;
	s->ctx = ctx;
	s->lim = *lim;
	s->lfd = s->sfd = -1;
	s->maxconns = SERVER_MAXCONNS;
	s->next_tick = -1;
}

void
server_hide(struct server *s, int fd)
{
	if (s->nhidden < (int)(sizeof s->hidden / sizeof s->hidden[0]))
		s->hidden[s->nhidden++] = fd;
}

static struct server_conn *
conn_new(struct server *s, int in, int out, const char *peer)
{
	struct server_conn *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->in = in;
	c->out = out;
	snprintf(c->peer, sizeof c->peer, "%s", peer && *peer ? peer : "-");
	c->born = clock_mono_ms();
	c->deadline = c->born + s->lim.head_ms;
	s->conns[s->nconns++] = c;
	return c;
}

int
server_add(struct server *s, int in, int out, const char *peer)
{
	s->one = 1;
	return conn_new(s, in, out, peer) ? 0 : err_set(EX_SOFTWARE, "out of memory");
}

static void
finish(struct server *s, struct server_conn *c, long long now)
{
	if (c->status && s->ops->done)
		s->ops->done(s->ctx, c, now - c->t0);
	c->status = 0;
}

/* Closed first, logged after: under inetd the client has its answer before the
 * owner does anything slow about it. */
static void
conn_free(struct server *s, int i)
{
	struct server_conn *c = s->conns[i];

	if (c->in >= 0)
		close(c->in);
	if (c->out >= 0 && c->out != c->in)
		close(c->out);
	finish(s, c, clock_mono_ms());
	buf_free(&c->rx);
	buf_free(&c->tx);
	free(c);
	s->conns[i] = s->conns[--s->nconns];
}

void
server_free(struct server *s)
{
	while (s->nconns)
		conn_free(s, s->nconns - 1);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->sfd >= 0)
		close(s->sfd);
	s->lfd = s->sfd = -1;
}

/* Queue an answer; the loop writes it when the socket takes it. */
static void
respond(struct server *s, struct server_conn *c, const struct server_reply *rp, long long now)
{
	buf_reset(&c->tx);
	buf_add(&c->tx, rp->resp, rp->len);
	c->status = rp->status;
	c->close = c->close || rp->close || ++c->nreq >= s->lim.max_requests || s->stopping;
	c->state = WRITING;
	c->deadline = now + s->lim.write_ms;
}

static void
refuse(struct server *s, struct server_conn *c, int status, const char *why, long long now)
{
	struct server_reply rp = { 0 };

	if (!c->partial)
		c->t0 = now;
	snprintf(c->method, sizeof c->method, "-");
	snprintf(c->label, sizeof c->label, "-");
	s->ops->error(s->ctx, status, why, NULL, &rp);
	rp.close = 1;
	respond(s, c, &rp, now);
}

/* Every descriptor but the connection's: what a forked job must not hold. */
static void
close_others(struct server *s, struct server_conn *keep)
{
	int i;

	for (i = 0; i < s->nconns; i++)
		if (s->conns[i] != keep) {
			close(s->conns[i]->in);
			if (s->conns[i]->out != s->conns[i]->in)
				close(s->conns[i]->out);
		}
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->sfd >= 0)
		close(s->sfd);
	for (i = 0; i < s->nhidden; i++)
		close(s->hidden[i]);
}

/* A job: in the process itself with one connection, else in a child that takes
 * the connection over while the loop goes on.  1 when the connection is done
 * with, 0 when an answer was queued instead. */
static int
run_job(struct server *s, struct server_conn *c, struct server_reply *rp, long long now)
{
	struct timeval tv = { s->lim.write_ms / 1000, 0 };
	sigset_t none;
	pid_t pid;

	setsockopt(c->out, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (s->one) {
		c->status = s->ops->job(s->ctx, c->in, c->out);
		return 1;
	}
	if (s->children >= s->lim.max_children || (pid = fork()) < 0) {
		char m[96] = "cannot fork: try again";
		if (s->children >= s->lim.max_children)
			snprintf(m, sizeof m, "too many jobs at once (%s.max_children): try again",
			    s->lim.keys);
		s->ops->error(s->ctx, 503, m, "Retry-After: 1\r\n", rp);
		return 0;
	}
	if (pid == 0) {
		close_others(s, c);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		fcntl(c->in, F_SETFL, fcntl(c->in, F_GETFL) & ~O_NONBLOCK);
		if (s->ops->forked)
			s->ops->forked(s->ctx);
		c->status = s->ops->job(s->ctx, c->in, c->out);
		close(c->in);
		finish(s, c, clock_mono_ms());
		_exit(0);
	}
	s->children++;
	c->status = 0;                 /* the child logs it */
	return 1;
}

/* Parse what has arrived; answer when a whole request is in.  1 when the
 * connection is done with. */
static int
step(struct server *s, struct server_conn *c, long long now)
{
	struct server_reply rp = { 0 };
	struct http_req r;
	int n, done = 0, refused;

	if (c->state != READING)
		return 0;
	if (!c->head) {
		if (!c->rx.len)
			return 0;
		if (!c->partial) {
			/* A new connection's head is due head_ms after the accept, a kept
			 * one's after its first byte: a byte now and then never buys more time. */
			c->partial = 1;
			c->t0 = now;
			if (c->nreq > 0)
				c->deadline = now + s->lim.head_ms;
		}
		if ((n = http_parse(c->rx.p, c->rx.len, &r)) == 0)
			return 0;
		if (n < 0) {
			refuse(s, c, -n, r.error, now);
			return 0;
		}
		c->head = (size_t)n;
		snprintf(c->method, sizeof c->method, "%.*s", (int)(r.mlen < 15 ? r.mlen : 15),
		    r.method);
		refused = s->ops->head && s->ops->head(s->ctx, &r, &rp);
		c->length = r.length < 0 ? 0 : r.length;
		if (r.length < 0 && r.mlen == 4 && memcmp(r.method, "POST", 4) == 0) {
			refuse(s, c, 411, "a POST needs a Content-Length", now);
			return 0;
		}
		if (r.length > s->lim.max_body) {
			char m[96];
			snprintf(m, sizeof m, "the body is over %lld bytes (%s.max_body)",
			    s->lim.max_body, s->lim.keys);
			refuse(s, c, 413, m, now);
			c->linger = 1;
			return 0;
		}
		if (refused) {
			/* Refused on its head: a body is never read, nor asked for, and
			 * the connection goes with it unread; with none it may be kept. */
			snprintf(c->label, sizeof c->label, "%s", rp.label);
			rp.close = rp.close || c->length > 0;
			c->linger = c->length > 0;
			respond(s, c, &rp, now);
			buf_consume(&c->rx, c->head);
			c->head = 0;
			c->partial = 0;
			return 0;
		}
		if (r.expect_continue && c->rx.len < c->head + (size_t)c->length
		    && write(c->out, "HTTP/1.1 100 Continue\r\n\r\n", 25) < 0)
			return 1;
		c->deadline = now + s->lim.body_ms;
	}
	if (c->rx.len < c->head + (size_t)c->length)
		return 0;
	http_parse(c->rx.p, c->head, &r);
	s->ops->request(s->ctx, &r, c->rx.p + c->head, (size_t)c->length, &rp);
	snprintf(c->label, sizeof c->label, "%s", rp.label);
	if (rp.job)
		done = run_job(s, c, &rp, now);
	if (!done) {
		respond(s, c, &rp, now);
		buf_consume(&c->rx, c->head + (size_t)c->length);
		c->head = 0;
		c->partial = 0;
	}
	return done;
}

/* 1 when the connection is done with. */
static int
on_read(struct server *s, struct server_conn *c, long long now)
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
		refuse(s, c, 431, "the request head is too large", now);
		return 0;
	}
	return step(s, c, now);
}

static int
on_write(struct server *s, struct server_conn *c, long long now)
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
	if (c->close && c->linger && shutdown(c->out, SHUT_WR) == 0) {   /* not a pipe */
		finish(s, c, now);
		c->state = DRAINING;
		c->deadline = now + DRAIN_MS;
		c->drained = 0;
		return 0;
	}
	if (c->close)
		return 1;
	finish(s, c, now);
	c->state = READING;
	c->deadline = now + s->lim.idle_ms;
	return step(s, c, now);
}

/* What still comes of a refused body, dropped: 1 when the connection is done with. */
static int
on_drain(struct server *s, struct server_conn *c)
{
	char chunk[16384];
	ssize_t n = read(c->in, chunk, sizeof chunk);

	if (n < 0)
		return errno != EAGAIN && errno != EINTR;
	c->drained += n;
	return n == 0 || c->drained > DRAIN_MAX;
}

/* A deadline passed: 1 when the connection is done with. */
static int
expire(struct server *s, struct server_conn *c, long long now)
{
	char m[96];

	if (c->state != READING || (!c->partial && c->nreq > 0))
		return 1;                      /* a reader that stalled, or keep-alive gone idle */
	snprintf(m, sizeof m, "the %s did not arrive in time (%s.%s_timeout)",
	    c->head ? "body" : "request head", s->lim.keys, c->head ? "body" : "head");
	refuse(s, c, 408, m, now);
	c->partial = 1;
	return on_write(s, c, now);
}

/* Signals, and the children that ended: how many. */
static int
reap(struct server *s)
{
	struct signalfd_siginfo si;
	int reaped = 0;

	while (read(s->sfd, &si, sizeof si) == sizeof si)
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			s->stopping = 1;
		else if (si.ssi_signo == SIGHUP && s->ops->reload)
			s->ops->reload(s->ctx);
	while (waitpid(-1, NULL, WNOHANG) > 0) {
		if (s->children > 0)
			s->children--;
		reaped++;
	}
	return reaped;
}

/* How far a connection has got, least first: idle between requests or draining
 * a refused body (nothing is lost by closing it), then still reading its head
 * (the older the less), or past its head's deadline; -1 for one that must not
 * be shed (a body being read, an answer being written). */
static long long
progress(const struct server_conn *c, long long now)
{
	if (c->state == DRAINING)
		return 0;
	if (c->state != READING || c->head)
		return -1;
	if (!c->partial && c->nreq > 0)
		return 0;
	return c->deadline <= now ? 1 : 2 + c->born;
}

/* Make room for a connection from host: shed the peer's least advanced one when
 * it is at its limit, else, when the table is full, the least advanced of all.
 * 0 when there is room. */
static int
make_room(struct server *s, const char *host, long long now)
{
	int i, mine = 0, victim = -1, own = -1;
	long long best = -1, ownbest = -1;

	for (i = 0; i < s->nconns; i++) {
		long long p = progress(s->conns[i], now);
		int same = strcmp(s->conns[i]->peer, host) == 0;
		mine += same;
		if (p >= 0 && (best < 0 || p < best))
			best = p, victim = i;
		if (same && p >= 0 && (ownbest < 0 || p < ownbest))
			ownbest = p, own = i;
	}
	if (s->lim.max_per_peer > 0 && mine >= s->lim.max_per_peer)
		victim = own;
	else if (s->nconns < s->maxconns)
		return 0;
	if (victim < 0)
		return -1;
	conn_free(s, victim);
	return 0;
}

static void
accept_all(struct server *s, long long now)
{
	int k;

	for (k = 0; k < 256; k++) {               /* a turn for the others now and then */
		struct sockaddr_storage sa;
		socklen_t len = sizeof sa;
		char host[INET6_ADDRSTRLEN] = "-";
		int fd;

		fd = accept4(s->lfd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			/* The connection waits in the backlog, and the socket stays readable:
			 * without a pause the loop would spin until a descriptor frees. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS
			    || errno == ENOMEM)
				s->accept_pause = now + 100;
			return;
		}
		if (sa.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, host,
			    sizeof host);
		else if (sa.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, host,
			    sizeof host);
		if (make_room(s, host, now) || !conn_new(s, fd, fd, host))
			close(fd);
	}
}

/* One connection's turn: 1 when it is done with. */
static int
turn(struct server *s, struct server_conn *c, short ev, long long now)
{
	int done = 0;

	if (ev && c->state == DRAINING)
		done = on_drain(s, c);
	else if (ev && c->state == READING)
		done = on_read(s, c, now);
	else if (ev && c->state == WRITING)
		done = on_write(s, c, now);
	else if (c->deadline <= now)
		done = expire(s, c, now);
	else if (s->stopping && c->state == READING && !c->partial)
		done = 1;                      /* idle while stopping: nothing lost */
	if (!done && c->state == WRITING)
		done = on_write(s, c, now);    /* an answer just queued: try it at once */
	return done;
}

/* Signals through a descriptor, and as many connections as descriptors allow. */
static int
take_signals(struct server *s)
{
	struct rlimit rl;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((s->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		return err_set(EX_SOFTWARE, "signalfd:");
	/* A connection is a descriptor: take what the hard limit allows, keep some
	 * for the owner's files and a job's pipes. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < SERVER_MAXCONNS + 64 && rl.rlim_max > rl.rlim_cur) {
			rl.rlim_cur = rl.rlim_max < SERVER_MAXCONNS + 64 ? rl.rlim_max
			    : SERVER_MAXCONNS + 64;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur < SERVER_MAXCONNS + 64)
			s->maxconns = rl.rlim_cur > 96 ? (int)rl.rlim_cur - 64 : 32;
	}
	return 0;
}

static long long
sooner(long long a, long long b)
{
	return a < 0 || (b >= 0 && b < a) ? b : a;
}

int
server_run(struct server *s)
{
	struct pollfd fds[SERVER_MAXCONNS + 2];
	struct server_conn *polled[SERVER_MAXCONNS];
	int rc, reaped = 0;

	if (s->lfd >= 0 && (rc = take_signals(s)))
		return rc;
	while (s->nconns > 0 || (s->lfd >= 0 && !s->stopping)) {
		long long now = clock_mono_ms(), next = s->next_tick;
		int i, k = 0, base, np = s->nconns;
		int listening = s->lfd >= 0 && !s->stopping && now >= s->accept_pause;

		if (s->sfd >= 0)
			fds[k++] = (struct pollfd){ s->sfd, POLLIN, 0 };
		if (listening)
			fds[k++] = (struct pollfd){ s->lfd, POLLIN, 0 };
		base = k;
		for (i = 0; i < np; i++) {
			struct server_conn *c = polled[i] = s->conns[i];
			fds[k++] = (struct pollfd){ c->state != WRITING ? c->in : c->out,
			    c->state != WRITING ? POLLIN : POLLOUT, 0 };
			next = sooner(next, c->deadline);
		}
		if (s->lfd >= 0 && !s->stopping && now < s->accept_pause)
			next = sooner(next, s->accept_pause);
		if (poll(fds, (nfds_t)k, next < 0 ? -1 : next <= now ? 0 : (int)(next - now)) < 0
		    && errno != EINTR)
			return err_set(EX_SOFTWARE, "poll:");
		now = clock_mono_ms();
		if (s->sfd >= 0 && fds[0].revents)
			reaped += reap(s);
		for (i = 0; i < np; i++)
			if (turn(s, polled[i], fds[base + i].revents, now))
				polled[i]->dead = 1;
		for (i = 0; i < s->nconns; )
			if (s->conns[i]->dead)
				conn_free(s, i);
			else
				i++;
		if (listening && fds[base - 1].revents)
			accept_all(s, now);
		if (s->ops->tick) {
			s->next_tick = s->ops->tick(s->ctx, reaped);
			reaped = 0;
		}
	}
	return 0;
}

int
server_listen(struct server *s, const char *spec, char *bound, size_t n)
{
	int fd = tcp_listen(spec, bound, n, &s->exposed);

	if (fd < 0)
		return err_code();
	s->lfd = fd;
	return 0;
}
