/* multipart: multipart/form-data bodies (RFC 7578) for uploads through net/fetch — speech
 * services' audio files (media/) and messengers' voice notes (channel/). */
#ifndef CLAW_NET_MULTIPART_H
#define CLAW_NET_MULTIPART_H
#include <stddef.h>

#include "base/buf.h"

#define MULTIPART_BOUNDARY_LEN 30      /* "claw-" and 24 hex digits, and the NUL */

/* A fresh random boundary into dst (at least MULTIPART_BOUNDARY_LEN bytes): random so
 * that no file's bytes contain it. */
void multipart_boundary(char *dst);
/* A text field, a file part, and the closing delimiter. */
void multipart_field(struct buf *b, const char *boundary, const char *name, const char *value);
void multipart_file(struct buf *b, const char *boundary, const char *name, const char *filename,
    const char *type, const void *data, size_t n);
void multipart_end(struct buf *b, const char *boundary);
#endif
