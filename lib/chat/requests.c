/* requests: the reader puts each line in the pool; workers open their store and
 * HTTP handle at their first request and run the turns. */
#include <stdlib.h>

#include "base/err.h"
#include "base/pool.h"
#include "chat/ndjson.h"
#include "chat/requests.h"
#include "net/fetch.h"
#include "store/store.h"

struct run {
	requests_fn *fn;
	void *ctx;
	const volatile int *stop;
	struct pool *pool;
};

struct worker {
	const struct run *run;
	sqlite3 *db;        /* opened at the first request */
	void *http;
};

struct job {
	const struct run *run;
	jv req;             /* the request, or invalid with why the line is bad */
	long lineno;
};

static void *
worker_start(void *arg)
{
	return calloc(1, sizeof(struct worker));
}

static int
worker_run(void *state, void *arg)
{
	struct worker *w = state;
	struct job *j = arg;
	int rc = w ? 0 : err_set(EX_SOFTWARE, "out of memory");

	if (!rc && !w->db)
		rc = store_open(&w->db);
	if (!rc && !w->http && !(w->http = fetch_handle()))
		rc = err_set(EX_SOFTWARE, "cannot start libcurl");
	rc = j->run->fn(rc ? NULL : w->db, rc ? NULL : w->http, j->req, j->lineno, rc,
	    j->run->ctx);
	jv_free(j->req);
	free(j);
	return rc;
}

static void
worker_stop(void *state)
{
	struct worker *w = state;

	if (w) {
		store_close(w->db);
		fetch_handle_free(w->http);
		free(w);
	}
}

static int
enqueue(jv rec, long lineno, void *ctx)
{
	struct run *r = ctx;
	struct job *j;

	if (r->stop && *r->stop) {      /* nobody reads the answers: ask no more */
		jv_free(rec);
		return -1;
	}
	if (!(j = malloc(sizeof *j))) {
		jv_free(rec);
		return err_set(EX_SOFTWARE, "out of memory");
	}
	*j = (struct job){ .run = r, .req = rec, .lineno = lineno };
	pool_put(r->pool, j);
	return 0;
}

int
requests_run(FILE *in, int par, requests_fn *fn, void *ctx, const volatile int *stop,
    int *jobs)
{
	static const struct pool_ops ops = { .start = worker_start, .work = worker_run,
	    .stop = worker_stop };
	struct run r = { .fn = fn, .ctx = ctx, .stop = stop };
	int rc;

	*jobs = 0;
	if (!(r.pool = pool_start(par, (size_t)par * 2, &ops)))
		return err_code();
	rc = ndjson_each(in, NDJSON_MAXLINE, enqueue, &r);
	*jobs = pool_finish(r.pool);
	return stop && *stop ? 0 : rc;
}
