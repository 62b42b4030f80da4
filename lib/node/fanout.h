/* fanout: `claw-node exec --requests`: NDJSON request lines spread over the
 * peers, each running the same program, their events merged back keyed by id. */
#ifndef CLAW_NODE_FANOUT_H
#define CLAW_NODE_FANOUT_H
#include <sqlite3.h>

#include "node/peer.h"
#include "node/wire.h"

#define FANOUT_WINDOW 4          /* requests in flight on one peer */
#define FANOUT_MAXINPUT (64u << 20)

/* Read requests from stdin, run them on ps->v[order[0..n)] and write every event
 * to stdout.  A request whose peer fails before any event of it came back goes
 * to another peer; one that had begun gets an error event (code 75), never a
 * second run.  0, 75 when some request failed that way, 69 when no peer was left. */
int fanout_run(sqlite3 *db, const struct node_id *me, struct peers *ps, const int *order,
    int n, char *const argv[], int timeout_ms, void (*note)(const char *why));
#endif
