/* file: a whole small file read into memory, never more than a stated cap. */
#ifndef CLAW_FILE_H
#define CLAW_FILE_H
#include <stddef.h>
#include <sys/stat.h>

#include "base/buf.h"

/* path opened to read only when it is a regular file: never through a symlink
 * (O_NOFOLLOW), and a FIFO in its place not waited on (O_NONBLOCK).  The descriptor
 * with its *st, or -1 with errno (EINVAL: not a regular file). */
int file_open_regular(const char *path, struct stat *st);
/* Append the file at path to out: 0; EX_NOINPUT when it cannot be opened (errno
 * kept: ENOENT tells a missing file), EX_DATAERR when it holds more than max
 * bytes, EX_IOERR on a read error or no memory; err is set naming path. */
int file_read(const char *path, size_t max, struct buf *out);
/* The same from an open descriptor (left open); name is for the message. */
int file_read_fd(int fd, const char *name, size_t max, struct buf *out);
/* Create path holding the n bytes at p, mode 0600, whole or not at all: they are
 * written and fsynced under a private name, then link()ed into place, which never
 * replaces.  Of racing first runs one wins (*created = 1) and the others find the
 * winner's file there (0, *created = 0): read path back either way.  EX_CANTCREAT
 * or EX_IOERR with err set otherwise. */
int file_create_once(const char *path, const void *p, size_t n, int *created);
#endif
