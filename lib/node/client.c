/* client: dial, shake hands, then relay our stdin, stdout and stderr through the
 * channel; a run that fails before output reached us goes to the next peer with
 * the stdin sent so far sent again. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/proc.h"
#include "net/tcp.h"
#include "node/client.h"

#define CHUNK (128u << 10)
#define HIST_MAX (16u << 20)     /* stdin kept for a failover; past it a run cannot move */

/* HOST, HOST:PORT, [V6], [V6]:PORT or a bare V6 address into host and port. */
static int
split_host(const char *spec, char *host, size_t hn, char *port, size_t pn)
{
	const char *c = strchr(spec, ':');

	if (spec[0] == '[' && !strstr(spec, "]:")) {
		snprintf(host, hn, "%.*s", (int)strcspn(spec + 1, "]"), spec + 1);
		snprintf(port, pn, "%s", NODE_PORT);
		return 0;
	}
	if (!c || (spec[0] != '[' && strchr(c + 1, ':'))) {
		snprintf(host, hn, "%s", spec);
		snprintf(port, pn, "%s", NODE_PORT);
		return 0;
	}
	return tcp_split(spec, host, hn, port, pn);
}

int
node_open(struct node_conn *k, const char *host, const struct node_id *me,
    const unsigned char *pin, const struct node_invite *inv, const char *payload,
    int timeout_ms)
{
	char h[256], port[16], why[256];
	long long deadline = clock_mono_ms() + timeout_ms;
	int rc;

	memset(k, 0, sizeof *k);
	k->fd = -1;
	k->ssh = -1;
	if (strncmp(host, "ssh:", 4) == 0) {
		/* ssh's own authentication, then ours inside it */
		char *argv[] = { "ssh", "-T", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
		    "--", (char *)host + 4, "claw-node", "serve", "--stdio", NULL };
		struct proc p;
		if (host[4] == '-' || !host[4])
			return err_set(EX_USAGE, "%s: not an ssh destination", host);
		if ((rc = proc_spawn(&p, argv, NULL)))
			return rc;
		k->ssh = p.pid;
		k->rfd = p.out;
		k->wfd = p.in;
	} else {
		if (split_host(host, h, sizeof h, port, sizeof port))
			return err_code();
		if ((k->fd = tcp_dial(h, port, timeout_ms)) < 0) {
			snprintf(why, sizeof why, "%s", err_msg());
			return err_set(err_code(), "%s", why);
		}
		k->rfd = k->wfd = k->fd;
	}
	if ((rc = node_chan_init(&k->c, k->rfd, k->wfd, 0))
	    || (rc = node_hs_client(&k->c, me, pin, inv, payload, payload ? strlen(payload) : 0,
	    deadline))) {
		snprintf(why, sizeof why, "%s", err_msg());
		node_close(k);
		return err_set(rc, "%s: %s", host, why);
	}
	return 0;
}

void
node_close(struct node_conn *k)
{
	node_chan_free(&k->c);
	if (k->fd >= 0)
		close(k->fd);
	else {
		if (k->rfd > 0)
			close(k->rfd);
		if (k->wfd > 0)
			close(k->wfd);
	}
	if (k->ssh > 0) {
		kill(k->ssh, SIGTERM);
		waitpid(k->ssh, NULL, 0);
	}
	k->fd = k->rfd = k->wfd = -1;
	k->ssh = -1;
}

void
node_request_json(struct buf *b, char *const argv[])
{
	int i;

	buf_adds(b, "{\"argv\":[");
	for (i = 0; argv[i]; i++) {
		if (i)
			buf_addc(b, ',');
		buf_add_json_str(b, argv[i], strlen(argv[i]));
	}
	buf_adds(b, "]}");
}

static double
num_member(const unsigned char *p, size_t n, const char *key, double dflt)
{
	const char *v;
	size_t vn;

	if (!json_member((const char *)p, n, key, &v, &vn) || vn == 0 || vn > 30)
		return dflt;
	return strtod(v, NULL);
}

