/* prune: each batch is the oldest PRUNE_BATCH rows by (ts, id) below the cut-off,
 * counted into events_pruned and deleted in one BEGIN IMMEDIATE, so a writer waits
 * at most one batch; the loop ends at the first batch that is not full. */
#include <stdint.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/err.h"
#include "monitor/export.h"
#include "monitor/prune.h"
#include "store/store.h"

#define BATCH_WHERE "ts < ?1 AND (ts, id) <= (?2, ?3)"

static int
bind3(sqlite3_stmt *st, long long before, long long bts, long long bid)
{
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, bts);
	sqlite3_bind_int64(st, 3, bid);
	return 0;
}

static int
one_batch(sqlite3 *db, long long before, int batch, const char *keep_sql, long long *gone)
{
	sqlite3_stmt *edge = NULL, *keep = NULL, *del = NULL;
	long long bts = before - 1, bid = INT64_MAX;
	int rc, step;

	*gone = 0;
	if ((rc = store_begin_write(db)))
		return rc;
	if ((rc = store_prepare(db, &edge, "SELECT ts, id FROM events WHERE ts < ?1"
	    " ORDER BY ts, id LIMIT 1 OFFSET ?2"))
	    || (rc = store_prepare(db, &keep, keep_sql))
	    || (rc = store_prepare(db, &del, "DELETE FROM events WHERE " BATCH_WHERE)))
		goto out;
	sqlite3_bind_int64(edge, 1, before);
	sqlite3_bind_int(edge, 2, batch - 1);
	if ((step = sqlite3_step(edge)) == SQLITE_ROW) {
		bts = sqlite3_column_int64(edge, 0);
		bid = sqlite3_column_int64(edge, 1);
	} else if ((rc = store_step_done(db, step, "events")))
		goto out;
	bind3(keep, before, bts, bid);
	if ((rc = store_step_done(db, sqlite3_step(keep), "events_pruned")))
		goto out;
	bind3(del, before, bts, bid);
	if ((rc = store_step_done(db, sqlite3_step(del), "events")))
		goto out;
	*gone = sqlite3_changes(db);
out:
	sqlite3_finalize(edge);
	sqlite3_finalize(keep);
	sqlite3_finalize(del);
	return store_end(db, rc);
}

int
prune_events(sqlite3 *db, long long before, int batch, int dry, long long *n)
{
	struct buf sql = BUF_INIT;
	long long gone;
	int rc = 0;

	*n = 0;
	if (dry) {
		sqlite3_stmt *st;
		if ((rc = store_prepare(db, &st, "SELECT count(*) FROM events WHERE ts < ?")))
			return rc;
		sqlite3_bind_int64(st, 1, before);
		if (sqlite3_step(st) == SQLITE_ROW)
			*n = sqlite3_column_int64(st, 0);
		else
			rc = store_fail(db, "events");
		sqlite3_finalize(st);
		return rc;
	}
	buf_adds(&sql, "INSERT INTO events_pruned(program, kind, bucket, n, ms_sum, errors,"
	    " tokens_in, tokens_out, tokens_cached, tokens_cache_write) SELECT program, kind, ");
	export_bucket_sql(&sql);
	buf_adds(&sql, ", count(*), total(ms), sum(ok = 0),"
	    " coalesce(sum(" EXPORT_TOKENS_IN "), 0),"
	    " coalesce(sum(" EXPORT_TOKENS_OUT "), 0),"
	    " coalesce(sum(" EXPORT_TOKENS_CACHED "), 0),"
	    " coalesce(sum(" EXPORT_TOKENS_CACHE_WRITE "), 0) FROM events WHERE " BATCH_WHERE
	    " GROUP BY 1, 2, 3 ON CONFLICT(program, kind, bucket) DO UPDATE SET"
	    " n = n + excluded.n, ms_sum = ms_sum + excluded.ms_sum,"
	    " errors = errors + excluded.errors, tokens_in = tokens_in + excluded.tokens_in,"
	    " tokens_out = tokens_out + excluded.tokens_out,"
	    " tokens_cached = tokens_cached + excluded.tokens_cached,"
	    " tokens_cache_write = tokens_cache_write + excluded.tokens_cache_write");
	if (sql.oom)
		return err_set(EX_SOFTWARE, "prune: out of memory");
	do {
		if ((rc = one_batch(db, before, batch, sql.p, &gone)))
			break;
		*n += gone;
	} while (gone == batch);
	buf_free(&sql);
	return rc;
}
