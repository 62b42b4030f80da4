/* file: reading with a cap, so a file that grew (or a FIFO) costs at most max bytes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "base/err.h"
#include "base/file.h"

int
file_open_regular(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC), saved;

	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0)
		saved = errno;
	else if (S_ISREG(st->st_mode))
		return fd;
	else
		saved = EINVAL;
	close(fd);
	errno = saved;
	return -1;
}

int
file_read_fd(int fd, const char *name, size_t max, struct buf *out)
{
	size_t start = out->len;
	ssize_t n;

	for (;;) {
		size_t room = max - (out->len - start) + 1;   /* one more byte tells "too big" */
		if (buf_grow(out, room < 65536 ? room : 65536) < 0)
			return err_set(EX_IOERR, "%s: out of memory", name);
		if ((n = read(fd, out->p + out->len, room < 65536 ? room : 65536)) < 0) {
			if (errno == EINTR)
				continue;
			return err_set(EX_IOERR, "%s:", name);
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->p[out->len] = '\0';
		if (out->len - start > max)
			return err_set(EX_DATAERR, "%s: larger than %zu bytes", name, max);
	}
	return 0;
}

int
file_read(const char *path, size_t max, struct buf *out)
{
	int fd, rc, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return err_set(EX_NOINPUT, "%s:", path);
	rc = file_read_fd(fd, path, max, out);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
file_create_once(const char *path, const void *p, size_t n, int *created)
{
	char tmp[PATH_MAX + 32];
	int fd, ok;

	*created = 0;
	if (snprintf(tmp, sizeof tmp, "%s.new.%ld", path, (long)getpid()) >= (int)sizeof tmp)
		return err_set(EX_CANTCREAT, "%s: path too long", path);
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return err_set(EX_CANTCREAT, "%s:", tmp);
	ok = write(fd, p, n) == (ssize_t)n && fsync(fd) == 0;
	if (close(fd) < 0)
		ok = 0;
	if (!ok) {
		unlink(tmp);
		return err_set(EX_IOERR, "%s:", tmp);
	}
	if (link(tmp, path) == 0)
		*created = 1;
	else if (errno != EEXIST) {
		ok = errno == ENOSPC;
		unlink(tmp);
		return err_set(ok ? EX_IOERR : EX_CANTCREAT, "%s:", path);
	}
	unlink(tmp);
	return 0;
}
