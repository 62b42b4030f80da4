/* telemetry: a row is a line "TS MS OK CPU RSS PROGRAM KIND DETAIL" (MS -1 for none,
 * CPU in ms, RSS in kB, DETAIL a JSON object or null), the same in memory and in the
 * spool, so a flush is one loop over lines whichever way they came.  A spool line
 * without CPU and RSS (written before they were) is read too; lines that do not
 * parse (a spool cut short by a full disk) are skipped. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "base/path.h"
#include "store/store.h"
#include "store/telemetry.h"

#define SPOOL_INGEST (64u << 10)      /* a spool this big is worth opening the store for */
#define SPOOL_MAX (16u << 20)         /* read per fold */

void
telemetry_init(struct telemetry *t, const char *program)
{
	memset(t, 0, sizeof *t);
	t->program = program;
}

void
telemetry_free(struct telemetry *t)
{
	buf_free(&t->rows);
	t->n = 0;
}

/* Too many rows waiting (the store has been locked for long): the oldest half goes. */
static void
shed(struct telemetry *t)
{
	size_t off = 0, k;
	char *nl;

	for (k = 0; k < t->n / 2 && (nl = memchr(t->rows.p + off, '\n', t->rows.len - off)); k++)
		off = (size_t)(nl - t->rows.p) + 1;
	buf_consume(&t->rows, off);
	t->n -= k;
	t->dropped += k;
}

