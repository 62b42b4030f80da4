/* copy: the store's copies, written whole and read only while they may answer. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/path.h"
#include "store/copy.h"

static uint64_t
fnv64(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	while (n--)
		h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
	return h;
}

size_t
store_copy_head(char *dst, size_t size, const char *magic, int token, const char *body,
    size_t n)
{
	int hn = snprintf(dst, size, "%s %d %zu %016llx\n", magic, token, n,
	    (unsigned long long)fnv64(body ? body : "", n));

	return hn < 0 || (size_t)hn >= size ? 0 : (size_t)hn;
}

int
store_copy_begin(struct store_copy_out *t, const char *name)
{
	struct stat st;

	/* O_NONBLOCK: a FIFO in its place fails here rather than wait for a reader. */
	if (path_in_home(t->path, sizeof t->path, name) || (t->fd = open(t->path,
	    O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return t->fd = -1;
	/* Its times set to the filesystem's now, and read back. */
	if (futimens(t->fd, NULL) < 0 || fstat(t->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(t->fd);
		return t->fd = -1;
	}
	t->born = st.st_mtim;
	return 0;
}

static int
older(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void
newer(struct timespec *newest, const struct timespec *t)
{
	if (older(newest, t))
		*newest = *t;
}

/* A file's device, inode, size and mtime, and with ctime its ctime (a chmod): not
 * the WAL's, which SQLite's every open changes when it runs as root (it gives the
 * file the store's owner). */
static int
state_of(char *dst, size_t size, const struct stat *st, int ctime)
{
	int n = snprintf(dst, size, "%llu %llu %lld %lld.%09ld",
	    (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
	    (long long)st->st_size, (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec), c = 0;

	if (n >= 0 && (size_t)n < size && ctime)
		c = snprintf(dst + n, size - (size_t)n, " %lld.%09ld",
		    (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
	return n < 0 || c < 0 || (size_t)n + (size_t)c >= size ? -1 : n + c;
}

int
store_copy_state(char *dst, size_t size, struct timespec *newest)
{
	char path[PATH_MAX], wal[PATH_MAX + 8];
	struct stat db, w;
	int n;

	newest->tv_sec = newest->tv_nsec = 0;
	if (path_in_home(path, sizeof path, "claw.db") || stat(path, &db) < 0
	    || snprintf(wal, sizeof wal, "%s-wal", path) >= (int)sizeof wal
	    || size < 8 || (n = state_of(dst + 3, size - 3, &db, 1)) < 0)
		return -1;
	memcpy(dst, "db ", 3);
	newer(newest, &db.st_mtim);
	newer(newest, &db.st_ctim);
	n += 3;
	if (stat(wal, &w) < 0)
		return errno == ENOENT && (size_t)n + 7 < size
		    ? (memcpy(dst + n, " wal -", 7), 0) : -1;
	if ((size_t)n + 5 >= size || state_of(dst + n + 5, size - (size_t)n - 5, &w, 0) < 0)
		return -1;
	memcpy(dst + n, " wal ", 5);
	newer(newest, &w.st_mtim);
	return 0;
}

void
store_copy_end(struct store_copy_out *t, const char *magic, int token, const char *body,
    size_t n, const struct timespec *newest)
{
	char head[128];
	size_t hn;
	int ok;

	if (t->fd < 0)
		return;
	ok = (!newest || older(newest, &t->born))
	    && (hn = store_copy_head(head, sizeof head, magic, token, body, n))
	    && pwrite(t->fd, head, hn, 0) == (ssize_t)hn
	    && (n == 0 || pwrite(t->fd, body, n, (off_t)hn) == (ssize_t)n)
	    && ftruncate(t->fd, (off_t)(hn + n)) == 0;
	ok = close(t->fd) == 0 && ok;
	if (!ok)
		unlink(t->path);
	t->fd = -1;
}

void
store_copy_drop(struct store_copy_out *t)
{
	if (t->fd < 0)
		return;
	close(t->fd);
	unlink(t->path);
	t->fd = -1;
}

void
store_copy_write(const char *name, const char *magic, int token, const char *body, size_t n)
{
	struct store_copy_out t;

	if (store_copy_begin(&t, name) == 0)
		store_copy_end(&t, magic, token, body, n, NULL);
}

int
store_copy_parse(const char *text, size_t n, const char *magic, int *token,
    const char **body, size_t *len)
{
	size_t mn = strlen(magic);
	unsigned long long ln, hash;
	const char *p;
	char *e;
	long t;

	if (n <= mn || memcmp(text, magic, mn) || text[mn] != ' ' || text[n] != '\0')
		return -1;
	p = text + mn + 1;
	if (!isdigit((unsigned char)*p) && *p != '-')
		return -1;
	t = strtol(p, &e, 10);
	if (e == p || *e != ' ' || t < INT_MIN || t > INT_MAX
	    || !isdigit((unsigned char)e[1]) || (ln = strtoull(e + 1, &e, 10), *e != ' ')
	    || !isxdigit((unsigned char)e[1]) || (hash = strtoull(e + 1, &e, 16), *e != '\n'))
		return -1;
	*body = e + 1;
	if (ln != (size_t)(text + n - *body) || fnv64(*body, (size_t)ln) != hash)
		return -1;
	*token = (int)t;
	*len = (size_t)ln;
	return 0;
}

int
store_copy_read(const char *name, size_t max, struct buf *out)
{
	char path[PATH_MAX];
	struct stat cs, db;
	int fd, rc;

	buf_reset(out);
	if (path_in_home(path, sizeof path, name) || (fd = file_open_regular(path, &cs)) < 0)
		return -1;
	/* One read of the size fstat gave: a short one is a copy being rewritten, which
	 * its header's length and hash would refuse anyway. */
	rc = cs.st_size > 0 && (size_t)cs.st_size <= max
	    && buf_grow(out, (size_t)cs.st_size + 1) == 0
	    && read(fd, out->p, (size_t)cs.st_size) == (ssize_t)cs.st_size ? 0 : -1;
	if (!rc) {
		out->len = (size_t)cs.st_size;
		out->p[out->len] = '\0';
	}
	close(fd);
	if (rc || path_in_home(path, sizeof path, "claw.db") || stat(path, &db) < 0
	    || db.st_mtim.tv_sec > cs.st_mtim.tv_sec || (db.st_mtim.tv_sec == cs.st_mtim.tv_sec
	    && db.st_mtim.tv_nsec >= cs.st_mtim.tv_nsec))
		return buf_reset(out), -1;
	return 0;
}
