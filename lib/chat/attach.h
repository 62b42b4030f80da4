/* attach: files given with -a, or data: URLs.  Images (png, jpeg, gif, webp, known by their
 * first bytes) become base64 parts; UTF-8 text is inlined under its name. */
#ifndef CLAW_ATTACH_H
#define CLAW_ATTACH_H
#include <jv.h>

#include "base/buf.h"

#define ATTACH_IMAGE_MAX (5u << 20)     /* what Anthropic accepts per image */
#define ATTACH_TEXT_MAX  (512u << 10)

/* Add path (or a "data:TYPE;base64,…" URL: its bytes, not a file name) to
 * *images (an array of {media_type, data}) or to text.
 * 0, EX_NOINPUT (cannot read it) or EX_DATAERR (too big, or neither text nor image). */
int attach_load(const char *path, struct buf *text, jv *images);
#endif
