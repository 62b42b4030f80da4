/* prune: events older than monitor.retention_days go, a batch per short write
 * transaction, their counts kept in events_pruned so the exported counters stay
 * monotonic. */
#ifndef CLAW_PRUNE_H
#define CLAW_PRUNE_H
#include <sqlite3.h>

#define PRUNE_BATCH 2000

/* Delete the events with ts < before (ms), batch rows per transaction; *n says
 * how many went (or would go, with dry).  0 or an exit code. */
int prune_events(sqlite3 *db, long long before, int batch, int dry, long long *n);
#endif
