/* export: the store's figures in the Prometheus text format (0.0.4) — counters and
 * histograms of the events, gauges of the store and of the running daemons — for
 * node_exporter's textfile collector and the gateway's GET /metrics. */
#ifndef CLAW_EXPORT_H
#define CLAW_EXPORT_H
#include <sqlite3.h>

#include "base/buf.h"

/* The histograms' upper bounds in ms (then +Inf), shared with prune, which keeps
 * the counts of the rows it deletes so that counters never go down. */
extern const long long export_buckets_ms[];
#define EXPORT_NBUCKETS 14

/* The bucket of an events row as an SQL expression over ms: 0..EXPORT_NBUCKETS-1,
 * EXPORT_NBUCKETS for +Inf, EXPORT_NBUCKETS + 1 for a row without a duration. */
void export_bucket_sql(struct buf *sql);
/* The token counts of a row (only turns have them), as SQL expressions. */
#define EXPORT_TOKENS_IN "CASE WHEN kind = 'turn' THEN json_extract(detail, '$.tokens_in') END"
#define EXPORT_TOKENS_OUT "CASE WHEN kind = 'turn' THEN json_extract(detail, '$.tokens_out') END"
/* of tokens_in: read from the provider's prompt cache, written to it */
#define EXPORT_TOKENS_CACHED \
	"CASE WHEN kind = 'turn' THEN json_extract(detail, '$.tokens_cached') END"
#define EXPORT_TOKENS_CACHE_WRITE \
	"CASE WHEN kind = 'turn' THEN json_extract(detail, '$.tokens_cache_write') END"

int export_prometheus(sqlite3 *db, struct buf *out);   /* 0 or an exit code */
#endif
