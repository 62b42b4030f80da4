/* event: telemetry, one row per thing a program did (read by claw-monitor). */
#ifndef CLAW_EVENT_H
#define CLAW_EVENT_H
#include <sqlite3.h>

/* detail is a JSON object text or NULL; it never holds a secret. 0 or an exit code. */
int event_record(sqlite3 *db, const char *program, const char *kind, long long ms, int ok,
    const char *detail);
#endif
