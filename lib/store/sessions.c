/* sessions: the SQL over the sessions and messages tables that readers share;
 * chat/session.c keeps what writes them. */
#include "store/sessions.h"
#include "store/store.h"

int
sessions_each(sqlite3 *db, sessions_fn *fn, void *ctx)
{
	sqlite3_stmt *st;
	int rc, r = SQLITE_DONE;

	if ((rc = store_prepare(db, &st,
	    "SELECT s.name, s.created, s.updated, count(m.id), coalesce(sum(m.tokens), 0)"
	    " FROM sessions s LEFT JOIN messages m ON m.session = s.id"
	    " GROUP BY s.id ORDER BY s.updated")))
		return rc;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		struct session_row s = {
			.name = name ? name : "",
			.created = sqlite3_column_int64(st, 1),
			.updated = sqlite3_column_int64(st, 2),
			.messages = sqlite3_column_int64(st, 3),
			.tokens = sqlite3_column_int64(st, 4),
		};
		rc = fn(&s, ctx);
	}
	if (!rc)
		rc = store_step_done(db, r, "sessions");
	sqlite3_finalize(st);
	return rc;
}

long long
sessions_count(sqlite3 *db)
{
	return store_int(db, "SELECT count(*) FROM sessions", "sessions");
}
