/* status: what claw is doing, read from the store, the pidfiles and /proc alone —
 * no network, no model call — as text for a person or one JSON object. */
#ifndef CLAW_STATUS_H
#define CLAW_STATUS_H
#include <sqlite3.h>

#include "base/buf.h"

/* The status into text and json (one line, {"type":"status",...}): 0, or an exit
 * code with err set when the store cannot be read.  Opens the store itself only
 * when one exists (status never creates it). */
int status_report(struct buf *text, struct buf *json);
/* The status verb whole, for claw-monitor status and for claw status, which serves
 * it in its own process (an exec less: half of what it cost): argv[0] is the verb,
 * then [--json] or --help; the report on stdout, usage on a bad argument.  Returns
 * the exit code. */
int status_main(int argc, char **argv, const char *usage);

/* 1 when the store has table name (another program's, set up or not), else 0. */
int status_has_table(sqlite3 *db, const char *name);
/* 1 when table has column col. */
int status_has_column(sqlite3 *db, const char *table, const char *col);
/* Where provider prov's API key is ("store" or "env"), NULL when it has none;
 * *local when its base URL is on this machine (no key needed).  Never the key. */
const char *status_key_source(sqlite3 *db, const char *prov, int *local);
/* A running daemon's resident memory in kB from /proc, or -1. */
long long status_rss_kb(long pid);
#endif
