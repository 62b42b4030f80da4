/* attach: read a file once, bounded, and classify it by content, not by name. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "chat/attach.h"
#include "base/err.h"
#include "base/utf8.h"

static const char *
image_type(const unsigned char *p, size_t n)
{
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) return "image/png";
	if (n >= 3 && memcmp(p, "\xff\xd8\xff", 3) == 0) return "image/jpeg";
	if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0)) return "image/gif";
	if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0) return "image/webp";
	return NULL;
}

int
attach_load(const char *path, struct buf *text, jv *images)
{
	struct buf b = BUF_INIT;
	const char *type, *name = strrchr(path, '/');
	char chunk[65536];
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(EX_NOINPUT, "%s:", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(EX_NOINPUT, "%s: not a regular file", path);
	}
	if ((size_t)st.st_size > ATTACH_IMAGE_MAX) {
		close(fd);
		return err_set(EX_DATAERR, "%s: %lld bytes is over the %u-byte attachment cap",
		    path, (long long)st.st_size, ATTACH_IMAGE_MAX);
	}
	while ((n = read(fd, chunk, sizeof chunk)) > 0 && b.len <= ATTACH_IMAGE_MAX)
		buf_add(&b, chunk, (size_t)n);
	close(fd);
	if (n < 0 || b.oom) {
		buf_free(&b);
		return err_set(EX_NOINPUT, "%s:", path);
	}
	name = name ? name + 1 : path;
	if ((type = image_type((unsigned char *)b.p, b.len))) {
		size_t len = sodium_base64_ENCODED_LEN(b.len, sodium_base64_VARIANT_ORIGINAL);
		char *enc = malloc(len);
		if (!enc) {
			rc = err_set(EX_SOFTWARE, "out of memory");
		} else {
			sodium_bin2base64(enc, len, (unsigned char *)b.p, b.len, sodium_base64_VARIANT_ORIGINAL);
			*images = jv_array_append(*images, jv_object_set(jv_object_set(jv_object_set(jv_object(),
			    jv_string("media_type"), jv_string(type)), jv_string("data"), jv_string(enc)),
			    jv_string("name"), jv_string(name)));
			free(enc);
		}
	} else if (b.len > ATTACH_TEXT_MAX) {
		rc = err_set(EX_DATAERR, "%s: %zu bytes of text is over the %u-byte cap", path, b.len, ATTACH_TEXT_MAX);
	} else if (!utf8_valid(b.p ? b.p : "", b.len) || (b.len && memchr(b.p, '\0', b.len))) {
		rc = err_set(EX_DATAERR, "%s: neither UTF-8 text nor a png, jpeg, gif or webp image", path);
	} else {
		buf_printf(text, "\n\n--- %s ---\n", name);
		buf_add(text, b.p, b.len);
		if (b.len && b.p[b.len - 1] != '\n')
			buf_addc(text, '\n');
		buf_printf(text, "--- end of %s ---\n", name);
	}
	buf_free(&b);
	return rc;
}
