/* pick: the order in which a run tries the peers, by cluster.strategy. */
#ifndef CLAW_NODE_PICK_H
#define CLAW_NODE_PICK_H
#include <sqlite3.h>

#include "node/peer.h"

/* 0 when name is a strategy: round-robin, least-loaded, random, weighted. */
int pick_check(const char *name);
/* Fill order with the indexes of the peers that can be reached (a host and a
 * pinned key): the healthy ones by the strategy, then those in backoff, soonest
 * back first.  *n is their count.  Round-robin's counter is in the store, shared
 * by every process.  0 or an exit code. */
int pick_order(sqlite3 *db, const char *strategy, const struct peers *ps, int *order, int *n);
#endif
