/* utf8: validation, and the length of a complete prefix for text cut anywhere. */
#ifndef CLAW_UTF8_H
#define CLAW_UTF8_H
#include <stddef.h>

int utf8_valid(const char *s, size_t n);        /* 1 when s[0..n) is well-formed UTF-8 */
/* The length of the well-formed character at s[0..n), 0 when none starts there. */
size_t utf8_char(const char *s, size_t n);
size_t utf8_complete(const char *s, size_t n);  /* bytes up to the last whole character */
#endif
