/* buf: a growable byte buffer, always NUL-terminated.  Allocation failure
 * is sticky (b->oom): append freely, check once at the end. */
#ifndef CLAW_BUF_H
#define CLAW_BUF_H
#include <stddef.h>

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

#define BUF_INIT {0}

int buf_grow(struct buf *b, size_t extra);   /* 0, or -1 (and b->oom) */
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal, always valid UTF-8: a byte that starts no well-formed
 * character becomes U+FFFD. */
void buf_add_json_str(struct buf *b, const char *s, size_t n);
void buf_add_json_lines(struct buf *b, const char *lines);       /* "a\nb" as ["a","b"] */
/* s, n bytes, as a netstring ("LEN:s,": https://cr.yp.to/proto/netstrings.txt). */
void buf_add_netstring(struct buf *b, const char *s, size_t n);
/* The netstring at *p, before end: 0 with its bytes at *s, *n of them, and *p past
 * it; -1 when there is none (a length with a leading zero, or one past end). */
int netstring_next(const char **p, const char *end, const char **s, size_t *n);
void buf_consume(struct buf *b, size_t n);   /* drop the first n bytes */
void buf_reset(struct buf *b);
char *buf_steal(struct buf *b);              /* the string (never NULL unless oom), b emptied */
void buf_free(struct buf *b);
#endif
