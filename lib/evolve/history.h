/* history: the cycles table read back — the list, one cycle's change as a patch,
 * and rolling an applied cycle back exactly. */
#ifndef CLAW_HISTORY_H
#define CLAW_HISTORY_H
#include <sqlite3.h>

#include "base/buf.h"

/* Every cycle, oldest first: text lines or JSON objects into out.  0 or exit code. */
int history_list(sqlite3 *db, int json, struct buf *out);
/* Cycle id's change as a unified diff (patch -p1 in $CLAW_HOME/skills): 0,
 * EX_NOINPUT (no such cycle) or EX_NORESULT (it changed nothing). */
int history_show(sqlite3 *db, long long id, struct buf *out);
/* Put back what cycle id replaced.  EX_DATAERR, naming them, when later applied
 * cycles changed the same skill, or when it is not an applied cycle. */
int history_rollback(sqlite3 *db, long long id, struct buf *out);
/* The skills that evolution changed and that stand as changed now, one per line. */
int history_evolved(sqlite3 *db, struct buf *out);
#endif
