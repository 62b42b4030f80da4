/* metrics: claw-monitor export runs in a job's child, as chat turns do, so a slow
 * one holds up no other connection; its output is the body as it is, and one that
 * fails or is slow is a 503 with the first line of what it said. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "base/path.h"
#include "base/proc.h"
#include "gateway/metrics.h"
#include "gateway/reply.h"

#define METRICS_MAX (8u << 20)
#define METRICS_TIMEOUT_MS 20000

/* In the job's child: a big store's export takes a while. */
static void
metrics_now(struct gw *g, struct gw_out *o)
{
	char path[PATH_MAX], msg[256];
	char *argv[] = { path, "export", "--prometheus", NULL };
	struct buf out = BUF_INIT, err = BUF_INIT;
	int rc;

	if (path_find_prog("claw-monitor", path, sizeof path)) {
		gw_error(o, 503, "claw-monitor is not installed");
		return;
	}
	rc = proc_run_err(argv, NULL, NULL, 0, &out, METRICS_MAX, &err, 4096, NULL,
	    METRICS_TIMEOUT_MS);
	if (rc != 0 || out.oom) {
		snprintf(msg, sizeof msg, "claw-monitor export: %.*s", err.len ?
		    (int)strcspn(err.p, "\n") : 6, err.len ? err.p : "failed");
		gw_error(o, 503, msg);
	} else {
		o->status = 200;
		buf_reset(&o->resp);
		gw_head(&o->resp, 200, "text/plain; version=0.0.4; charset=utf-8",
		    (long long)out.len, o->close ? 1 : o->http10 ? 2 : 0, NULL);
		buf_add(&o->resp, out.p, out.len);
	}
	buf_free(&out);
	buf_free(&err);
}

void
gw_metrics(struct gw *g, const struct http_req *r, const char *body, size_t n,
    struct gw_out *o)
{
	o->job = GW_CHILD;
	o->child = metrics_now;
}
