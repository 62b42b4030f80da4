/* json: a strict RFC 8259 syntax check that allocates nothing.  Text is checked
 * before libjq parses it: jq 1.6 leaks on some syntax errors and echoes the whole
 * input in its messages. */
#ifndef CLAW_JSON_H
#define CLAW_JSON_H
#include <stddef.h>

#include "base/buf.h"

#define JSON_MAXDEPTH 512

/* 1 when p[0..n) is exactly one JSON value (whitespace around it allowed);
 * else 0 with a short reason naming the byte offset in why. */
int json_valid(const char *p, size_t n, char *why, size_t whylen);

/* In a valid JSON object text, the value of its top-level member key: 1 with
 * *v, *vn set to the value's bytes, or 0 when there is no such member.  For
 * programs that pass JSON through without linking libjq. */
int json_member(const char *p, size_t n, const char *key, const char **v, size_t *vn);
/* In a valid JSON array text, the element after offset *off (start with *off = 0):
 * 1 with *v, *vn set to its bytes and *off moved past it, or 0 after the last. */
int json_array_next(const char *p, size_t n, size_t *off, const char **v, size_t *vn);
/* Append valid JSON text v to out without the whitespace between tokens: one line. */
void json_compact(const char *v, size_t vn, struct buf *out);
/* Decode a JSON string literal (quotes included) into out: 1, or 0 when it is not one. */
int json_str_decode(const char *v, size_t vn, struct buf *out);
/* The same value when it is a string without escapes, copied into dst: 1, or 0. */
int json_member_str(const char *p, size_t n, const char *key, char *dst, size_t dstlen);
/* A string member, escapes and all, decoded and appended to out: 1, 0 when it
 * is absent or null, -1 when it is not a string. */
int json_member_text(const char *p, size_t n, const char *key, struct buf *out);
#endif