int
node_exit_parse(const unsigned char *p, size_t n, double *load, int *jobs)
{
	if (!json_valid((const char *)p, n, NULL, 0))
		return -1;
	*load = num_member(p, n, "load", -1);
	*jobs = (int)num_member(p, n, "jobs", -1);
	return (int)num_member(p, n, "exit", -1);
}

/* All of p to fd, waiting when it is non-blocking: 0, or -1 (EPIPE: a reader gone). */
static int
put(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w > 0) {
			p = (const char *)p + w, n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EAGAIN) {
			struct pollfd f = { fd, POLLOUT, 0 };
			poll(&f, 1, 1000);
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		return -1;
	}
	return 0;
}

/* What one run keeps across peers. */
struct run {
	struct buf hist;          /* stdin sent so far, while keep */
	int keep, in_eof, out_gone;
	char *chunk;
	struct node_result *res;
	char why[256];
};

enum { TRY_DONE, TRY_FAILED };

/* The W frame: 0 welcome (load and jobs noted), else refused with why. */
static int
welcome(struct run *r, struct peer *p, const unsigned char *d, size_t n)
{
	struct buf m = BUF_INIT;
	char type[16];

	if (!json_valid((const char *)d, n, NULL, 0)
	    || !json_member_str((const char *)d, n, "type", type, sizeof type))
		return snprintf(r->why, sizeof r->why, "a malformed welcome"), -1;
	if (strcmp(type, "welcome") == 0) {
		p->load = num_member(d, n, "load", -1);
		p->jobs = (int)num_member(d, n, "jobs", -1);
		return 0;
	}
	json_member_text((const char *)d, n, "message", &m);
	snprintf(r->why, sizeof r->why, "refused: %s", m.p ? m.p : "no reason given");
	buf_free(&m);
	return -1;
}

