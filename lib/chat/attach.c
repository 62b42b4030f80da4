/* attach: read a file once, bounded, and classify it by content, not by name. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "chat/attach.h"
#include "base/err.h"
#include "base/file.h"
#include "base/utf8.h"

static const char *
image_type(const unsigned char *p, size_t n)
{
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) return "image/png";
	if (n >= 3 && memcmp(p, "\xff\xd8\xff", 3) == 0) return "image/jpeg";
	if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
		return "image/gif";
	if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
		return "image/webp";
	return NULL;
}

static int
add_image(const char *name, const char *type, const struct buf *b, jv *images)
{
	size_t len = sodium_base64_ENCODED_LEN(b->len, sodium_base64_VARIANT_ORIGINAL);
	char *enc = malloc(len);

	if (!enc)
		return err_set(EX_SOFTWARE, "out of memory");
	sodium_bin2base64(enc, len, (unsigned char *)b->p, b->len, sodium_base64_VARIANT_ORIGINAL);
	*images = jv_array_append(*images, jv_object_set(jv_object_set(jv_object_set(jv_object(),
	    jv_string("media_type"), jv_string(type)), jv_string("data"), jv_string(enc)),
	    jv_string("name"), jv_string(name)));
	free(enc);
	return 0;
}

static int
add_text(const char *path, const char *name, const struct buf *b, struct buf *text)
{
	if (b->len > ATTACH_TEXT_MAX)
		return err_set(EX_DATAERR, "%s: %zu bytes of text is over the %u-byte cap",
		    path, b->len,
		    ATTACH_TEXT_MAX);
	if (!utf8_valid(b->p ? b->p : "", b->len) || (b->len && memchr(b->p, '\0', b->len)))
		return err_set(EX_DATAERR,
		    "%s: neither UTF-8 text nor a png, jpeg, gif or webp image", path);
	buf_printf(text, "\n\n--- %s ---\n", name);
	buf_add(text, b->p, b->len);
	if (b->len && b->p[b->len - 1] != '\n')
		buf_addc(text, '\n');
	buf_printf(text, "--- end of %s ---\n", name);
	return 0;
}

/* A data: URL (RFC 2397) in base64, as claw-gateway passes a client's image;
 * what it holds is classified as a file's bytes are. */
static int
load_data_url(const char *url, struct buf *text, jv *images)
{
	const char *comma = strchr(url, ','), *label = "data: URL";
	size_t n = comma ? strlen(comma + 1) : 0, len;
	struct buf b = BUF_INIT;
	const char *type;
	int rc;

	if (!comma || (size_t)(comma - url) < 7 || memcmp(comma - 7, ";base64", 7))
		return err_set(EX_DATAERR, "%s: want data:TYPE;base64,DATA", label);
	if (n / 4 * 3 > ATTACH_IMAGE_MAX + 3)
		return err_set(EX_DATAERR, "%s: over the %u-byte attachment cap", label,
		    ATTACH_IMAGE_MAX);
	if (buf_grow(&b, n / 4 * 3 + 3) < 0)
		return err_set(EX_SOFTWARE, "out of memory");
	if (sodium_base642bin((unsigned char *)b.p, b.cap, comma + 1, n, NULL, &len, NULL,
	    sodium_base64_VARIANT_ORIGINAL) < 0)
		rc = err_set(EX_DATAERR, "%s: not base64", label);
	else if ((b.len = len) > ATTACH_IMAGE_MAX)
		rc = err_set(EX_DATAERR, "%s: over the %u-byte attachment cap", label,
		    ATTACH_IMAGE_MAX);
	else
		rc = (type = image_type((unsigned char *)b.p, b.len))
		    ? add_image("image", type, &b, images) : add_text(label, "data", &b, text);
	buf_free(&b);
	return rc;
}

int
attach_load(const char *path, struct buf *text, jv *images)
{
	struct buf b = BUF_INIT;
	const char *type, *name = strrchr(path, '/');
	struct stat st;
	int fd, rc;

	if (strncmp(path, "data:", 5) == 0)
		return load_data_url(path, text, images);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return err_set(EX_NOINPUT, "%s:", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		rc = err_set(EX_NOINPUT, "%s: not a regular file", path);
	else if ((rc = file_read_fd(fd, path, ATTACH_IMAGE_MAX, &b)) == EX_DATAERR)
		err_set(rc, "%s: over the %u-byte attachment cap", path, ATTACH_IMAGE_MAX);
	close(fd);
	name = name ? name + 1 : path;
	if (!rc)
		rc = (type = image_type((unsigned char *)b.p, b.len))
		    ? add_image(name, type, &b, images)
		    : add_text(path, name, &b, text);
	buf_free(&b);
	return rc;
}
