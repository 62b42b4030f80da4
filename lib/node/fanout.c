/* fanout: one session per peer, each running the same program on a share of the
 * request lines (a few in flight per peer); events come back as they are written,
 * matched to their request by id.  A request is started once an event of it came
 * back and done at its message or error event; a peer that fails gives back what
 * it had not started. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "base/record.h"
#include "node/client.h"
#include "node/fanout.h"

enum { Q_QUEUED, Q_SENT, Q_STARTED, Q_DONE };

struct req {
	struct buf line;           /* the request, with its id, and a newline */
	struct buf id;             /* its id, canonical (see canon) */
	int state, lane;
};

struct lane {
	struct node_conn k;
	struct peer *p;
	int alive, got_w, closing, inflight;
	struct buf out;            /* stdout bytes not yet a whole line */
};

struct fan {
	sqlite3 *db;
	struct req *r;
	int nr, done, failed, bad;
	struct lane *l;
	int nl, live;
	int *queue, qhead, qlen;   /* request indexes waiting, a ring of nr */
	void (*note)(const char *why);
	struct buf o;
};

/* An id's canonical text: a string decoded, anything else compacted. */
static void
canon(const char *v, size_t n, struct buf *out)
{
	buf_reset(out);
	if (n && v[0] == '"' && json_str_decode(v, n, out))
		buf_addc(out, 's');
	else
		json_compact(v, n, out);
}

static void
emit(struct fan *f, const char *p, size_t n)
{
	if (fwrite(p, 1, n, stdout) != n || fputc('\n', stdout) == EOF)
		return;
	fflush(stdout);
}

static void
emit_error(struct fan *f, struct req *q, int code, const char *msg)
{
	struct buf e = BUF_INIT, idraw = BUF_INIT;
	const char *v;
	size_t vn;

	record_error(&e, code, 0, msg);
	/* the request's own id goes in front, as claw-chat tags its events */
	if (json_member(q->line.p, q->line.len - 1, "id", &v, &vn)) {
		buf_adds(&idraw, "{\"type\":\"error\",\"id\":");
		json_compact(v, vn, &idraw);
		buf_add(&idraw, e.p + strlen("{\"type\":\"error\""),
		    e.len - strlen("{\"type\":\"error\""));
		emit(f, idraw.p, idraw.len);
	} else
		emit(f, e.p, e.len);
	buf_free(&e);
	buf_free(&idraw);
}

static void
requeue_front(struct fan *f, int i)
{
	f->qhead = (f->qhead + f->nr - 1) % f->nr;
	f->queue[f->qhead] = i;
	f->qlen++;
}

static void
lane_fail(struct fan *f, int li, const char *why)
{
	struct lane *l = &f->l[li];
	char m[320];
	int i;

	if (!l->alive)
		return;
	l->alive = 0;
	f->live--;
	peer_health(f->db, l->p->name, 0, -1, -1, -1, why);
	snprintf(m, sizeof m, "%s: %s", l->p->name, why);
	if (f->note)
		f->note(m);
	/* back to the front, last first, so they keep their order */
	for (i = f->nr - 1; i >= 0; i--) {
		struct req *q = &f->r[i];
		if (q->lane != li || (q->state != Q_SENT && q->state != Q_STARTED))
			continue;
		if (q->state == Q_SENT) {
			q->state = Q_QUEUED;
			q->lane = -1;
			requeue_front(f, i);
		} else {
			snprintf(m, sizeof m, "%s went away during this request: not run again",
			    l->p->name);
			emit_error(f, q, EX_TEMPFAIL, m);
			q->state = Q_DONE;
			f->done++;
			f->failed++;
		}
	}
	node_close(&l->k);
}

