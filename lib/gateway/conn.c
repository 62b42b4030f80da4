/* conn: the callbacks net/server calls, and the limits it gets from gateway.*;
 * those that are no key (keep-alive, write time) are the constants below. */
#include <stdio.h>
#include <string.h>

#include "gateway/conn.h"
#include "gateway/job.h"
#include "gateway/reply.h"
#include "gateway/route.h"

#define KEEPALIVE_MS 5000         /* a kept connection's idle time */
#define KEEPALIVE_MAX 100         /* requests on one connection */
#define WRITE_MS 30000            /* a reader that takes nothing this long is dropped */

static void
limits(struct gw_conn *x)
{
	x->s.lim = (struct server_limits){
		.keys = "gateway",
		.max_body = x->g.max_body,
		.head_ms = x->g.head_timeout * 1000,
		.body_ms = x->g.body_timeout * 1000,
		.idle_ms = KEEPALIVE_MS,
		.max_requests = KEEPALIVE_MAX,
		.write_ms = WRITE_MS,
		.max_children = x->g.max_children,
		.max_per_peer = x->g.max_per_peer,
	};
}

static void
reply(struct gw_conn *x, struct server_reply *rp)
{
	rp->status = x->o.status;
	rp->close = x->o.close;
	rp->resp = x->o.resp.p;
	rp->len = x->o.resp.len;
	rp->job = x->o.job != 0;
	memcpy(rp->label, x->o.route, sizeof rp->label);
}

static void
fresh(struct gw_conn *x)
{
	gw_out_free(&x->o);
	memset(&x->o, 0, sizeof x->o);
}

static int
on_head(void *ctx, const struct http_req *r, struct server_reply *rp)
{
	struct gw_conn *x = ctx;
	int refused;

	fresh(x);
	refused = gw_route_head(&x->g, r, &x->o) != 0;
	limits(x);                     /* inetd: the store's, now that it may be open */
	if (refused)
		reply(x, rp);
	return refused;
}

static void
on_request(void *ctx, const struct http_req *r, const char *body, size_t n,
    struct server_reply *rp)
{
	struct gw_conn *x = ctx;

	fresh(x);
	x->g.children = x->s.children; /* for /api/v1/status */
	gw_serve(&x->g, r, body, n, &x->o);
	limits(x);                     /* the store may have been opened for it */
	reply(x, rp);
}

static void
on_error(void *ctx, int status, const char *message, const char *extra,
    struct server_reply *rp)
{
	struct gw_conn *x = ctx;

	fresh(x);
	x->o.close = 1;
	snprintf(x->o.route, sizeof x->o.route, "-");
	gw_error_extra(&x->o, status, message, extra);
	reply(x, rp);
}

static int
on_job(void *ctx, int in, int out)
{
	struct gw_conn *x = ctx;

	return gw_job(&x->g, &x->o, out);
}

static void
on_forked(void *ctx)
{
	struct gw_conn *x = ctx;

	gw_forked(&x->g);
	x->child = 1;
}

static void
on_done(void *ctx, const struct server_conn *c, long long ms)
{
	struct gw_conn *x = ctx;

	gw_record(&x->g, c->method, c->label, c->status, ms, c->peer);
	if (x->child)                  /* the last thing a job's child does */
		gw_free(&x->g);
}

static void
on_reload(void *ctx)
{
	struct gw_conn *x = ctx;

	gw_reload(&x->g);
	limits(x);
}

static long long
on_tick(void *ctx, int reaped)
{
	struct gw_conn *x = ctx;
	long long next, due;

	if (reaped)
		x->g.spooled = 1;          /* their telemetry rows wait in the spool */
	gw_flush(&x->g, 0);
	next = x->g.tel.n || x->g.spooled ? x->g.flushed + 1000 : -1;
	due = gw_summary_due(&x->g);       /* the minute's counts, as one row each */
	return next < 0 || (due >= 0 && due < next) ? due : next;
}

static const struct server_ops ops = {
	.head = on_head,
	.request = on_request,
	.error = on_error,
	.job = on_job,
	.forked = on_forked,
	.done = on_done,
	.reload = on_reload,
	.tick = on_tick,
};

int
gw_conn_inetd(struct gw_conn *x, const char *peer)
{
	int rc;

	memset(x, 0, sizeof *x);
	gw_init(&x->g, 1, NULL);
	server_init(&x->s, &ops, x, &(struct server_limits){ 0 });
	limits(x);
	if (!(rc = server_add(&x->s, 0, 1, peer)))
		rc = server_run(&x->s);
	server_free(&x->s);
	fresh(x);
	gw_free(&x->g);
	return rc;
}

int
gw_conn_listen(struct gw_conn *x, const char *spec, char *bound, size_t n, int *exposed)
{
	int rc;

	memset(x, 0, sizeof *x);
	server_init(&x->s, &ops, x, &(struct server_limits){ 0 });
	rc = server_listen(&x->s, spec, x->listen, sizeof x->listen);
	snprintf(bound, n, "%s", x->listen);
	*exposed = x->s.exposed;
	return rc;
}

void
gw_conn_hide(struct gw_conn *x, int fd)
{
	server_hide(&x->s, fd);
}

int
gw_conn_run(struct gw_conn *x)
{
	int rc;

	gw_init(&x->g, 0, x->listen);
	if (!(rc = gw_store(&x->g))) {
		limits(x);
		rc = server_run(&x->s);
	}
	server_free(&x->s);
	fresh(x);
	gw_free(&x->g);
	return rc;
}