static long long
tv_ms(struct timeval tv)
{
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* The CPU the process spent since its last row, and its peak RSS or its largest
 * waited-for child's.  A forked child starts its own count from 0. */
static void
usage(struct telemetry *t, long long *cpu, long long *rss)
{
	struct rusage self, kids;
	long long now;

	if (getrusage(RUSAGE_SELF, &self) || getrusage(RUSAGE_CHILDREN, &kids)) {
		*cpu = *rss = -1;
		return;
	}
	now = tv_ms(self.ru_utime) + tv_ms(self.ru_stime) + tv_ms(kids.ru_utime)
	    + tv_ms(kids.ru_stime);
	*cpu = now >= t->cpu_ms ? now - t->cpu_ms : now;
	*rss = self.ru_maxrss > kids.ru_maxrss ? self.ru_maxrss : kids.ru_maxrss;
	t->cpu_ms = now;
}

void
telemetry_add(struct telemetry *t, const char *kind, long long ms, int ok, const char *detail)
{
	long long cpu, rss;
	char why[8];

	if (t->n >= TELEMETRY_MAXPENDING)
		shed(t);
	if (detail &&
	    (strchr(detail, '\n') || !json_valid(detail, strlen(detail), why, sizeof why)))
		detail = NULL;
	usage(t, &cpu, &rss);
	buf_printf(&t->rows, "%lld %lld %d %lld %lld %s %s %s\n", clock_wall_ms(), ms < 0 ? -1 : ms,
	    ok != 0, cpu, rss, t->program, kind, detail ? detail : "null");
	t->n++;
}

int
telemetry_parse_line(const char *p, size_t n, struct telemetry_row *r)
{
	char head[256], why[8];
	size_t hn = n < sizeof head - 1 ? n : sizeof head - 1;
	int at = 0, off = 0;

	/* The fields before DETAIL, in a copy that ends: sscanf never reads past n. */
	memcpy(head, p, hn);
	head[hn] = '\0';
	if (memchr(head, '\n', hn)
	    || sscanf(head, "%lld %lld %d %n", &r->ts, &r->ms, &r->ok, &at) != 3 || !at)
		return -1;
	if (sscanf(head + at, "%lld %lld %n", &r->cpu_ms, &r->rss_kb, &off) == 2 && off)
		at += off;                 /* else a line from before CPU and RSS */
	else
		r->cpu_ms = r->rss_kb = -1;
	off = 0;
	if (sscanf(head + at, "%63s %63s %n", r->program, r->kind, &off) != 2 || !off)
		return -1;
	at += off;
	if ((size_t)at >= hn && hn < n)
		return -1;                 /* DETAIL past what was copied: a malformed head */
	r->detail = p + at;
	r->dlen = n - (size_t)at;
	if (!json_valid(r->detail, r->dlen, why, sizeof why))
		return -1;
	if (r->dlen == 4 && memcmp(r->detail, "null", 4) == 0)
		r->detail = NULL, r->dlen = 0;
	return 0;
}

/* Insert the rows in p[0..n) with st (bound anew for each). */
static int
insert(sqlite3 *db, sqlite3_stmt *st, const char *p, size_t n)
{
	const char *end = p + n, *nl;
	struct telemetry_row r;

	for (; p < end && (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1) {
		if (telemetry_parse_line(p, (size_t)(nl - p), &r))
			continue;
		sqlite3_bind_int64(st, 1, r.ts);
		sqlite3_bind_text(st, 2, r.program, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, r.kind, -1, SQLITE_TRANSIENT);
		if (r.ms >= 0)
			sqlite3_bind_int64(st, 4, r.ms);
		else
			sqlite3_bind_null(st, 4);
		sqlite3_bind_int(st, 5, r.ok != 0);
		if (r.detail)
			sqlite3_bind_text(st, 6, r.detail, (int)r.dlen, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, 6);
		if (r.cpu_ms >= 0)
			sqlite3_bind_int64(st, 7, r.cpu_ms);
		else
			sqlite3_bind_null(st, 7);
		if (r.rss_kb >= 0)
			sqlite3_bind_int64(st, 8, r.rss_kb);
		else
			sqlite3_bind_null(st, 8);
		if (sqlite3_step(st) != SQLITE_DONE)
			return store_fail(db, "events");
		sqlite3_reset(st);
	}
	return 0;
}

static int
spool_open(int flags)
{
	char path[4096];
	int fd;

	if (path_in_home(path, sizeof path, TELEMETRY_SPOOL))
		return -1;
	if ((fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0 && errno == ENOENT
	    && (flags & O_CREAT) && path_mkhome("run") == 0)
		fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW, 0600);
	return fd;
}

int
telemetry_spooled(void)
{
	struct stat st;
	int fd = spool_open(O_RDONLY), any;

	if (fd < 0)
		return 0;
	any = fstat(fd, &st) == 0 && st.st_size > 0;
	close(fd);
	return any;
}

int
telemetry_flush(struct telemetry *t, sqlite3 *db)
{
	struct buf spool = BUF_INIT;
	sqlite3_stmt *st = NULL;
	int fd, rc;

	/* The spool under an exclusive lock, so no row is appended between reading
	 * it and emptying it; appenders share the lock. */
	if ((fd = spool_open(O_RDWR)) >= 0 && flock(fd, LOCK_EX) == 0) {
		int r = file_read_fd(fd, TELEMETRY_SPOOL, SPOOL_MAX, &spool);
		if (r == EX_IOERR)
			buf_reset(&spool);
	}
	if (!spool.len && !t->n)
		goto out;
	if ((rc = store_begin_write(db)))
		goto fail;
	rc = store_prepare(db, &st,
	    "INSERT INTO events(ts, program, kind, ms, ok, detail, cpu_ms, rss_kb)"
	    " VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
	if (!rc)
		rc = insert(db, st, spool.p, spool.len);
	if (!rc)
		rc = insert(db, st, t->rows.p, t->rows.len);
	sqlite3_finalize(st);
	if ((rc = store_end(db, rc)))
		goto fail;
	if (spool.len && fd >= 0)
		(void)!ftruncate(fd, 0);
	buf_reset(&t->rows);
	t->n = 0;
	t->dropped = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_free(&spool);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	buf_free(&spool);
	return rc;
}

int
telemetry_spool(struct telemetry *t, int *big)
{
	struct stat st;
	int fd, rc = 0;

	*big = 0;
	if (!t->n)
		return 0;
	if (t->rows.oom)
		return err_set(EX_SOFTWARE, "telemetry: out of memory");
	if ((fd = spool_open(O_WRONLY | O_APPEND | O_CREAT)) < 0)
		return err_set(EX_CANTCREAT, "%s:", TELEMETRY_SPOOL);
	flock(fd, LOCK_SH);                /* appends share; only a flush excludes */
	if (write(fd, t->rows.p, t->rows.len) != (ssize_t)t->rows.len)
		rc = err_set(EX_IOERR, "%s:", TELEMETRY_SPOOL);
	*big = fstat(fd, &st) == 0 && st.st_size >= (off_t)SPOOL_INGEST;
	close(fd);
	if (!rc) {
		buf_reset(&t->rows);
		t->n = 0;
	}
	return rc;
}
