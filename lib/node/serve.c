/* serve: a session proves the client's key against the pinned peers before it
 * reads a request, runs only an allowlisted claw program, carries its stdin,
 * stdout, stderr and exit, and kills it when the client goes away. */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/path.h"
#include "base/proc.h"
#include "net/tcp.h"
#include "node/ident.h"
#include "node/peer.h"
#include "node/serve.h"
#include "store/store.h"
#include "store/telemetry.h"

#define MAXARGS 64
#define CHUNK (128u << 10)
#define EXIT_FLUSH_MS 30000

double
node_loadavg(void)
{
	FILE *f = fopen("/proc/loadavg", "re");
	double l = -1;

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

static int
jobs_dir(char *dir, size_t n)
{
	return path_mkhome("run") || path_in_home(dir, n, "run/node-jobs")
	    || (path_mkdirs(dir, 0700) && errno != EEXIST) ? -1 : 0;
}

int
node_jobs(void)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int n = 0;

	if (jobs_dir(dir, sizeof dir) || !(d = opendir(dir)))
		return 0;
	while ((e = readdir(d))) {
		long pid = strtol(e->d_name, NULL, 10);
		if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
			n++;
	}
	closedir(d);
	return n;
}

/* Mark this session as a running job (on) or not: a file named by our pid. */
static void
job_mark(int on)
{
	char dir[PATH_MAX], f[PATH_MAX + 32];
	FILE *fp;

	if (jobs_dir(dir, sizeof dir))
		return;
	snprintf(f, sizeof f, "%s/%ld", dir, (long)getpid());
	if (!on)
		unlink(f);
	else if ((fp = fopen(f, "we")))
		fclose(fp);
}

struct sess {
	const struct node_serve *s;
	sqlite3 *db;
	struct node_chan c;
	struct telemetry tel;
	const char *addr;
	struct peer peer;
	char fp[NODE_FPTEXT];
};

static int
on_invite(void *ctx, const unsigned char id[8], struct node_invite *inv, char *why, size_t n)
{
	struct sess *x = ctx;

	return invite_take(x->db, id, inv, why, n);
}

static void
on_bad_proof(void *ctx, const unsigned char id[8])
{
	struct sess *x = ctx;

	invite_fail(x->db);
}

