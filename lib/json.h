/* json: a strict RFC 8259 syntax check that allocates nothing.  Text is checked
 * before libjq parses it: jq 1.6 leaks on some syntax errors and echoes the whole
 * input in its messages. */
#ifndef CLAW_JSON_H
#define CLAW_JSON_H
#include <stddef.h>

#define JSON_MAXDEPTH 512

/* 1 when p[0..n) is exactly one JSON value (whitespace around it allowed);
 * else 0 with a short reason naming the byte offset in why. */
int json_valid(const char *p, size_t n, char *why, size_t whylen);
#endif
