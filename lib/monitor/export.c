/* export: one GROUP BY over events (and the counts prune kept in events_pruned)
 * by program, kind and histogram bucket; every metric is written from those groups,
 * so a scrape is one pass over the table however many metrics it yields. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/daemon.h"
#include "base/err.h"
#include "base/path.h"
#include "monitor/export.h"
#include "monitor/procfs.h"
#include "monitor/status.h"
#include "store/sessions.h"
#include "store/store.h"

const long long export_buckets_ms[EXPORT_NBUCKETS] = {
	5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000,
};
#define NOMS (EXPORT_NBUCKETS + 1)        /* the slot of rows without a duration */
#define MAXGROUPS 512

struct group {
	char program[64], kind[64], metric[80];
	long long n[EXPORT_NBUCKETS + 2];     /* per bucket, +Inf, no duration */
	double ms_sum;
	long long errors, tin, tout, tcached, twrite;
};

static int
by_metric(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	int c = strcmp(x->metric, y->metric);
	return c ? c : strcmp(x->program, y->program);
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void
label(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_addc(b, '\\');
		if (*s == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
export_bucket_sql(struct buf *sql)
{
	int i;

	buf_printf(sql, "CASE WHEN ms IS NULL THEN %d", NOMS);
	for (i = 0; i < EXPORT_NBUCKETS; i++)
		buf_printf(sql, " WHEN ms <= %lld THEN %d", export_buckets_ms[i], i);
	buf_printf(sql, " ELSE %d END", EXPORT_NBUCKETS);
}

static int
load(sqlite3 *db, struct group *g, size_t *ng)
{
	struct buf sql = BUF_INIT;
	sqlite3_stmt *st;
	int rc, step, pruned = status_has_table(db, "events_pruned");
	int cached = pruned && status_has_column(db, "events_pruned", "tokens_cached");

	buf_adds(&sql, "SELECT program, kind, b, sum(n), total(ms), total(e), total(ti), total(tt),"
	    " total(tc), total(tw) FROM (SELECT program, kind, ");
	export_bucket_sql(&sql);
	buf_adds(&sql, " AS b, 1 AS n, ms, ok = 0 AS e,"
	    " " EXPORT_TOKENS_IN " AS ti, " EXPORT_TOKENS_OUT " AS tt,"
	    " " EXPORT_TOKENS_CACHED " AS tc, " EXPORT_TOKENS_CACHE_WRITE " AS tw"
	    " FROM events");
	if (pruned)
		buf_printf(&sql, " UNION ALL SELECT program, kind, bucket, n, ms_sum, errors,"
		    " tokens_in, tokens_out, %s FROM events_pruned",
		    cached ? "tokens_cached, tokens_cache_write" : "0, 0");
	buf_adds(&sql, ") GROUP BY program, kind, b ORDER BY program, kind, b");
	if (sql.oom)
		return err_set(EX_SOFTWARE, "export: out of memory");
	rc = store_prepare(db, &st, sql.p);
	buf_free(&sql);
	if (rc)
		return rc;
	*ng = 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 0);
		const char *k = (const char *)sqlite3_column_text(st, 1);
		int bk = sqlite3_column_int(st, 2);
		struct group *x = *ng ? &g[*ng - 1] : NULL;
		char *c;
		if (!x || strcmp(x->program, p) || strcmp(x->kind, k)) {
			if (*ng == MAXGROUPS)
				continue;
			x = &g[(*ng)++];
			memset(x, 0, sizeof *x);
			snprintf(x->program, sizeof x->program, "%s", p);
			snprintf(x->kind, sizeof x->kind, "%s", k);
			snprintf(x->metric, sizeof x->metric, "claw_%s_duration_seconds", k);
			for (c = x->metric + 5; *c; c++)
				if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
					*c = (*c >= 'A' && *c <= 'Z') ? (char)(*c + 32) : '_';
		}
		if (bk >= 0 && bk <= NOMS)
			x->n[bk] += sqlite3_column_int64(st, 3);
		x->ms_sum += sqlite3_column_double(st, 4);
		x->errors += (long long)sqlite3_column_double(st, 5);
		x->tin += (long long)sqlite3_column_double(st, 6);
		x->tout += (long long)sqlite3_column_double(st, 7);
		x->tcached += (long long)sqlite3_column_double(st, 8);
		x->twrite += (long long)sqlite3_column_double(st, 9);
	}
	rc = store_step_done(db, step, "events");
	sqlite3_finalize(st);
	return rc;
}

static long long
total(const struct group *x)
{
	long long t = 0;
	int i;

	for (i = 0; i <= NOMS; i++)
		t += x->n[i];
	return t;
}

static void
counters(struct buf *b, const struct group *g, size_t ng)
{
	long long tin = 0, tout = 0, tcached = 0, twrite = 0;
	size_t i;

	family(b, "claw_events_total", "counter", "Events recorded by claw programs.");
	for (i = 0; i < ng; i++) {
		buf_adds(b, "claw_events_total{program=");
		label(b, g[i].program);
		buf_adds(b, ",kind=");
		label(b, g[i].kind);
		buf_printf(b, "} %lld\n", total(&g[i]));
	}
	family(b, "claw_event_errors_total", "counter", "Events that recorded a failure.");
	for (i = 0; i < ng; i++) {
		buf_adds(b, "claw_event_errors_total{program=");
		label(b, g[i].program);
		buf_adds(b, ",kind=");
		label(b, g[i].kind);
		buf_printf(b, "} %lld\n", g[i].errors);
		tin += g[i].tin;
		tout += g[i].tout;
		tcached += g[i].tcached;
		twrite += g[i].twrite;
	}
	family(b, "claw_requests_total", "counter", "Requests the gateway answered.");
	for (i = 0; i < ng; i++)
		if (!strcmp(g[i].kind, "request")) {
			buf_adds(b, "claw_requests_total{program=");
			label(b, g[i].program);
			buf_printf(b, ",outcome=\"ok\"} %lld\n", total(&g[i]) - g[i].errors);
			buf_adds(b, "claw_requests_total{program=");
			label(b, g[i].program);
			buf_printf(b, ",outcome=\"error\"} %lld\n", g[i].errors);
		}
	family(b, "claw_tokens_total", "counter", "Model tokens of chat turns.");
	buf_printf(b, "claw_tokens_total{direction=\"in\"} %lld\n", tin);
	buf_printf(b, "claw_tokens_total{direction=\"out\"} %lld\n", tout);
	/* a family of its own: these are part of direction="in", and a sum over
	 * direction must not count them twice */
	family(b, "claw_tokens_cached_total", "counter",
	    "Input tokens of chat turns read from (read) or written to (write) the "
	    "provider's prompt cache.");
	buf_printf(b, "claw_tokens_cached_total{op=\"read\"} %lld\n", tcached);
	buf_printf(b, "claw_tokens_cached_total{op=\"write\"} %lld\n", twrite);
}

static void
histograms(struct buf *b, struct group *g, size_t ng)
{
	const char *last = "";
	long long cum;
	size_t i;
	int k;

	qsort(g, ng, sizeof *g, by_metric);
	for (i = 0; i < ng; i++) {
		if (total(&g[i]) == g[i].n[NOMS])       /* no row with a duration */
			continue;
		if (strcmp(last, g[i].metric)) {
			char help[160];
			snprintf(help, sizeof help, "Duration of %s events.", g[i].kind);
			family(b, g[i].metric, "histogram", help);
			last = g[i].metric;
		}
		for (cum = 0, k = 0; k <= EXPORT_NBUCKETS; k++) {
			cum += g[i].n[k];
			buf_printf(b, "%s_bucket{program=", g[i].metric);
			label(b, g[i].program);
			if (k < EXPORT_NBUCKETS)
				buf_printf(b, ",le=\"%g\"} %lld\n",
				    (double)export_buckets_ms[k] / 1000.0, cum);
			else
				buf_printf(b, ",le=\"+Inf\"} %lld\n", cum);
		}
		buf_printf(b, "%s_sum{program=", g[i].metric);
		label(b, g[i].program);
		buf_printf(b, "} %.3f\n", g[i].ms_sum / 1000.0);
		buf_printf(b, "%s_count{program=", g[i].metric);
		label(b, g[i].program);
		buf_printf(b, "} %lld\n", cum);
	}
}

static long long
size_of(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	return path_in_home(path, sizeof path, name) == 0 && stat(path, &st) == 0 ?
	    (long long)st.st_size : 0;
}

static void
gauges(struct buf *b, sqlite3 *db)
{
	static const char *const daemons[] = { "gateway", "node" };
	struct pidstat ps;
	char info[256];
	pid_t pid;
	size_t i;

	family(b, "claw_build_info", "gauge", "The claw version that wrote these figures.");
	buf_printf(b, "claw_build_info{version=\"%s\"} 1\n", CLAW_VERSION);
	family(b, "claw_store_bytes", "gauge", "Size of claw.db.");
	buf_printf(b, "claw_store_bytes %lld\n", size_of("claw.db"));
	family(b, "claw_store_wal_bytes", "gauge", "Size of claw.db's write-ahead log.");
	buf_printf(b, "claw_store_wal_bytes %lld\n", size_of("claw.db-wal"));
	family(b, "claw_store_schema_version", "gauge", "The store's schema version.");
	buf_printf(b, "claw_store_schema_version %lld\n",
	    store_int(db, "PRAGMA user_version", "store"));
	family(b, "claw_sessions", "gauge", "Chat sessions in the store.");
	buf_printf(b, "claw_sessions %lld\n", sessions_count(db));
	family(b, "claw_daemon_up", "gauge", "Whether the daemon is running.");
	for (i = 0; i < 2; i++) {
		int up = daemon_running(daemons[i], &pid, info, sizeof info) == 0
		    && procfs_pid(pid, &ps) == 0;
		buf_printf(b, "claw_daemon_up{daemon=\"%s\"} %d\n", daemons[i], up);
	}
	family(b, "claw_daemon_resident_memory_bytes", "gauge", "Resident memory of the daemon.");
	for (i = 0; i < 2; i++)
		if (daemon_running(daemons[i], &pid, info, sizeof info) == 0
		    && procfs_pid(pid, &ps) == 0)
			buf_printf(b, "claw_daemon_resident_memory_bytes{daemon=\"%s\"} %llu\n",
			    daemons[i], procfs_rss_kb(&ps) * 1024);
}

int
export_prometheus(sqlite3 *db, struct buf *out)
{
	struct group *g = calloc(MAXGROUPS, sizeof *g);
	size_t ng = 0;
	int rc;

	if (!g)
		return err_set(EX_SOFTWARE, "export: out of memory");
	if (!(rc = load(db, g, &ng))) {
		counters(out, g, ng);
		histograms(out, g, ng);
		gauges(out, db);
		if (out->oom)
			rc = err_set(EX_SOFTWARE, "export: out of memory");
	}
	free(g);
	return rc;
}
