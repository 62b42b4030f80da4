/* attach: the files a result names, read once from the run's directory (bounded, no
 * link followed, nothing outside it) and handed on in base64. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "base/sniff.h"
#include "skill/attach.h"

static void
say(skillrun_fn *fn, void *ctx, const char *name, const char *why)
{
	struct buf b = BUF_INIT, m = BUF_INIT;

	buf_printf(&m, "attachment %s not returned: %s", name, why);
	buf_adds(&b, "{\"type\":\"log\",\"message\":");
	buf_add_json_str(&b, m.p ? m.p : "", m.len);
	buf_addc(&b, '}');
	if (!b.oom && !m.oom)
		fn(b.p, b.len, ctx);
	buf_free(&b);
	buf_free(&m);
}

/* One file as an attachment event; *total counts the bytes handed on so far. */
static void
one(const char *dir, const char *name, size_t *total, skillrun_fn *fn, void *ctx)
{
	struct buf data = BUF_INIT, ev = BUF_INIT;
	const char *type;
	struct stat st;
	char *enc;
	size_t len;
	int dfd, fd;

	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")
	    || strlen(name) > 255)
		return say(fn, ctx, name, "want a file name in the skill's working directory");
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return say(fn, ctx, name, "the working directory is gone");
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	close(dfd);
	if (fd < 0)
		return say(fn, ctx, name, "no such file (or a symbolic link)");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return say(fn, ctx, name, "not a regular file");
	}
	if ((size_t)st.st_size > SKILL_ATTACH_MAX || *total + (size_t)st.st_size
	    > SKILL_ATTACH_TOTAL) {
		close(fd);
		return say(fn, ctx, name, (size_t)st.st_size > SKILL_ATTACH_MAX
		    ? "over the 5 MiB cap of one attachment" : "over the 8 MiB cap of a result's");
	}
	if (file_read_fd(fd, name, SKILL_ATTACH_MAX, &data)) {
		close(fd);
		return say(fn, ctx, name, err_msg());
	}
	close(fd);
	*total += data.len;
	type = sniff_type(data.p, data.len);
	len = sodium_base64_ENCODED_LEN(data.len, sodium_base64_VARIANT_ORIGINAL);
	if (!(enc = malloc(len))) {
		buf_free(&data);
		return say(fn, ctx, name, "out of memory");
	}
	sodium_bin2base64(enc, len, (unsigned char *)(data.p ? data.p : ""), data.len,
	    sodium_base64_VARIANT_ORIGINAL);
	buf_adds(&ev, "{\"type\":\"attachment\",\"path\":");
	buf_add_json_str(&ev, name, strlen(name));
	buf_printf(&ev, ",\"media_type\":\"%s\",\"bytes\":%zu,\"data\":\"",
	    type ? type : "application/octet-stream", data.len);
	buf_adds(&ev, enc);
	buf_adds(&ev, "\"}");
	if (!ev.oom)
		fn(ev.p, ev.len, ctx);
	else
		say(fn, ctx, name, "out of memory");
	free(enc);
	buf_free(&ev);
	buf_free(&data);
}

void
skill_attach_events(const char *result, size_t n, const char *dir, skillrun_fn *fn, void *ctx)
{
	const char *arr, *v;
	size_t an, vn, off = 0, total = 0;
	int count = 0;

	if (!dir || !*dir || !json_member(result, n, "attachments", &arr, &an) || *arr != '[')
		return;
	while (json_array_next(arr, an, &off, &v, &vn)) {
		struct buf name = BUF_INIT;
		if (*v != '{' || json_member_text(v, vn, "path", &name) != 1 || !name.p)
			say(fn, ctx, "?", "want {\"path\": NAME}");
		else if (++count > SKILL_ATTACH_COUNT)
			say(fn, ctx, name.p, "more than 8 attachments");
		else
			one(dir, name.p, &total, fn, ctx);
		buf_free(&name);
	}
}
