/* multipart: multipart/form-data bodies (RFC 7578): parts separated by a random boundary,
 * CRLF line ends, one Content-Disposition per part. */
#include <string.h>

#include <sodium.h>

#include "net/multipart.h"

void
multipart_boundary(char *dst)
{
	unsigned char rnd[12];

	randombytes_buf(rnd, sizeof rnd);
	memcpy(dst, "claw-", 5);
	sodium_bin2hex(dst + 5, MULTIPART_BOUNDARY_LEN - 5, rnd, sizeof rnd);
}

void
multipart_field(struct buf *b, const char *boundary, const char *name, const char *value)
{
	buf_printf(b, "--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n",
	    boundary, name, value);
}

void
multipart_file(struct buf *b, const char *boundary, const char *name, const char *filename,
    const char *type, const void *data, size_t n)
{
	buf_printf(b, "--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
	    "Content-Type: %s\r\n\r\n", boundary, name, filename, type);
	buf_add(b, data, n);
	buf_adds(b, "\r\n");
}

void
multipart_end(struct buf *b, const char *boundary)
{
	buf_printf(b, "--%s--\r\n", boundary);
}