/* A whole line of a lane's stdout: pass it on, and follow its request. */
static void
lane_line(struct fan *f, int li, const char *p, size_t n)
{
	struct buf id = BUF_INIT;
	char type[16] = "";
	const char *v;
	size_t vn;
	int i;

	emit(f, p, n);
	if (!json_valid(p, n, NULL, 0) || !json_member(p, n, "id", &v, &vn))
		return;
	canon(v, vn, &id);
	json_member_str(p, n, "type", type, sizeof type);
	for (i = 0; i < f->nr; i++) {
		struct req *q = &f->r[i];
		if (q->lane != li || (q->state != Q_SENT && q->state != Q_STARTED)
		    || q->id.len != id.len || memcmp(q->id.p, id.p, id.len))
			continue;
		q->state = Q_STARTED;
		if (!strcmp(type, "message") || !strcmp(type, "error")) {
			q->state = Q_DONE;
			f->done++;
			f->l[li].inflight--;
		}
		break;
	}
	buf_free(&id);
}

static void
lane_read(struct fan *f, int li)
{
	struct lane *l = &f->l[li];
	const unsigned char *d;
	size_t dn, off;
	int kind, x = 0;
	const char *rec, *why;
	size_t len;

	while (l->alive && (x = node_recv(&l->k.c, &kind, &d, &dn)) > 0) {
		if (kind == NODE_F_WELCOME && !l->got_w) {
			l->got_w = 1;
			if (!strstr((const char *)d, "\"welcome\"") || dn > 4096) {
				lane_fail(f, li, "refused");
				return;
			}
		} else if (kind == NODE_F_STDOUT) {
			buf_add(&l->out, d, dn);
			off = 0;
			while (record_take(&l->out, &off, RECORD_MAXLINE, &rec, &len, &why) > 0)
				if (rec)
					lane_line(f, li, rec, len);
			buf_consume(&l->out, off);
		} else if (kind == NODE_F_STDERR) {
			if (fwrite(d, 1, dn, stderr) != dn)
				clearerr(stderr);
		} else if (kind == NODE_F_EXIT) {
			if (l->inflight)
				lane_fail(f, li, "the program ended before its requests");
			else {
				l->alive = 0;
				f->live--;
				peer_health(f->db, l->p->name, 1, -1, -1, -1, NULL);
				node_close(&l->k);
			}
			return;
		}
	}
	if (l->alive && (x < 0 || l->k.c.eof))
		lane_fail(f, li, l->k.c.why[0] ? l->k.c.why : "closed");
}

static void
assign(struct fan *f)
{
	int li;

	for (li = 0; li < f->nl; li++) {
		struct lane *l = &f->l[li];
		while (l->alive && !l->closing && l->inflight < FANOUT_WINDOW && f->qlen) {
			int i = f->queue[f->qhead];
			f->qhead = (f->qhead + 1) % f->nr;
			f->qlen--;
			f->r[i].state = Q_SENT;
			f->r[i].lane = li;
			l->inflight++;
			node_send(&l->k.c, NODE_F_STDIN, f->r[i].line.p, f->r[i].line.len, 0);
		}
		if (l->alive && !l->closing && f->done == f->nr) {
			node_send(&l->k.c, NODE_F_EOF, "", 0, 1);
			l->closing = 1;
		}
	}
}

/* The input's lines as requests; a malformed one gets its error event now. */
static int
load(struct fan *f, const struct buf *in)
{
	size_t off = 0;
	long lineno = 0;

	if (!(f->r = calloc(in->len / 2 + 1, sizeof *f->r)))
		return err_set(EX_SOFTWARE, "out of memory");
	while (off < in->len) {
		const char *s = in->p + off, *nl = memchr(s, '\n', in->len - off), *v;
		size_t n = nl ? (size_t)(nl - s) : in->len - off, vn;
		char why[64];
		struct req *q;
		off += n + (nl != NULL);
		lineno++;
		switch (record_check(s, &n, why, sizeof why)) {
		case RECORD_BLANK:
			continue;
		case RECORD_BAD: {
			struct buf e = BUF_INIT;
			record_error(&e, EX_DATAERR, lineno, why);
			emit(f, e.p, e.len);
			buf_free(&e);
			f->bad++;
			continue;
		}
		}
		q = &f->r[f->nr++];
		q->lane = -1;
		if (json_member(s, n, "id", &v, &vn))
			buf_add(&q->line, s, n);
		else {
			/* every request needs an id to be followed: its line number */
			const char *rest = s + 1 + strspn(s + 1, " \t");
			buf_printf(&q->line, "{\"id\":%ld%s", lineno, *rest == '}' ? "" : ",");
			buf_add(&q->line, rest, n - (size_t)(rest - s));
			json_member(q->line.p, q->line.len, "id", &v, &vn);
		}
		canon(v, vn, &q->id);
		buf_addc(&q->line, '\n');
	}
	return 0;
}

