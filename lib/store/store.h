/* store: the one SQLite file every claw program shares ($CLAW_HOME/claw.db).
 * Opening sets the per-connection pragmas and migrates the schema forward. */
#ifndef CLAW_STORE_H
#define CLAW_STORE_H
#include <sqlite3.h>

/* A connection is used only by the thread that opened it: SQLite runs without its
 * per-connection mutex (multi-thread mode). */
int store_open(sqlite3 **dbp);            /* 0, or an exit code with err set */
int store_open_path(sqlite3 **dbp, const char *path);
void store_close(sqlite3 *db);
/* How long a statement waits for the write lock (10 s from store_open). */
void store_busy(sqlite3 *db, int ms);
/* Checkpoint the whole WAL into the store and truncate it, now, never waiting for
 * a reader (one busy now leaves it to a later commit), for a connection that waits
 * as store_open's do: the next process to open the store alone has no frames to
 * replay.  Outside any transaction. */
void store_checkpoint(sqlite3 *db);
int store_version(void);                  /* the schema version this build migrates to */

/* The store's token: the header's application_id, which every change to the config
 * table, the skill index or an applied evolution replaces in its own transaction
 * (triggers), so the copies beside the store (store/copy.h) can tell they are
 * current.  store_peek_token reads it from the store at path without parsing the
 * schema (from the file's header when the WAL holds no frame; else no migration,
 * nothing written but SQLite's WAL index): 0, or -1 when it cannot (no store, a
 * damaged one). */
int store_token(sqlite3 *db, int *token);
int store_peek_token(const char *path, int *token);

/* Every transaction that may write starts here (BEGIN IMMEDIATE) and stays short. */
int store_begin_write(sqlite3 *db);
int store_commit(sqlite3 *db);
void store_rollback(sqlite3 *db);
/* End a transaction as its work went: commit when rc is 0 (returning the commit's
 * own result), else roll back and return rc.  The one way to finish a write. */
int store_end(sqlite3 *db, int rc);
int store_exec(sqlite3 *db, const char *sql);
int store_prepare(sqlite3 *db, sqlite3_stmt **st, const char *sql);
/* The one integer a query such as "SELECT count(*) FROM t" yields: the value, or
 * -1 with err set naming what. */
long long store_int(sqlite3 *db, const char *sql, const char *what);

/* Map the connection's last error to an exit code and record "what: why". */
int store_fail(sqlite3 *db, const char *what);
/* After the last sqlite3_step() of a statement: 0 when it said SQLITE_DONE (or
 * SQLITE_ROW, for a caller that wanted one row), else store_fail(db, what).  Every
 * loop over rows ends here, so a damaged table is an error, never an empty one. */
int store_step_done(sqlite3 *db, int step, const char *what);
#endif
