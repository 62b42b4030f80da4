/* split: an answer longer than a service's message limit cut into parts at a
 * paragraph, line, sentence or word boundary, never inside a UTF-8 character. */
#ifndef CLAW_CHAN_SPLIT_H
#define CLAW_CHAN_SPLIT_H
#include <stddef.h>

/* Units a text counts for: UTF-16 code units, as Telegram counts entity offsets and
 * (to be safe, REFERENCE.md §1) its 4096 limit; a character is 1 or 2. */
size_t split_units(const char *s, size_t n);
/* The length in bytes of the first part of s[0..n) holding at most max units (max
 * >= 2), cut at the best boundary in its second half; n when all of it fits.
 * *skip is how many bytes of blank space after the cut the next part drops. */
size_t split_next(const char *s, size_t n, size_t max, size_t *skip);
#endif
