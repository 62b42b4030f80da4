/* sessions: the stored chat sessions as rows, without libjq, for every program
 * that lists them (claw-chat --sessions, the gateway's /api/v1/sessions). */
#ifndef CLAW_SESSIONS_H
#define CLAW_SESSIONS_H
#include <sqlite3.h>

struct session_row {
	const char *name;             /* valid during the call only */
	long long created, updated;   /* ms since the epoch */
	long long messages, tokens;
};

/* fn for each session, least recently updated first; a non-zero return stops
 * and is returned.  0, or an exit code with err set. */
typedef int sessions_fn(const struct session_row *s, void *ctx);
int sessions_each(sqlite3 *db, sessions_fn *fn, void *ctx);
/* How many sessions there are, or -1 when the store says no. */
long long sessions_count(sqlite3 *db);
#endif