static int
try_peer(struct run *r, const struct node_id *me, struct peer *p, char *const argv[],
    int timeout_ms)
{
	struct node_conn k;
	struct buf req = BUF_INIT;
	long long t0 = clock_mono_ms(), wdeadline = t0 + timeout_ms;
	int got_w = 0, kind, x, rc = TRY_FAILED;
	const unsigned char *d;
	size_t dn, off;
	double load;

	if (!p->has_key)
		return snprintf(r->why, sizeof r->why, "no key pinned"), TRY_FAILED;
	if (node_open(&k, p->host, me, p->key, NULL, NULL, timeout_ms))
		return snprintf(r->why, sizeof r->why, "%s", err_msg()), TRY_FAILED;
	node_request_json(&req, argv);
	node_send(&k.c, NODE_F_REQUEST, req.p, req.len, 0);
	buf_free(&req);
	for (off = 0; off < r->hist.len; off += CHUNK)
		node_send(&k.c, NODE_F_STDIN, r->hist.p + off,
		    r->hist.len - off < CHUNK ? r->hist.len - off : CHUNK, 0);
	if (r->in_eof)
		node_send(&k.c, NODE_F_EOF, "", 0, 1);
	for (;;) {
		struct pollfd f[3] = {
			/* -1: a pipe at its end reports POLLHUP even when nothing is asked */
			{ !r->in_eof && node_pending(&k.c) < NODE_TXHIGH ? 0 : -1, POLLIN, 0 },
			{ k.rfd, POLLIN, 0 },
			{ k.wfd, node_pending(&k.c) ? POLLOUT : 0, 0 },
		};
		long long left = wdeadline - clock_mono_ms();
		int pr = poll(f, 3, got_w ? -1 : left > 0 ? (int)left : 0);
		if (pr < 0 && errno != EINTR)
			break;
		if (pr == 0 && !got_w) {
			snprintf(r->why, sizeof r->why, "%s: timed out waiting for it to answer",
			    p->host);
			break;
		}
		if (f[0].fd == 0 && f[0].revents) {
			ssize_t n = read(0, r->chunk, CHUNK);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				n = -2;
			if (n == 0 || n == -1) {
				r->in_eof = 1;
				node_send(&k.c, NODE_F_EOF, "", 0, 1);
			} else if (n > 0) {
				if (r->keep && r->hist.len + (size_t)n <= HIST_MAX)
					buf_add(&r->hist, r->chunk, (size_t)n);
				else
					r->keep = 0;
				node_send(&k.c, NODE_F_STDIN, r->chunk, (size_t)n, 0);
			}
		}
		if (node_flush(&k.c)) {
			snprintf(r->why, sizeof r->why, "%s: the connection broke", p->host);
			break;
		}
		while ((x = node_recv(&k.c, &kind, &d, &dn)) > 0) {
			if (kind == NODE_F_WELCOME && !got_w) {
				if (welcome(r, p, d, dn))
					goto out;
				got_w = 1;
			} else if (got_w && (kind == NODE_F_STDOUT || kind == NODE_F_STDERR)) {
				if (!r->res->relayed) {
					r->res->relayed = 1;
					r->keep = 0;
					buf_free(&r->hist);
				}
				if (put(kind == NODE_F_STDOUT ? 1 : 2, d, dn)) {
					r->out_gone = kind == NODE_F_STDOUT;
					if (r->out_gone) {
						r->res->exit = 0;      /* | head: quiet */
						rc = TRY_DONE;
						goto out;
					}
				}
			} else if (got_w && kind == NODE_F_EXIT && k.c.rx_final) {
				r->res->exit = node_exit_parse(d, dn, &load, &p->jobs);
				if (r->res->exit < 0 || r->res->exit > 255)
					r->res->exit = EX_SOFTWARE;
				p->load = load;
				rc = TRY_DONE;
				goto out;
			} else {
				snprintf(r->why, sizeof r->why, "%s: an unexpected frame", p->host);
				goto out;
			}
		}
		if (x < 0 || k.c.eof) {
			snprintf(r->why, sizeof r->why, "%s: %s", p->host,
			    k.c.why[0] ? k.c.why : "closed");
			break;
		}
	}
out:
	p->rtt_ms = (int)(clock_mono_ms() - t0);
	node_close(&k);
	return rc;
}

int
node_exec(sqlite3 *db, const struct node_id *me, struct peer *peers, const int *order,
    int n, char *const argv[], int timeout_ms, struct node_result *res)
{
	struct run r = { .hist = BUF_INIT, .keep = 1, .res = res };
	char last[256] = "no peer to run it on (claw-node add, claw-node connect)";
	int t, rc = EX_UNAVAILABLE;

	void (*note)(const char *) = res->note;

	memset(res, 0, sizeof *res);
	res->note = note;
	res->ours = 1;
	if (!(r.chunk = malloc(CHUNK)))
		return err_set(EX_SOFTWARE, "out of memory");
	for (t = 0; t < n; t++) {
		struct peer *p = &peers[order[t]];
		res->tries++;
		snprintf(res->peer, sizeof res->peer, "%s", p->name);
		if (try_peer(&r, me, p, argv, timeout_ms) == TRY_DONE) {
			peer_health(db, p->name, 1, -1, p->load, p->jobs, NULL);
			rc = res->exit;
			res->ours = 0;
			goto out;
		}
		peer_health(db, p->name, 0, -1, -1, -1, r.why);
		snprintf(last, sizeof last, "%s: %s", p->name, r.why);
		if (res->relayed) {
			rc = err_set(EX_TEMPFAIL,
			    "%s; output was already relayed, so it is not run "
			    "again", last);
			goto out;
		}
		if (!r.keep) {
			rc = err_set(EX_TEMPFAIL, "%s; more than %u MiB of input was sent, so it "
			    "cannot move to another peer", last, HIST_MAX >> 20);
			goto out;
		}
		if (res->note && t + 1 < n)
			res->note(last);
	}
	rc = err_set(EX_UNAVAILABLE, "%s", last);
out:
	free(r.chunk);
	buf_free(&r.hist);
	return rc;
}

