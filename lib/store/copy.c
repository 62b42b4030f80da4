/* copy: the store's copies, written whole and read only while they may answer. */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

void
store_copy_write(const char *name, const char *magic, int token, const char *body, size_t n)
{
	char path[PATH_MAX], tmp[PATH_MAX + 32], head[128];
	size_t hn;
	int fd, ok;

	if (path_in_home(path, sizeof path, name)
	    || !(hn = store_copy_head(head, sizeof head, magic, token, body, n)))
		return;
	snprintf(tmp, sizeof tmp, "%s.%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return;
	ok = write(fd, head, hn) == (ssize_t)hn && (n == 0 || write(fd, body, n) == (ssize_t)n);
	ok = close(fd) == 0 && ok && rename(tmp, path) == 0;
	if (!ok)
		unlink(tmp);
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
	if (path_in_home(path, sizeof path, name)
	    || (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	/* One read of the size fstat gives: a copy is replaced by rename, never
	 * rewritten in place, so a short read is a file that is not one. */
	rc = fstat(fd, &cs) == 0 && cs.st_size > 0 && (size_t)cs.st_size <= max
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
