/* Unit tests for lib/store/mem.c, SQLite's allocator: every size class and the
 * large path keep what was written through reallocs that grow, shrink and cross
 * from one to the other; sizes and alignment are what SQLite is promised; freed
 * blocks are used again, not carved anew; threads each have their own lists; and
 * SQLite itself runs on it (a schema, 20,000 rows, an index, a sort). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/mem.h"
#include "tap.h"

static unsigned
rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static int
filled(const unsigned char *p, int n, unsigned char c)
{
	int i;

	for (i = 0; i < n; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

/* Random mallocs, reallocs and frees over sizes 1..max; 0 when every block held
 * its bytes, its size and its alignment throughout. */
static int
churn(unsigned seed, int rounds, int max)
{
	enum { SLOTS = 256 };
	unsigned char *p[SLOTS] = { 0 };
	int n[SLOTS] = { 0 }, i, bad = 0;

	for (i = 0; i < rounds && !bad; i++) {
		int k = (int)(rnd(&seed) % SLOTS), want = 1 + (int)(rnd(&seed) % (unsigned)max);
		unsigned char c = (unsigned char)(k + 1);
		if (p[k] && !filled(p[k], n[k], c))
			bad = 1;
		else if (p[k] && rnd(&seed) % 3 == 0) {
			sqlite3_free(p[k]);
			p[k] = NULL, n[k] = 0;
		} else {
			unsigned char *q = sqlite3_realloc(p[k], want);
			if (!q || ((uintptr_t)q & 7) || sqlite3_msize(q) < (sqlite3_uint64)want
			    || !filled(q, n[k] < want ? n[k] : want, c)) {
				bad = 1;
				break;
			}
			memset(q, c, (size_t)want);
			p[k] = q, n[k] = want;
		}
	}
	for (i = 0; i < SLOTS; i++)
		sqlite3_free(p[i]);
	return bad;
}

static void *
thread_churn(void *arg)
{
	return (void *)(intptr_t)churn((unsigned)(intptr_t)arg, 200000, 3000);
}

int
main(void)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	pthread_t t[4];
	void *a, *b, *c;
	int i, n = 0, bad = 0, rc;

	ok(sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK
	    && sqlite3_config(SQLITE_CONFIG_MULTITHREAD) == SQLITE_OK
	    && sqlite3_config(SQLITE_CONFIG_MALLOC, &mem_methods) == SQLITE_OK
	    && sqlite3_initialize() == SQLITE_OK, "SQLite takes the allocator and starts");

	/* The sizes SQLite is told: a class's, or the large size asked. */
	a = sqlite3_malloc(1), b = sqlite3_malloc(2048), c = sqlite3_malloc(2049);
	is_int((int)sqlite3_msize(a), 16, "1 byte: a block of the 16-byte class");
	is_int((int)sqlite3_msize(b), 2048, "2048 bytes: the largest class");
	is_int((int)sqlite3_msize(c), 2049, "2049 bytes: malloc's, its size kept");
	ok(((uintptr_t)a & 7) == 0 && ((uintptr_t)b & 7) == 0 && ((uintptr_t)c & 7) == 0,
	    "each 8-byte aligned");
	for (i = 1; i <= 2048 && !bad; i++) {
		void *p = sqlite3_malloc(i);
		bad = !p || sqlite3_msize(p) < (sqlite3_uint64)i
		    || sqlite3_msize(p) > (sqlite3_uint64)i + i / 4 + 16;
		sqlite3_free(p);
	}
	ok(!bad, "every size 1..2048: a class at least as large, at most a quarter over");

	/* A freed block is the next of its class handed out. */
	sqlite3_free(a);
	is_int(sqlite3_malloc(10) == a, 1, "a freed block is used again");
	sqlite3_free(a);
	a = sqlite3_malloc(100);
	memset(a, 'x', 100);
	a = sqlite3_realloc(a, 110);
	ok(filled(a, 100, 'x') && sqlite3_msize(a) >= 110, "realloc within the class keeps it");
	a = sqlite3_realloc(a, 5000);
	ok(a && filled(a, 100, 'x') && sqlite3_msize(a) == 5000, "small to large keeps the bytes");
	memset(a, 'y', 5000);
	a = sqlite3_realloc(a, 9000);
	ok(a && filled(a, 5000, 'y'), "large to larger keeps the bytes");
	a = sqlite3_realloc(a, 40);
	ok(a && filled(a, 40, 'y') && sqlite3_msize(a) == 48, "large to small: a class again");
	sqlite3_free(a);
	sqlite3_free(b);
	sqlite3_free(c);
	sqlite3_free(NULL);

	is_int(churn(1, 300000, 2500), 0,
	    "300,000 random mallocs, reallocs and frees hold their bytes");
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, thread_churn, (void *)(intptr_t)(i + 7));
	for (i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		bad += r != NULL;
	}
	is_int(bad, 0, "four threads at once, each on its own lists");

	rc = sqlite3_open(":memory:", &db);
	rc = rc ? rc : sqlite3_exec(db, "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c BLOB);"
	    "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 20000)"
	    " INSERT INTO t SELECT i, printf('%0*d', i % 300, i), randomblob(i % 5000) FROM r;"
	    "CREATE INDEX t_b ON t(b);", NULL, NULL, NULL);
	ok(rc == SQLITE_OK, "SQLite builds a table of 20,000 rows and an index on it");
	if (sqlite3_prepare_v2(db, "SELECT count(*), sum(length(c)) FROM (SELECT * FROM t"
	    " ORDER BY b DESC)", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	is_int(n, 20000, "and reads them back sorted");
	sqlite3_close(db);
	return done_testing();
}