int
node_ping(sqlite3 *db, const struct node_id *me, struct peer *p, int timeout_ms,
    double *rtt_ms)
{
	struct node_conn k;
	long long t0, deadline = clock_mono_ms() + timeout_ms;
	const unsigned char *d;
	size_t dn;
	char why[256];
	int kind, rc = 0, jobs = -1;
	double load = -1;

	if (!p->has_key)
		rc = err_set(EX_NOPERM, "%s: no key pinned (claw-node connect)", p->name);
	else if (node_open(&k, p->host, me, p->key, NULL, NULL, timeout_ms))
		rc = err_set(err_code(), "%s: %s", p->name, err_msg());
	else {
		t0 = clock_mono_ms();
		node_send(&k.c, NODE_F_REQUEST, "{\"op\":\"ping\"}", 13, 0);
		node_send(&k.c, NODE_F_EOF, "", 0, 1);
		if (node_recv_wait(&k.c, &kind, &d, &dn, deadline) < 0 || kind != NODE_F_WELCOME)
			rc = err_set(EX_IOERR, "%s: %s", p->name,
			    k.c.why[0] ? k.c.why : "no welcome");
		else if (strstr((const char *)d, "\"refused\"") && dn < 400) {
			snprintf(why, sizeof why, "%.*s", (int)dn, (const char *)d);
			rc = err_set(EX_NOPERM, "%s: refused: %s", p->name, why);
		} else if (node_recv_wait(&k.c, &kind, &d, &dn,
		    deadline) < 0 || kind != NODE_F_EXIT)
			rc = err_set(EX_IOERR, "%s: %s", p->name,
			    k.c.why[0] ? k.c.why : "no answer");
		else {
			node_exit_parse(d, dn, &load, &jobs);
			*rtt_ms = (double)(clock_mono_ms() - t0);
		}
		node_close(&k);
	}
	if (rc) {
		snprintf(why, sizeof why, "%s", err_msg());
		peer_health(db, p->name, 0, -1, -1, -1, why);
		return err_set(rc, "%s", why);
	}
	p->load = load;
	p->jobs = jobs;
	p->rtt_ms = (int)(*rtt_ms + 0.5);
	return peer_health(db, p->name, 1, p->rtt_ms, load, jobs, NULL);
}

int
node_pair(const struct node_id *me, const char *host, const struct node_invite *inv,
    const char *payload, int timeout_ms, unsigned char master[32])
{
	struct node_conn k;
	long long deadline = clock_mono_ms() + timeout_ms;
	const unsigned char *d;
	size_t dn;
	struct buf m = BUF_INIT;
	char type[16];
	int kind, rc = 0;

	if (node_open(&k, host, me, NULL, inv, payload, timeout_ms))
		return err_code();
	node_send(&k.c, NODE_F_EOF, "", 0, 1);
	if (node_recv_wait(&k.c, &kind, &d, &dn, deadline) < 0 || kind != NODE_F_WELCOME
	    || !json_valid((const char *)d, dn, NULL, 0)
	    || !json_member_str((const char *)d, dn, "type", type, sizeof type))
		rc = err_set(EX_IOERR, "%s: %s", host, k.c.why[0] ? k.c.why : "no answer");
	else if (strcmp(type, "welcome")) {
		json_member_text((const char *)d, dn, "message", &m);
		rc = err_set(EX_NOPERM, "%s: refused: %s", host, m.p ? m.p : "no reason given");
	} else
		memcpy(master, k.c.peer, 32);
	buf_free(&m);
	node_close(&k);
	return rc;
}
