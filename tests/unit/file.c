/* Unit tests for lib/base/file.c's file_open_regular: a regular file opens, and
 * nothing else does -- a FIFO is refused at once (never waited on), a symlink and a
 * directory are refused, a missing file keeps ENOENT. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "tap.h"

int
main(void)
{
	char dir[] = "/tmp/claw-file-XXXXXX", reg[64], fifo[64], link[64], none[64], got[4];
	struct stat st;
	int fd;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	snprintf(reg, sizeof reg, "%s/reg", dir);
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);
	snprintf(link, sizeof link, "%s/link", dir);
	snprintf(none, sizeof none, "%s/none", dir);
	fd = open(reg, O_WRONLY | O_CREAT, 0600);
	ok(fd >= 0 && write(fd, "abc", 3) == 3 && close(fd) == 0, "a regular file");
	ok(mkfifo(fifo, 0600) == 0 && symlink(reg, link) == 0, "a FIFO and a symlink");

	fd = file_open_regular(reg, &st);
	ok(fd >= 0 && S_ISREG(st.st_mode) && st.st_size == 3,
	    "a regular file opens, with its stat");
	ok(fd >= 0 && read(fd, got, 3) == 3, "and reads");
	if (fd >= 0)
		close(fd);
	errno = 0;
	ok(file_open_regular(fifo, &st) == -1 && errno == EINVAL, "a FIFO: EINVAL, not waited on");
	errno = 0;
	ok(file_open_regular(dir, &st) == -1 && errno == EINVAL, "a directory: EINVAL");
	errno = 0;
	ok(file_open_regular(link, &st) == -1 && errno == ELOOP, "a symlink is not followed");
	errno = 0;
	ok(file_open_regular(none, &st) == -1 && errno == ENOENT, "a missing file keeps ENOENT");

	unlink(reg);
	unlink(fifo);
	unlink(link);
	rmdir(dir);
	return done_testing();
}
