/* jpath: reading the services' JSON (updates, webhook bodies, API answers) by a
 * dotted path of members, without libjq: base/json.h applied member by member. */
#ifndef CLAW_CHAN_JPATH_H
#define CLAW_CHAN_JPATH_H
#include <stddef.h>

#include "base/buf.h"

/* The value at path ("message.chat.id") in valid JSON object text p[0..n): 1 with
 * *v, *vn set, or 0 when a member on the way is missing or not an object. */
int jp_get(const char *p, size_t n, const char *path, const char **v, size_t *vn);
/* The value at path as text appended to out: a string decoded, a number or a
 * literal as written.  1, or 0 when absent, null, an object or an array. */
int jp_text(const char *p, size_t n, const char *path, struct buf *out);
/* The same into dst (cut to dstlen - 1 bytes): 1 or 0 (dst ""). */
int jp_str(const char *p, size_t n, const char *path, char *dst, size_t dstlen);
/* An integer at path (a number, or a string of digits as WhatsApp sends): 1 or 0. */
int jp_int(const char *p, size_t n, const char *path, long long *out);
#endif