int
fanout_run(sqlite3 *db, const struct node_id *me, struct peers *ps, const int *order,
    int n, char *const argv[], int timeout_ms, void (*note)(const char *why))
{
	struct fan f = { .db = db, .note = note };
	struct buf in = BUF_INIT, req = BUF_INIT;
	long long deadline;
	int i, rc;

	if ((rc = file_read_fd(0, "standard input", FANOUT_MAXINPUT, &in)))
		return rc;
	if ((rc = load(&f, &in)))
		goto out;
	if (!(f.queue = calloc((size_t)f.nr + 1, sizeof *f.queue))
	    || !(f.l = calloc((size_t)n + 1, sizeof *f.l))) {
		rc = err_set(EX_SOFTWARE, "out of memory");
		goto out;
	}
	for (i = 0; i < f.nr; i++)
		f.queue[f.qlen++] = i;
	node_request_json(&req, argv);
	for (i = 0; i < n && f.nr; i++) {
		struct lane *l = &f.l[f.nl];
		l->p = &ps->v[order[i]];
		if (!l->p->has_key || node_open(&l->k, l->p->host, me, l->p->key, NULL, NULL,
		    timeout_ms)) {
			char m[320];
			snprintf(m, sizeof m, "%s: %s", l->p->name, l->p->has_key ? err_msg()
			    : "no key pinned");
			peer_health(db, l->p->name, 0, -1, -1, -1, m);
			if (note)
				note(m);
			continue;
		}
		l->alive = 1;
		f.live++;
		node_send(&l->k.c, NODE_F_REQUEST, req.p, req.len, 0);
		f.nl++;
	}
	while (f.live > 0) {
		struct pollfd pf[2 * PEER_MAXPEERS];
		int np = 0;
		assign(&f);
		for (i = 0; i < f.nl; i++) {
			struct lane *l = &f.l[i];
			pf[2 * i].fd = l->alive ? l->k.rfd : -1;
			pf[2 * i].events = POLLIN;
			pf[2 * i + 1].fd = l->alive && node_pending(&l->k.c) ? l->k.wfd : -1;
			pf[2 * i + 1].events = POLLOUT;
			np = 2 * i + 2;
		}
		deadline = f.done == f.nr ? timeout_ms : -1;
		if (poll(pf, (nfds_t)np, (int)deadline) == 0)
			break;               /* all done, and a peer does not say goodbye */
		for (i = 0; i < f.nl; i++) {
			if (!f.l[i].alive)
				continue;
			if (node_flush(&f.l[i].k.c)) {
				lane_fail(&f, i, "the connection broke");
				continue;
			}
			if (pf[2 * i].revents)
				lane_read(&f, i);
		}
	}
	/* what no peer was left to run */
	for (i = 0; i < f.nr; i++)
		if (f.r[i].state != Q_DONE) {
			emit_error(&f, &f.r[i], EX_UNAVAILABLE,
			    "no peer was left to run this request");
			f.failed++;
			rc = EX_UNAVAILABLE;
		}
	for (i = 0; i < f.nl; i++)
		if (f.l[i].alive)
			node_close(&f.l[i].k);
	if (!rc && f.failed)
		rc = EX_TEMPFAIL;
	if (!rc && f.bad)
		rc = err_set(EX_DATAERR, "%d malformed request line(s)", f.bad);
	if (rc == EX_UNAVAILABLE)
		err_set(rc, "no peer was left for %d request(s)", f.nr - f.done);
	else if (rc)
		err_set(rc, "%d request(s) failed", f.failed);
out:
	for (i = 0; i < f.nr; i++) {
		buf_free(&f.r[i].line);
		buf_free(&f.r[i].id);
	}
	for (i = 0; i < f.nl; i++)
		buf_free(&f.l[i].out);
	free(f.r);
	free(f.l);
	free(f.queue);
	buf_free(&in);
	buf_free(&req);
	buf_free(&f.o);
	return rc;
}
