/* Unit tests for lib/store/wal.c: the token read from the WAL's bytes is, in every
 * state a store goes through, the one a new SQLite connection reads -- commits
 * of page 1 and of other pages, a transaction spilled to the WAL and not committed,
 * checkpoints that leave the WAL, start it over or truncate it -- and a frame
 * damaged, torn or of an older WAL ends what counts, as SQLite's recovery ends it. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "store/store.h"
#include "store/wal.h"
#include "tap.h"

static char tmp[] = "/tmp/claw-wal-XXXXXX";
static char db_path[300], wal_path[310];

/* What a new connection reads: the truth to compare with. */
static int
sqlite_token(void)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int t = 0;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
	    && sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			t = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return t;
}

static int
header_token(void)
{
	unsigned char h[100];
	int fd = open(db_path, O_RDONLY), t = 0;
	ssize_t n = fd >= 0 ? pread(fd, h, sizeof h, 0) : -1;

	if (fd >= 0)
		close(fd);
	return n == 100 && wal_file_token(h, &t) == 0 ? t : 0;
}

/* The WAL's bytes into b (empty when there is none). */
static void
wal_bytes(struct buf *b)
{
	buf_reset(b);
	if (access(wal_path, F_OK) == 0)
		file_read(wal_path, 64 << 20, b);
}

/* The token from the files as store_peek_token reads them: r is wal_token's. */
static int
file_token(struct buf *b, int *r)
{
	int t = 0;

	wal_bytes(b);
	*r = b->len ? wal_token((unsigned char *)b->p, b->len, &t) : 0;
	return *r == 1 ? t : header_token();
}

/* 1 when a frame of page 1 follows the last commit frame (no checksums: the test's
 * own look at the bytes). */
static int
page1_uncommitted(const struct buf *b)
{
	const unsigned char *w = (const unsigned char *)b->p;
	size_t page, off, i = 0, commit = 0, p1 = 0;

	if (b->len < 32)
		return 0;
	page = (size_t)w[8] << 24 | (size_t)w[9] << 16 | (size_t)w[10] << 8 | w[11];
	for (off = 32; off + 24 + page <= b->len; off += 24 + page) {
		const unsigned char *f = w + off;
		i++;
		if (f[0] == 0 && f[1] == 0 && f[2] == 0 && f[3] == 1)
			p1 = i;
		if (f[4] | f[5] | f[6] | f[7])
			commit = i;
	}
	return p1 > commit;
}

static void
check(struct buf *b, const char *what, int want_r)
{
	int r, t = file_token(b, &r), want = sqlite_token();

	ok(t == want && (want_r < -1 || r == want_r), "%s: %d (SQLite %d, wal_token %d)", what,
	    t, want, r);
}

