/* Unit tests for lib/store/telemetry.c: rows batched into one transaction, the
 * spool for processes without the store, folded in by the next flush. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "store/store.h"
#include "store/telemetry.h"
#include "tap.h"

static char tmp[] = "/tmp/claw-telemetry-XXXXXX";

static long long
count(sqlite3 *db, const char *where)
{
	char sql[512];
	sqlite3_stmt *st;
	long long n = -1;

	snprintf(sql, sizeof sql, "SELECT count(*) FROM events WHERE %s", where);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK
	    && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
main(void)
{
	struct telemetry t;
	sqlite3 *db = NULL;
	char spool[4096];
	int big, i, fd;

	if (!mkdtemp(tmp))
		return perror("mkdtemp"), 1;
	setenv("CLAW_HOME", tmp, 1);
	snprintf(spool, sizeof spool, "%s/" TELEMETRY_SPOOL, tmp);
	is_int(store_open(&db), 0, "store_open");

	/* Lines as they stand in the spool, and as they stood before CPU and RSS. */
	{
		static const char *const bad[] = { "", "1 2 1 p", "1 2 1 p k", "1 2 1 p k {",
		    "x 2 1 p k null", "1 2 1 p k null\n", "1 2 1 3 p k nul" };
		struct telemetry_row r;
		const char *l = "17 4 1 9 2048 claw-x run {\"a\":1}";
		size_t b;
		is_int(telemetry_parse_line(l, strlen(l), &r), 0, "a line parses");
		ok(r.ts == 17 && r.ms == 4 && r.ok == 1 && r.cpu_ms == 9 && r.rss_kb == 2048
		    && !strcmp(r.program, "claw-x") && !strcmp(r.kind, "run") && r.dlen == 7
		    && !memcmp(r.detail, "{\"a\":1}", 7), "every field");
		l = "17 -1 0 claw-x run null";
		is_int(telemetry_parse_line(l, strlen(l), &r), 0, "an old line parses");
		ok(r.cpu_ms == -1 && r.rss_kb == -1 && r.ms == -1 && !r.detail,
		    "without CPU and RSS");
		for (b = 0; b < sizeof bad / sizeof bad[0]; b++)
			is_int(telemetry_parse_line(bad[b], strlen(bad[b]), &r), -1, "refused: %s",
			    bad[b]);
	}

	telemetry_init(&t, "claw-test");
	telemetry_add(&t, "run", 12, 1, "{\"skill\":\"calc\",\"exit\":0}");
	telemetry_add(&t, "run", -1, 0, NULL);
	/* A bad detail is dropped, the row kept; so is one with a newline. */
	telemetry_add(&t, "run", 3, 1, "not json");
	telemetry_add(&t, "run", 4, 1, "{\"a\":\n1}");
	is_int((int)t.n, 4, "four rows queued");
	is_int(count(db, "1"), 0, "nothing written before the flush");
	is_int(telemetry_flush(&t, db), 0, "telemetry_flush");
	is_int((int)t.n, 0, "the queue is empty after it");
	is_int(count(db, "program = 'claw-test' AND kind = 'run'"), 4, "four rows in events");
	is_int(count(db, "ms = 12 AND ok = 1 AND detail = '{\"skill\":\"calc\",\"exit\":0}'"), 1,
	    "ms, ok and detail as given");
	is_int(count(db, "ms IS NULL AND ok = 0 AND detail IS NULL"), 1,
	    "no ms and no detail: NULL");
	is_int(count(db, "ms IN (3, 4) AND detail IS NULL"), 2, "bad details become NULL");
	is_int(count(db, "cpu_ms >= 0 AND rss_kb > 0"), 4, "every row has its CPU and peak RSS");

	/* A process without the store spools; the next flush folds the spool in first. */
	telemetry_add(&t, "request", 1, 1, "{\"route\":\"/healthz\"}");
	telemetry_add(&t, "request", 2, 1, "{\"route\":\"/healthz\"}");
	is_int(telemetry_spool(&t, &big), 0, "telemetry_spool");
	ok(!big, "a small spool is not big");
	ok(telemetry_spooled(), "the spool holds rows");
	is_int((int)t.n, 0, "spooled rows leave the queue");
	/* A torn line (a full disk) and garbage are skipped, not fatal. */
	fd = open(spool, O_WRONLY | O_APPEND);
	ok(fd >= 0 && write(fd, "garbage line\n1 2 3 x\n17", 23) == 23,
	    "garbage appended to the spool");
	/* A line from before CPU and RSS were written. */
	ok(write(fd, "\n5 6 1 claw-old request null\n", 30) == 30, "an old line appended");
	close(fd);
	telemetry_add(&t, "request", 5, 0, NULL);
	is_int(telemetry_flush(&t, db), 0, "flush with a spool");
	is_int(count(db, "kind = 'request'"), 4,
	    "spooled rows, the old one and the queued one, garbage skipped");
	is_int(count(db, "program = 'claw-old' AND ms = 6 AND cpu_ms IS NULL"), 1,
	    "the old line's row: no CPU, no RSS");
	ok(!telemetry_spooled(), "the spool is empty after the flush");

	/* Past TELEMETRY_MAXPENDING the oldest half goes. */
	for (i = 0; i < TELEMETRY_MAXPENDING + 1; i++)
		telemetry_add(&t, "many", i, 1, NULL);
	ok(t.n <= TELEMETRY_MAXPENDING && t.dropped == TELEMETRY_MAXPENDING / 2,
	    "the queue is capped (%zu kept, %zu dropped)", t.n, t.dropped);
	is_int(telemetry_flush(&t, db), 0, "flush what is left");
	is_int(count(db, "kind = 'many' AND ms = 0"), 0, "the oldest row went");
	is_int(count(db, "kind = 'many' AND ms = 8192"), 1, "the newest stayed");
	telemetry_free(&t);

	telemetry_init(&t, "claw");
	telemetry_add(&t, "config.set", 7, 1, "{\"key\":\"model\"}");
	is_int(telemetry_flush(&t, db), 0, "a second telemetry of another program");
	is_int(count(db, "program = 'claw' AND ms = 7"), 1, "its row");
	telemetry_free(&t);
	store_close(db);
	snprintf(spool, sizeof spool, "rm -rf '%s'", tmp);
	if (system(spool) != 0)
		note("could not remove %s", tmp);
	return done_testing();
}
