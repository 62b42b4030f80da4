/* Unit tests for lib/store/store.c (and telemetry rows): the store is created private, in WAL
 * mode, at the current schema version; a damaged file is refused untouched. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "store/telemetry.h"
#include "base/path.h"
#include "base/buf.h"
#include "base/clock.h"
#include "store/copy.h"
#include "store/store.h"
#include "tap.h"

static char tmp[] = "/tmp/claw-store-XXXXXX";

/* One telemetry row, flushed at once. */
static int
one_row(sqlite3 *db, const char *program, const char *kind, long long ms, int ok,
    const char *detail)
{
	struct telemetry t;
	int rc;

	telemetry_init(&t, program);
	telemetry_add(&t, kind, ms, ok, detail);
	rc = telemetry_flush(&t, db);
	telemetry_free(&t);
	return rc;
}

static long long
pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
pragma_text(sqlite3 *db, const char *sql, char *dst, size_t n)
{
	sqlite3_stmt *st;

	dst[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(dst, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static int
mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (int)(st.st_mode & 07777);
}

static int
write_file(const char *path, const unsigned char *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int rc;

	if (!f)
		return -1;
	rc = fwrite(p, 1, n, f) == n ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

static int
same_file(const char *path, const unsigned char *p, size_t n)
{
	unsigned char got[16384];
	FILE *f = fopen(path, "rb");
	size_t r;

	if (!f)
		return 0;
	r = fread(got, 1, sizeof got, f);
	fclose(f);
	return r == n && memcmp(got, p, n) == 0;
}

int
main(void)
{
	char home[256], db_path[300], path[400], text[64], cmd[300];
	static unsigned char junk[8192];
	sqlite3 *db = NULL, *db2 = NULL;
	long long t0;
	int rc;
	size_t i;

	umask(0);   /* the modes below must come from claw, not from a kind umask */
	if (!mkdtemp(tmp)) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	/* A home two levels down that does not exist yet. */
	snprintf(home, sizeof home, "%s/a/home", tmp);
	setenv("CLAW_HOME", home, 1);
	snprintf(db_path, sizeof db_path, "%s/claw.db", home);

	is_str(path_home(), home, "path_home is $CLAW_HOME");
	ok(store_version() >= 1, "store_version is at least 1 (%d)", store_version());
	rc = store_open(&db);
	is_int(rc, 0, "store_open creates a fresh store");
	if (rc) {
		note("%s", err_msg());
		return done_testing();
	}
	is_int(mode_of(home), 0700, "$CLAW_HOME is created mode 0700");
	is_int(mode_of(db_path), 0600, "claw.db is created mode 0600");
	is_int(pragma_int(db, "PRAGMA user_version"), store_version(),
	    "user_version is store_version()");
	pragma_text(db, "PRAGMA journal_mode", text, sizeof text);
	is_str(text, "wal", "journal_mode is WAL");
	is_int(pragma_int(db, "PRAGMA foreign_keys"), 1, "foreign_keys on");
	is_int(pragma_int(db, "PRAGMA synchronous"), 1, "synchronous NORMAL");
	ok(pragma_int(db, "PRAGMA busy_timeout") >= 1000, "a busy_timeout is set");
	is_int(pragma_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN"
	    " ('config', 'events', 'sessions', 'messages', 'summaries', 'cache')"), 6,
	        "the tables exist");

	is_int(store_exec(db, "INSERT INTO config(key, value, updated) VALUES('k', 'v', 1)"), 0,
	    "store_exec writes");
	snprintf(path, sizeof path, "%s-wal", db_path);
	is_int(mode_of(path), 0600, "claw.db-wal is 0600 too");
	snprintf(path, sizeof path, "%s-shm", db_path);
	is_int(mode_of(path), 0600, "claw.db-shm is 0600 too");

	/* A second connection at the same time, and a writer that finds the lock taken. */
	rc = store_open(&db2);
	is_int(rc, 0, "a second store_open while the first is open");
	is_int(pragma_int(db2, "SELECT count(*) FROM config WHERE key = 'k'"), 1,
	    "it sees the committed row");
	is_int(store_begin_write(db), 0, "store_begin_write");
	sqlite3_busy_timeout(db2, 20);
	rc = store_begin_write(db2);
	is_int(rc, EX_TEMPFAIL, "a second writer gets EX_TEMPFAIL after its busy timeout (%s)",
	    err_msg());
	is_int(store_exec(db, "INSERT INTO config(key, value, updated) VALUES('gone', 'x', 1)"), 0,
	    "insert");
	store_rollback(db);
	is_int(pragma_int(db, "SELECT count(*) FROM config WHERE key = 'gone'"), 0,
	    "store_rollback undoes it");
	is_int(store_begin_write(db2), 0, "once released the other writer gets in");
	is_int(store_exec(db2, "INSERT INTO config(key, value, updated) VALUES('kept', 'x', 1)"), 0,
	    "insert");
	is_int(store_commit(db2), 0, "store_commit");
	is_int(pragma_int(db, "SELECT count(*) FROM config WHERE key = 'kept'"), 1,
	    "committed rows are seen");
	store_close(db2);
	db2 = NULL;

	/* Errors map to exit codes with a message. */
	rc = store_exec(db, "SELEKT 1");
	ok(rc == EX_SOFTWARE && strstr(err_msg(), "syntax"), "bad SQL is EX_SOFTWARE (%s)",
	    err_msg());
	rc = store_exec(db, "INSERT INTO config(key, value, updated) VALUES('k', 'dup', 1)");
	ok(rc != 0, "a constraint failure is an error (%d: %s)", rc, err_msg());

	/* Telemetry rows. */
	t0 = clock_wall_ms();
	ok(t0 / 1000 - (long long)time(NULL) <= 1 && (long long)time(NULL) - t0 / 1000 <= 1,
	    "clock_wall_ms is wall-clock milliseconds");
	is_int(one_row(db, "claw", "config.set", 12, 1, "{\"key\":\"model\"}"), 0,
	    "a telemetry row");
	is_int(one_row(db, "claw-chat", "turn", -1, 0, NULL), 0,
	    "a telemetry row without ms and detail");
	is_int(pragma_int(db,
	    "SELECT count(*) FROM events WHERE program = 'claw' AND kind = 'config.set'"
	    " AND ms = 12 AND ok = 1 AND detail = '{\"key\":\"model\"}' AND ts >= " "0"), 1,
	        "the event row is right");
	is_int(pragma_int(db,
	    "SELECT count(*) FROM events WHERE program = 'claw-chat' AND ms IS NULL"
	    " AND ok = 0 AND detail IS NULL"), 1, "ms < 0 and no detail are stored as NULL");
	store_close(db);
	db = NULL;

	/* Reopening is idempotent: same version, data kept, mode unchanged. */
	rc = store_open(&db);
	is_int(rc, 0, "store_open again");
	is_int(pragma_int(db, "PRAGMA user_version"), store_version(), "same user_version");
	is_int(pragma_int(db, "SELECT count(*) FROM config"), 2, "rows kept across reopen");
	is_int(mode_of(db_path), 0600, "still 0600");

	/* An older schema is migrated forward: drop what migration 2+ made and go back to 1. */
	if (store_version() >= 2) {
		/* Every table (and trigger) a later migration made, whatever they are by now. */
		struct buf drop = BUF_INIT;
		sqlite3_stmt *st;
		sqlite3_prepare_v2(db, "SELECT type, name FROM sqlite_schema"
		    " WHERE type IN ('table', 'trigger') AND name NOT IN ('config', 'events')"
		    " ORDER BY rowid DESC", -1, &st, NULL);
		while (sqlite3_step(st) == SQLITE_ROW)
			buf_printf(&drop, "DROP %s %s; ", sqlite3_column_text(st, 0),
			    sqlite3_column_text(st, 1));
		sqlite3_finalize(st);
		/* and the columns later migrations added to events */
		sqlite3_prepare_v2(db,
		    "SELECT name FROM pragma_table_info('events') WHERE cid >= 7", -1, &st, NULL);
		while (sqlite3_step(st) == SQLITE_ROW)
			buf_printf(&drop, "ALTER TABLE events DROP COLUMN %s; ",
			    sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		buf_adds(&drop, "PRAGMA user_version=1");
		is_int(store_exec(db, drop.p), 0, "wind the schema back to version 1");
		buf_free(&drop);
		store_close(db);
		rc = store_open(&db);
		is_int(rc, 0, "store_open of a version-1 store");
		is_int(pragma_int(db, "PRAGMA user_version"), store_version(),
		    "migrated to store_version()");
		is_int(pragma_int(db,
		    "SELECT count(*) FROM sqlite_schema WHERE name IN ('sessions', 'cache')"), 2,
		    "the later tables are back");
		is_int(pragma_int(db, "SELECT count(*) FROM config"), 2, "and the old rows kept");
	}
	/* A store from a newer claw is refused, not downgraded. */
	is_int(store_exec(db, "PRAGMA user_version=999"), 0, "pretend a newer claw wrote it");
	store_close(db);
	db = NULL;
	rc = store_open(&db);
	ok(rc == EX_CONFIG && strstr(err_msg(), "newer"), "a newer schema is EX_CONFIG (%s)",
	    err_msg());
	ok(db == NULL, "and no handle is returned");

	/* A garbage file: EX_SOFTWARE and not a byte changed. */
	snprintf(path, sizeof path, "%s/garbage.db", tmp);
	for (i = 0; i < sizeof junk; i++)
		junk[i] = (unsigned char)(i * 2654435761u >> 13);
	ok(write_file(path, junk, sizeof junk) == 0, "write 8 KiB of garbage");
	rc = store_open_path(&db, path);
	ok(rc == EX_SOFTWARE && strstr(err_msg(), "move it aside"),
	    "store_open_path of garbage is EX_SOFTWARE, says what to do (%d: %s)", rc, err_msg());
	ok(db == NULL, "no handle");
	ok(same_file(path, junk, sizeof junk), "the garbage file is byte-identical afterwards");
	is_int(mode_of(path), 0666, "and its mode untouched");

	/* A valid header with page 1 cut short. */
	snprintf(path, sizeof path, "%s/short.db", tmp);
	memcpy(junk, "SQLite format 3", 16);
	ok(write_file(path, junk, 100) == 0, "write a 100-byte file with a SQLite header");
	rc = store_open_path(&db, path);
	ok(rc != 0 && db == NULL, "a truncated store is refused (%d: %s)", rc, err_msg());
	ok(same_file(path, junk, 100), "and left as it was");

	/* The token, from SQLite while the WAL holds frames, from the file's header
	 * when it holds none, the same either way; never from a rollback-mode header. */
	{
		char wal[420];
		struct stat st;
		int tok, t1 = 0, t2 = 0;
		snprintf(path, sizeof path, "%s/token.db", tmp);
		snprintf(wal, sizeof wal, "%s-wal", path);
		ok(store_open_path(&db, path) == 0, "a store for the token");
		ok(store_exec(db, "PRAGMA application_id=1234567") == 0, "a token set");
		ok(stat(wal, &st) == 0 && st.st_size > 0, "the WAL holds it");
		rc = store_peek_token(path, &tok);
		ok(rc == 0 && tok == 1234567, "peeked with the token in a WAL frame: %d", tok);
		store_checkpoint(db);
		ok(stat(wal, &st) == 0 && st.st_size == 0, "checkpointed, the WAL is empty");
		rc = store_peek_token(path, &tok);
		ok(rc == 0 && tok == 1234567, "peeked from the header: %d", tok);
		ok(store_exec(db, "PRAGMA application_id=-7") == 0, "a new token, negative");
		rc = store_peek_token(path, &t1);
		ok(rc == 0 && t1 == -7, "the WAL's, not the file's: %d", t1);
		store_checkpoint(db);
		rc = store_peek_token(path, &t2);
		ok(rc == 0 && t2 == -7, "and the file's after: %d", t2);
		store_close(db);
		db = NULL;
		ok(unlink(wal) == 0 || errno == ENOENT, "no WAL at all");
		rc = store_peek_token(path, &tok);
		ok(rc == 0 && tok == -7, "peeked with no WAL: %d", tok);
		/* A rollback-mode file's header may hold a transaction not committed yet. */
		ok(sqlite3_open(path, &db2) == SQLITE_OK && sqlite3_exec(db2,
		    "PRAGMA journal_mode=DELETE; PRAGMA application_id=99", NULL, NULL, NULL)
		    == SQLITE_OK, "the store in rollback mode, token 99");
		sqlite3_close(db2);
		db2 = NULL;
		rc = store_peek_token(path, &tok);
		ok(rc == 0 && tok == 99, "peeked through SQLite: %d", tok);
	}

	/* The copies beside the store (store/copy.h). */
	{
		struct buf b = BUF_INIT;
		struct store_copy_out t;
		struct timespec newest, ts[2];
		struct stat a, c;
		char state[256], again[256], cp[400];
		const char *body;
		size_t len;
		int token;

		snprintf(cp, sizeof cp, "%s/claw.db-test", home);
		store_copy_write("claw.db-test", "claw-test 1", 5, "hello world", 11);
		is_int(mode_of(cp), 0600, "a copy is written mode 0600");
		ok(store_copy_read("claw.db-test", 4096, &b) == 0
		    && store_copy_parse(b.p, b.len, "claw-test 1", &token, &body, &len) == 0
		    && token == 5 && len == 11 && !memcmp(body, "hello world", 11),
		    "and read back whole: its token and body");
		ok(store_copy_parse(b.p, b.len, "claw-other 1", &token, &body, &len) == -1,
		    "a copy under another magic is not one");
		stat(cp, &a);
		store_copy_write("claw.db-test", "claw-test 1", 6, "hi", 2);
		stat(cp, &c);
		ok(store_copy_read("claw.db-test", 4096, &b) == 0
		    && store_copy_parse(b.p, b.len, "claw-test 1", &token, &body, &len) == 0
		    && token == 6 && len == 2 && !memcmp(body, "hi", 2) && a.st_ino == c.st_ino,
		    "a shorter copy is rewritten in place, no longer than it is");
		/* Torn: the header of one copy and the body of another. */
		{
			int fd = open(cp, O_WRONLY);
			ok(fd >= 0 && pwrite(fd, "ho", 2, (off_t)(c.st_size - 2)) == 2,
			    "a copy's body changed under its header");
			if (fd >= 0)
				close(fd);
		}
		ok(store_copy_read("claw.db-test", 4096, &b) == 0
		    && store_copy_parse(b.p, b.len, "claw-test 1", &token, &body, &len) == -1,
		    "is refused by its hash");
		ok(store_copy_read("claw.db-test", 4, &b) == -1, "as is one past the size asked");

		ok(store_copy_state(state, sizeof state, &newest) == 0 && !strncmp(state, "db ", 3)
		    && strstr(state, " wal "), "the state names claw.db and its WAL: %s", state);
		ok(store_copy_state(state, 20, &newest) == -1, "and fails when it does not fit");
		one_row(db, "claw-test", "state", 1, 1, NULL);
		ok(store_copy_state(again, sizeof again, &newest) == 0 && strcmp(state, again),
		    "a write to the store changes it");

		/* Written only when every time in the state is older than the copy's
		 * moment: a store stamped an hour ahead is never older. */
		clock_gettime(CLOCK_REALTIME, &ts[1]);
		ts[1].tv_sec += 3600;
		ts[0] = ts[1];
		utimensat(AT_FDCWD, db_path, ts, 0);
		ok(store_copy_begin(&t, "claw.db-test") == 0
		    && store_copy_state(state, sizeof state, &newest) == 0, "begun; a state");
		store_copy_end(&t, "claw-test 1", 7, "later", 5, &newest);
		ok(access(cp, F_OK) == -1 && errno == ENOENT,
		    "is not written when the store is newer than its moment: removed");
		ts[0].tv_sec = ts[1].tv_sec -= 7200;
		utimensat(AT_FDCWD, db_path, ts, 0);
		snprintf(again, sizeof again, "%s-wal", db_path);
		utimensat(AT_FDCWD, again, ts, 0);
		/* (claw.db's ctime, which that set to now, a tick behind too) */
		nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
		ok(store_copy_begin(&t, "claw.db-test") == 0
		    && store_copy_state(state, sizeof state, &newest) == 0, "begun again");
		store_copy_end(&t, "claw-test 1", 8, "settled", 7, &newest);
		ok(store_copy_read("claw.db-test", 4096, &b) == 0
		    && store_copy_parse(b.p, b.len, "claw-test 1", &token, &body, &len) == 0
		    && token == 8, "is written when the store and its WAL are older");
		ok(store_copy_begin(&t, "claw.db-test") == 0, "a copy begun");
		store_copy_drop(&t);
		ok(access(cp, F_OK) == -1, "and dropped is removed");
		/* A FIFO where the copy goes: refused at once, never waited on. */
		ok(mkfifo(cp, 0600) == 0, "a FIFO in the copy's place");
		ok(store_copy_begin(&t, "claw.db-test") == -1, "is not a copy to write");
		store_copy_write("claw.db-test", "claw-test 1", 9, "x", 1);
		ok(store_copy_read("claw.db-test", 4096, &b) == -1, "nor one to read");
		unlink(cp);
		buf_free(&b);
	}

	/* Nowhere to create it. */
	snprintf(path, sizeof path, "%s/no/such/dir/claw.db", tmp);
	rc = store_open_path(&db, path);
	ok(rc == EX_CANTCREAT && db == NULL, "a missing directory is EX_CANTCREAT (%s)", err_msg());
	snprintf(path, sizeof path, "%s/garbage.db/claw.db", tmp);
	rc = store_open_path(&db, path);
	ok(rc == EX_CANTCREAT, "a file in place of the directory is EX_CANTCREAT (%s)", err_msg());

	/* The store file itself is never followed through a symlink. */
	snprintf(path, sizeof path, "%s/link.db", tmp);
	if (symlink(db_path, path) == 0) {
		rc = store_open_path(&db, path);
		ok(rc != 0 && db == NULL, "a symlinked store is refused (%d: %s)", rc, err_msg());
	}

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		note("could not remove %s", tmp);
	return done_testing();
}