int
main(void)
{
	struct buf b = BUF_INIT, damaged = BUF_INIT;
	sqlite3 *db = NULL, *db2 = NULL;
	char sql[128];
	int i, r, t, before;

	if (!mkdtemp(tmp))
		return ok(0, "mkdtemp"), done_testing();
	snprintf(db_path, sizeof db_path, "%s/claw.db", tmp);
	snprintf(wal_path, sizeof wal_path, "%s-wal", db_path);
	if (store_open_path(&db, db_path))
		return ok(0, "a store"), done_testing();
	store_checkpoint(db);
	check(&b, "a new store, the WAL empty", 0);

	ok(store_exec(db, "PRAGMA application_id=11") == 0, "a token committed");
	check(&b, "from the WAL's frame of page 1", 1);
	ok(store_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(randomblob(3000))") == 0,
	    "a commit that changes page 1 again (the schema)");
	check(&b, "the later frame of page 1", 1);
	ok(store_exec(db, "INSERT INTO t SELECT randomblob(3000) FROM t") == 0,
	    "commits of other pages");
	check(&b, "still the last page 1", -2);

	/* A transaction too big for the cache spills frames that do not commit. */
	before = sqlite_token();
	ok(store_exec(db, "PRAGMA cache_size=2; BEGIN; PRAGMA application_id=22;"
	    " INSERT INTO t SELECT randomblob(3000) FROM t; INSERT INTO t SELECT"
	    " randomblob(3000) FROM t") == 0, "a spilled transaction, open");
	wal_bytes(&b);
	r = wal_token((unsigned char *)b.p, b.len, &t);
	ok(r == 1 && t == before && sqlite_token() == before,
	    "its frames do not count: %d (before %d)", t, before);
	ok(store_exec(db, "COMMIT; PRAGMA cache_size=-2000") == 0, "and committed");
	check(&b, "then they do", 1);

	/* Checkpoints: one that leaves the frames, one that starts the WAL over (the
	 * next writer overwrites the old frames, which stay behind its own), one that
	 * truncates it. */
	ok(sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL)
	    == SQLITE_OK, "a passive checkpoint");
	check(&b, "the frames are still read", 1);
	ok(sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL)
	    == SQLITE_OK, "a restart checkpoint");
	check(&b, "all checkpointed", -2);
	ok(store_exec(db, "INSERT INTO t VALUES(1)") == 0, "a writer starts the WAL over");
	wal_bytes(&b);
	ok(b.len > 4 * 4120, "old frames stay behind its own (%zu bytes)", b.len);
	check(&b, "an older WAL's frames do not count", -2);
	ok(store_exec(db, "PRAGMA application_id=33") == 0, "a token in the new WAL");
	check(&b, "read from it", 1);
	store_checkpoint(db);
	check(&b, "truncated: from the file's header", 0);

	/* Many commits, each read as SQLite reads them. */
	for (i = 0, r = 1; i < 60; i++) {
		snprintf(sql, sizeof sql, i % 3 ? "INSERT INTO t VALUES(%d)" :
		    "PRAGMA application_id=%d", 1000 + i * 7919);
		if (store_exec(db, sql))
			r = 0;
		if (i % 17 == 16)
			sqlite3_wal_checkpoint_v2(db, NULL, i % 2 ? SQLITE_CHECKPOINT_RESTART :
			    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		if (file_token(&b, &t) != sqlite_token())
			r = 0;
	}
	ok(r, "60 commits and checkpoints: the same token as SQLite after each");

	/* Damage: a byte changed in a frame ends the chain there, as a frame torn by a
	 * crash or a WAL cut short does; what was committed before still counts. */
	store_checkpoint(db);
	ok(store_exec(db, "PRAGMA application_id=44") == 0, "a frame of page 1 (44)");
	ok(store_exec(db, "PRAGMA application_id=55") == 0, "and a later one (55)");
	wal_bytes(&b);
	r = wal_token((unsigned char *)b.p, b.len, &t);
	ok(r == 1 && t == 55, "both whole: 55 (%d)", t);
	buf_reset(&damaged);
	buf_add(&damaged, b.p, b.len);
	damaged.p[b.len - 100] ^= 1;                    /* the last frame's page */
	r = wal_token((unsigned char *)damaged.p, damaged.len, &t);
	ok(r == 1 && t == 44, "the last frame damaged: 44 (%d)", t);
	r = wal_token((unsigned char *)b.p, b.len - 1, &t);
	ok(r == 1 && t == 44, "the last frame cut short: 44 (%d)", t);
	/* A writer killed inside its commit: its frames are written by page number,
	 * page 1 first, the commit mark on the last; cut after page 1's. */
	ok(store_exec(db, "BEGIN; PRAGMA application_id=66; INSERT INTO t VALUES(randomblob(3000));"
	    " COMMIT") == 0, "a commit of page 1 and more (66)");
	wal_bytes(&b);
	buf_reset(&damaged);
	buf_add(&damaged, b.p, b.len - 4120);
	ok(page1_uncommitted(&damaged), "cut before its last frame: page 1 (66) not committed");
	r = wal_token((unsigned char *)damaged.p, damaged.len, &t);
	ok(r == 1 && t == 55, "it does not count: 55 (%d)", t);
	r = wal_token((unsigned char *)b.p, b.len, &t);
	ok(r == 1 && t == 66, "whole, it does: 66 (%d)", t);
	buf_reset(&damaged);
	buf_add(&damaged, b.p, b.len);
	damaged.p[30] ^= 1;                             /* the header's checksum */
	ok(wal_token((unsigned char *)damaged.p, damaged.len, &t) == -1,
	    "a header that does not check: -1, ask SQLite");
	ok(wal_token((unsigned char *)b.p, 31, &t) == -1, "a header cut short: -1");
	memcpy(damaged.p, b.p, 32);
	damaged.p[3] = 0x77;
	ok(wal_token((unsigned char *)damaged.p, damaged.len, &t) == -1, "a foreign magic: -1");

	/* And through store_peek_token, with a second connection holding the WAL. */
	ok(sqlite3_open(db_path, &db2) == SQLITE_OK, "a second connection");
	r = store_peek_token(db_path, &t);
	ok(r == 0 && t == 66, "store_peek_token: 66 (%d)", t);
	/* A WAL over what is read from the files (a reader kept it from being
	 * checkpointed): SQLite is asked, and says the same. */
	ok(sqlite3_exec(db2, "BEGIN; SELECT count(*) FROM t", NULL, NULL, NULL) == SQLITE_OK,
	    "a read transaction holds the WAL");
	ok(store_exec(db, "PRAGMA application_id=77; INSERT INTO t WITH RECURSIVE c(x) AS"
	    " (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400) SELECT randomblob(3000)"
	    " FROM c") == 0, "a commit of some hundred frames (77)");
	wal_bytes(&b);
	ok(b.len > (1 << 20), "the WAL is over 1 MiB (%zu bytes)", b.len);
	r = store_peek_token(db_path, &t);
	ok(r == 0 && t == 77 && sqlite_token() == 77, "store_peek_token asks SQLite: 77 (%d)", t);
	sqlite3_exec(db2, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db2);
	store_close(db);
	buf_free(&b);
	buf_free(&damaged);
	snprintf(sql, sizeof sql, "rm -rf '%s'", tmp);
	if (system(sql) != 0)
		note("could not remove %s", tmp);
	return done_testing();
}
