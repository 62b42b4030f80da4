/* telemetry: the events every program records (read by claw-monitor): ts, program,
 * kind, ms, ok and a small JSON detail — never a secret, a token or a prompt's text —
 * and what the process spent: user+sys CPU ms since its previous row (its children
 * waited for included) and its peak RSS, from two getrusage(2) calls a row.
 * Rows wait in memory and go in together in one short transaction; a process that
 * must not open the store (an inetd /healthz) appends them to a spool file instead,
 * which the next flush with the store open folds in first. */
#ifndef CLAW_TELEMETRY_H
#define CLAW_TELEMETRY_H
#include <stddef.h>
#include <sqlite3.h>

#include "base/buf.h"

/* Rows kept while the store is busy; then the oldest half goes. */
#define TELEMETRY_MAXPENDING 8192
#define TELEMETRY_SPOOL "run/telemetry.spool"   /* under $CLAW_HOME */

struct telemetry {
	const char *program;          /* "claw-skill", ... (borrowed) */
	struct buf rows;              /* one spool line per row */
	size_t n;
	size_t dropped;               /* rows lost to TELEMETRY_MAXPENDING since the last flush */
	long long cpu_ms;             /* CPU time at the last row: the next row's starts here */
};

/* One row's line, "TS MS OK CPU RSS PROGRAM KIND DETAIL" (or without CPU and RSS,
 * as written before them), p[0..n) without its newline: 0, or -1 when it does not
 * parse.  detail points into p, NULL for null; cpu_ms and rss_kb -1 when absent. */
struct telemetry_row {
	long long ts, ms, cpu_ms, rss_kb;
	int ok;
	char program[64], kind[64];
	const char *detail;
	size_t dlen;
};
int telemetry_parse_line(const char *p, size_t n, struct telemetry_row *r);

void telemetry_init(struct telemetry *t, const char *program);
/* Queue a row; ms < 0 when there is no duration, detail a JSON object text or NULL. */
void telemetry_add(struct telemetry *t, const char *kind, long long ms, int ok, const char *detail);
/* The spool, then the queued rows, into events in one transaction: 0 or an exit
 * code (the rows stay queued for the next try). */
int telemetry_flush(struct telemetry *t, sqlite3 *db);
/* The queued rows appended to the spool instead: 0 or an exit code.  *big is set
 * when the spool has grown past what is worth opening the store for. */
int telemetry_spool(struct telemetry *t, int *big);
int telemetry_spooled(void);          /* 1 when the spool holds rows */
void telemetry_free(struct telemetry *t);
#endif
