/* jpath: dotted member paths over base/json.c's member lookup; every value is
 * checked for its kind before it is used, since the text comes from outside. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "channel/jpath.h"

int
jp_get(const char *p, size_t n, const char *path, const char **v, size_t *vn)
{
	char key[64];
	const char *dot;

	for (;;) {
		size_t kl;
		dot = strchr(path, '.');
		kl = dot ? (size_t)(dot - path) : strlen(path);
		if (kl == 0 || kl >= sizeof key)
			return 0;
		memcpy(key, path, kl);
		key[kl] = '\0';
		if (!json_member(p, n, key, v, vn))
			return 0;
		if (!dot)
			return 1;
		p = *v;
		n = *vn;
		if (!n || *p != '{')
			return 0;
		path = dot + 1;
	}
}

int
jp_text(const char *p, size_t n, const char *path, struct buf *out)
{
	const char *v;
	size_t vn;

	if (!jp_get(p, n, path, &v, &vn) || !vn || *v == '{' || *v == '[')
		return 0;
	if (*v == '"')
		return json_str_decode(v, vn, out);
	if (vn == 4 && memcmp(v, "null", 4) == 0)
		return 0;
	buf_add(out, v, vn);
	return 1;
}

int
jp_str(const char *p, size_t n, const char *path, char *dst, size_t dstlen)
{
	struct buf b = BUF_INIT;
	int ok = jp_text(p, n, path, &b) && !b.oom;

	dst[0] = '\0';
	if (ok && dstlen) {
		size_t l = b.len < dstlen - 1 ? b.len : dstlen - 1;
		if (l)                        /* "" has no buffer at all */
			memcpy(dst, b.p, l);
		dst[l] = '\0';
		ok = strlen(dst) == l;        /* a NUL inside is not a name */
	}
	buf_free(&b);
	return ok;
}

int
jp_int(const char *p, size_t n, const char *path, long long *out)
{
	char s[32], *end;
	long long x;

	if (!jp_str(p, n, path, s, sizeof s) || !s[0])
		return 0;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || *end)
		return 0;
	*out = x;
	return 1;
}
