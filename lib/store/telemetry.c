/* event: append a telemetry row in its own short write transaction. */
#include "base/clock.h"
#include "base/err.h"
#include "store/telemetry.h"
#include "store/store.h"

int
event_record(sqlite3 *db, const char *program, const char *kind, long long ms, int ok,
    const char *detail)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(db, &st,
	    "INSERT INTO events(ts, program, kind, ms, ok, detail) VALUES(?, ?, ?, ?, ?, ?)")))
		return rc;
	sqlite3_bind_int64(st, 1, clock_wall_ms());
	sqlite3_bind_text(st, 2, program, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	if (ms >= 0)
		sqlite3_bind_int64(st, 4, ms);
	sqlite3_bind_int(st, 5, ok != 0);
	if (detail)
		sqlite3_bind_text(st, 6, detail, -1, SQLITE_STATIC);
	/* A single INSERT is its own transaction and takes the write lock up front. */
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(db, "events");
	sqlite3_finalize(st);
	return rc;
}