static void
event(struct sess *x, const char *kind, long long ms, int ok, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* A telemetry row with {"peer","fingerprint","addr", ...more}: more is JSON members. */
static void
event(struct sess *x, const char *kind, long long ms, int ok, const char *fmt, ...)
{
	struct buf d = BUF_INIT;
	char more[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(more, sizeof more, fmt, ap);
	va_end(ap);
	buf_adds(&d, "{\"peer\":");
	if (x->peer.name[0])
		buf_add_json_str(&d, x->peer.name, strlen(x->peer.name));
	else
		buf_adds(&d, "null");
	buf_printf(&d, ",\"fingerprint\":\"%s\",\"addr\":", x->fp[0] ? x->fp : "");
	buf_add_json_str(&d, x->addr, strlen(x->addr));
	buf_printf(&d, "%s%s}", *more ? "," : "", more);
	telemetry_add(&x->tel, kind, ms, ok, d.oom ? NULL : d.p);
	buf_free(&d);
}

/* One JSON string member, escaped, for event(). */
static const char *
jstr(struct buf *b, const char *s)
{
	buf_reset(b);
	buf_add_json_str(b, s, strlen(s));
	return b->p ? b->p : "\"\"";
}

/* The server's log line, through its owner (lib/ does not print). */
static void
say(const struct node_serve *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
say(const struct node_serve *s, const char *fmt, ...)
{
	char m[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	if (s->log)
		s->log(m);
}

/* The final frame with the exit and what else the client should know. */
static void
send_exit(struct sess *x, int code)
{
	char j[160];

	snprintf(j, sizeof j, "{\"exit\":%d,\"load\":%.2f,\"jobs\":%d}", code, node_loadavg(),
	    node_jobs());
	node_send(&x->c, NODE_F_EXIT, j, strlen(j), 1);
	node_flush_all(&x->c, clock_mono_ms() + EXIT_FLUSH_MS);
}

static void
send_text(struct sess *x, int kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void
send_text(struct sess *x, int kind, const char *fmt, ...)
{
	char m[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	node_send(&x->c, kind, m, n < 0 ? 0 : (size_t)n >= sizeof m ? sizeof m - 1 : (size_t)n, 0);
}

/* Pairing: pin the client under the name it gave, at the address it came from. */
static int
pair(struct sess *x, const struct node_invite *inv, struct buf *payload)
{
	char name[PEER_NAMEMAX], listen[128], host[300] = "", port[16], h[256];
	struct buf j = BUF_INIT;
	int rc;

	if (!payload->len || !json_valid(payload->p, payload->len, NULL, 0)
	    || !json_member_str(payload->p, payload->len, "name", name, sizeof name)
	    || !peer_name_ok(name)) {
		send_text(x, NODE_F_WELCOME, "{\"type\":\"refused\",\"code\":65,"
		    "\"message\":\"pairing: a name is needed\"}");
		node_send(&x->c, NODE_F_EXIT, "{\"exit\":65}", 11, 1);
		node_flush_all(&x->c, clock_mono_ms() + EXIT_FLUSH_MS);
		return EX_DATAERR;
	}
	/* its address as we see it, with the port it says it serves on */
	if (json_member_str(payload->p, payload->len, "listen", listen, sizeof listen)
	    && tcp_split(listen, h, sizeof h, port, sizeof port) == 0 && strcmp(x->addr, "-"))
		snprintf(host, sizeof host, strchr(x->addr, ':') ? "[%s]:%s" : "%s:%s", x->addr,
		    port);
	if ((rc = invite_used(x->db, inv->id)) || (rc = peer_pin(x->db, name, host, x->c.peer))) {
		send_text(x, NODE_F_WELCOME, "{\"type\":\"refused\",\"code\":%d,\"message\":%s}",
		    rc,
		    jstr(&j, err_msg()));
		node_send(&x->c, NODE_F_EXIT, "{\"exit\":77}", 11, 1);
		node_flush_all(&x->c, clock_mono_ms() + EXIT_FLUSH_MS);
		buf_free(&j);
		return rc;
	}
	snprintf(x->peer.name, sizeof x->peer.name, "%s", name);
	send_text(x, NODE_F_WELCOME, "{\"type\":\"welcome\",\"name\":%s,\"paired\":true}",
	    jstr(&j, x->s->name));
	send_exit(x, 0);
	event(x, "pair", -1, 1, "\"host\":%s", jstr(&j, host));
	say(x->s, "paired with %s (%s) from %s", name, x->fp, x->addr);
	buf_free(&j);
	return 0;
}

/* The request's argument vector: a JSON array of 1..MAXARGS strings. */
static int
parse_argv(const char *p, size_t n, char **argv, struct buf *store)
{
	const char *arr, *v;
	size_t an, vn, off = 0, offs[MAXARGS];
	int k = 0, i;

	if (!json_member(p, n, "argv", &arr, &an) || an == 0 || arr[0] != '[')
		return -1;
	while (json_array_next(arr, an, &off, &v, &vn)) {
		if (k == MAXARGS || vn == 0 || v[0] != '"')
			return -1;
		offs[k++] = store->len;
		if (!json_str_decode(v, vn, store) || memchr(store->p + offs[k - 1], '\0',
		    store->len - offs[k - 1]))
			return -1;
		buf_addc(store, '\0');
	}
	if (k == 0 || store->oom)
		return -1;
	for (i = 0; i < k; i++)
		argv[i] = store->p + offs[i];
	argv[k] = NULL;
	return k;
}

/* A claw program by its bare name: claw-WORD, nothing else. */
static int
claw_program(const char *s)
{
	size_t n = strlen(s);

	return n > 5 && n < 40 && strncmp(s, "claw-", 5) == 0
	    && strspn(s + 5, "abcdefghijklmnopqrstuvwxyz") == n - 5;
}

/* Carry bytes between the channel and the child until it exits: its exit code,
 * or -1 when the client went away (the child is killed). */
static int
relay(struct sess *x, struct proc *p)
{
	struct buf inq = BUF_INIT;
	size_t inoff = 0;
	int in_eof = 0, gone = 0, code;
	char *chunk = malloc(CHUNK);

	if (!chunk)
		gone = 1;
	while (!gone && (p->out >= 0 || p->err >= 0)) {
		struct pollfd f[5] = {
			/* a descriptor not wanted now is -1: a hung-up one would report
			 * POLLHUP with no events asked and the loop would spin */
			{ inq.len - inoff < NODE_TXHIGH ? x->c.rfd : -1, POLLIN, 0 },
			{ node_pending(&x->c) ? x->c.wfd : -1, POLLOUT, 0 },
			{ inq.len > inoff ? p->in : -1, POLLOUT, 0 },
			{ node_pending(&x->c) < NODE_TXHIGH ? p->out : -1, POLLIN, 0 },
			{ node_pending(&x->c) < NODE_TXHIGH ? p->err : -1, POLLIN, 0 },
		};
		int i, kind, r;
		const unsigned char *d;
		size_t dn;
		/* frames already read (behind the request) are taken without waiting */
		int held = x->c.rlen > x->c.used && f[0].fd >= 0;
		if (poll(f, 5, held ? 0 : -1) < 0 && errno != EINTR)
			break;
		if (f[0].revents || held) {
			while ((r = node_recv(&x->c, &kind, &d, &dn)) > 0) {
				if (kind == NODE_F_STDIN && !in_eof)
					buf_add(&inq, d, dn);
				else if (kind == NODE_F_EOF && x->c.rx_final)
					in_eof = 1;
				else {
					snprintf(x->c.why, sizeof x->c.why, "unexpected frame");
					r = -1;
					break;
				}
			}
			if (r < 0 || x->c.eof)
				/* broken, or closed: either way the client is gone */
				gone = 1;
		}
		if (node_flush(&x->c))
			gone = 1;
		if (p->in >= 0 && inq.len > inoff) {
			ssize_t w = write(p->in, inq.p + inoff, inq.len - inoff);
			if (w > 0)
				inoff += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EINTR)
				/* it stopped reading */
				inoff = inq.len, close(p->in), p->in = -1;
			if (inoff == inq.len)
				buf_reset(&inq), inoff = 0;
		}
		if (p->in >= 0 && in_eof && inq.len == inoff)
			close(p->in), p->in = -1;
		for (i = 3; i < 5; i++) {
			int *fd = i == 3 ? &p->out : &p->err;
			ssize_t n;
			if (*fd < 0 || !f[i].revents)
				continue;
			n = read(*fd, chunk, CHUNK);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				close(*fd);
				*fd = -1;
				continue;
			}
			node_send(&x->c, i == 3 ? NODE_F_STDOUT : NODE_F_STDERR, chunk, (size_t)n,
			    0);
		}
	}
	free(chunk);
	buf_free(&inq);
	if (gone) {
		proc_kill(p);
		proc_wait(p, 1000);
		return -1;
	}
	code = proc_wait(p, -1);
	return code;
}

static int
run(struct sess *x)
{
	char *argv[MAXARGS + 1], path[PATH_MAX];
	struct buf args = BUF_INIT, j = BUF_INIT;
	long long t0 = clock_mono_ms();
	const unsigned char *d;
	size_t dn;
	const char *op;
	size_t opn;
	struct proc p;
	int kind = 0, rc;

	send_text(x, NODE_F_WELCOME, "{\"type\":\"welcome\",\"name\":%s,\"load\":%.2f,\"jobs\":%d}",
	    jstr(&j, x->s->name), node_loadavg(), node_jobs());
	if (node_recv_wait(&x->c, &kind, &d, &dn, clock_mono_ms() + x->s->timeout_ms) < 0
	    || kind != NODE_F_REQUEST) {
		event(x, "request", -1, 0, "\"error\":%s",
		    jstr(&j, kind != NODE_F_REQUEST && !x->c.why[0] ? "no request" : x->c.why));
		rc = EX_DATAERR;
		goto out;
	}
	if (json_valid((const char *)d, dn, NULL, 0)
	    && json_member((const char *)d, dn, "op", &op, &opn)) {
		send_exit(x, 0);
		event(x, "ping", clock_mono_ms() - t0, 1, "\"op\":\"ping\"");
		rc = 0;
		goto out;
	}
	if (!json_valid((const char *)d, dn, NULL, 0)
	    || parse_argv((const char *)d, dn, argv, &args) < 0) {
		send_text(x, NODE_F_STDERR, "claw-node: a request must be {\"argv\":[...]}\n");
		send_exit(x, EX_DATAERR);
		event(x, "request", -1, 0, "\"error\":\"malformed request\"");
		rc = EX_DATAERR;
		goto out;
	}
	if (!claw_program(argv[0]) || !peer_allowed(&x->peer, argv)
	    || path_find_prog(argv[0], path, sizeof path) < 0) {
		int known = claw_program(argv[0]) && peer_allowed(&x->peer, argv);
		send_text(x, NODE_F_STDERR, "claw-node: %.200s: %s\n", argv[0], known ?
		    "not installed on this node" : "not allowed for this peer (claw-node allow)");
		send_exit(x, known ? EX_UNAVAILABLE : EX_NOPERM);
		event(x, "request", -1, 0, "\"program\":%s,\"exit\":%d,\"refused\":\"%s\"",
		    jstr(&j, argv[0]), known ? EX_UNAVAILABLE : EX_NOPERM,
		    known ? "not installed" : "not on the allowlist");
		say(x->s, "%s: refused %.200s from %s: %s", x->peer.name, argv[0], x->addr,
		    known ? "not installed" : "not on its allowlist");
		rc = known ? EX_UNAVAILABLE : EX_NOPERM;
		goto out;
	}
	argv[0] = path;
	if (proc_spawn_err(&p, argv, NULL)) {
		send_text(x, NODE_F_STDERR, "claw-node: %s\n", err_msg());
		send_exit(x, err_code());
		rc = err_code();
		goto out;
	}
	/* never block on the child: it may be waiting for us to take its output */
	fcntl(p.in, F_SETFL, O_NONBLOCK);
	fcntl(p.out, F_SETFL, O_NONBLOCK);
	fcntl(p.err, F_SETFL, O_NONBLOCK);
	job_mark(1);
	rc = relay(x, &p);
	job_mark(0);
	if (rc >= 0)
		send_exit(x, rc);
	event(x, "request", clock_mono_ms() - t0, rc == 0, "\"program\":%s,\"exit\":%d%s",
	    jstr(&j, strrchr(path, '/') + 1), rc < 0 ? -1 : rc, rc < 0 ? ",\"gone\":true" : "");
	if (rc < 0) {
		say(x->s, "%s: the client went away (%s): %s killed", x->peer.name,
		    x->c.why[0] ? x->c.why : "closed", strrchr(path, '/') + 1);
		rc = EX_IOERR;
	}
out:
	buf_free(&args);
	buf_free(&j);
	return rc;
}

int
node_session(const struct node_serve *s, int rfd, int wfd, const char *addr)
{
	struct sess x = { .s = s, .addr = addr };
	struct node_server_ops ops = { on_invite, on_bad_proof, &x };
	struct node_invite inv;
	struct node_id me;
	struct buf payload = BUF_INIT, j = BUF_INIT;
	long long t0 = clock_mono_ms();
	int created, mode, rc;

	telemetry_init(&x.tel, "claw-node");
	if ((rc = ident_load(&me, &created)) || (rc = store_open(&x.db)))
		return rc;
	if ((rc = node_chan_init(&x.c, rfd, wfd, 1)))
		goto out;
	rc = node_hs_server(&x.c, &me, &ops, &mode, &inv, &payload, t0 + s->timeout_ms);
	if (rc) {
		event(&x, "handshake", clock_mono_ms() - t0, 0, "\"error\":%s", jstr(&j,
		    err_msg()));
		say(s, "handshake from %s: %s", addr, err_msg());
		goto out;
	}
	ident_fingerprint(x.c.peer, x.fp);
	if (mode == NODE_PAIR) {
		rc = pair(&x, &inv, &payload);
		goto out;
	}
	if (peer_by_key(x.db, x.c.peer, &x.peer)) {
		/* Nothing it sends is read: the refusal goes out and the session ends. */
		send_text(&x, NODE_F_WELCOME, "{\"type\":\"refused\",\"code\":77,\"message\":"
		    "\"this node does not know your key %s: pair first (claw-node invite)\"}",
		    x.fp);
		node_send(&x.c, NODE_F_EXIT, "{\"exit\":77}", 11, 1);
		node_flush_all(&x.c, clock_mono_ms() + 5000);
		event(&x, "refused", clock_mono_ms() - t0, 0,
		    "\"reason\":\"unknown key\",\"requests_read\":0");
		say(s, "refused %s from %s: unknown key; no request was read", x.fp, addr);
		rc = EX_NOPERM;
		goto out;
	}
	rc = run(&x);
out:
	telemetry_flush(&x.tel, x.db);
	telemetry_free(&x.tel);
	node_chan_free(&x.c);
	store_close(x.db);
	ident_wipe(&me);
	buf_free(&payload);
	buf_free(&j);
	return rc;
}

static void
peer_addr(int fd, char *dst, size_t n)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;

	snprintf(dst, n, "-");
	if (getpeername(fd, (struct sockaddr *)&sa, &len) < 0)
		return;
	if (sa.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, dst, (socklen_t)n);
	else if (sa.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, dst, (socklen_t)n);
}

int
node_listen(const struct node_serve *s, const char *spec, void (*ready)(const char *bound))
{
	char bound[128], addr[64];
	sigset_t set;
	int lfd, sfd, exposed, children = 0;

	if ((lfd = tcp_listen(spec, bound, sizeof bound, &exposed)) < 0)
		return err_code();
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		close(lfd);
		return err_set(EX_SOFTWARE, "signalfd:");
	}
	if (exposed)
		say(s, "listening on %s, which is not loopback: peers are still only pinned keys",
		    bound);
	ready(bound);
	for (;;) {
		struct pollfd f[2] = { { sfd, POLLIN, 0 },
		    { lfd, children < s->max_children ? POLLIN : 0, 0 } };
		struct signalfd_siginfo si;
		int stop = 0, fd;
		if (poll(f, 2, -1) < 0 && errno != EINTR)
			break;
		while (read(sfd, &si, sizeof si) == sizeof si)
			if (si.ssi_signo != SIGCHLD)
				stop = 1;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			children--;
		if (stop)
			break;
		if (!(f[1].revents & POLLIN))
			continue;
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		switch (fork()) {
		case -1:
			close(fd);
			break;
		case 0:
			close(lfd);
			close(sfd);
			sigprocmask(SIG_UNBLOCK, &set, NULL);
			peer_addr(fd, addr, sizeof addr);
			_exit(node_session(s, fd, fd, addr));
		default:
			children++;
			close(fd);
		}
	}
	close(lfd);
	close(sfd);
	return 0;
}
