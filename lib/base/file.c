/* file: reading with a cap, so a file that grew (or a FIFO) costs at most max bytes. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "base/err.h"
#include "base/file.h"

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
