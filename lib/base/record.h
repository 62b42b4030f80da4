/* record: the jq-free NDJSON record reader every program shares — a line at a time,
 * length-capped, each line checked alone (UTF-8, no NUL, one JSON object) and
 * numbered — and the one writer of the `error` event. */
#ifndef CLAW_RECORD_H
#define CLAW_RECORD_H
#include <stddef.h>
#include <stdio.h>

#include "base/buf.h"

#define RECORD_MAXLINE (4u << 20)   /* 4 MiB: the documented line cap */

enum { RECORD_OK, RECORD_BLANK, RECORD_BAD };

/* Check one line (without its newline; a trailing CR is dropped from *len):
 * RECORD_OK for one JSON object, RECORD_BLANK for a line of spaces, tabs or CRs
 * only (blank lines separate nothing and are skipped), else RECORD_BAD with a
 * short reason in why ("invalid UTF-8", "not a JSON object", ...). */
int record_check(const char *line, size_t *len, char *why, size_t whylen);

/* fn gets each line that is not blank: an object as rec[0..len) with why NULL,
 * or rec NULL and why saying what is wrong with it.  A non-zero return stops. */
typedef int record_fn(const char *rec, size_t len, long lineno, const char *why, void *ctx);
/* Read in to the end: 0, fn's non-zero return, or EX_IOERR (err set). */
int record_each(FILE *in, size_t maxline, record_fn *fn, void *ctx);

/* The same over bytes already in memory (a child's whole output): each line,
 * the last one with or without its newline.  Returns what record_each does. */
int record_each_mem(const char *p, size_t n, size_t maxline, record_fn *fn, void *ctx);

/* Bytes that arrive in pieces (a child's pipe) are appended to b; then
 *	size_t off = 0;
 *	while (record_take(b, &off, max, &rec, &len, &why) > 0) use(rec, len, why);
 *	buf_consume(b, off);
 * takes each complete line, as record_fn gets them (blank lines skipped).  rec
 * points into b and is not NUL-terminated.  -1 when an unfinished line is
 * already longer than maxline: the stream cannot go on. */
int record_take(struct buf *b, size_t *off, size_t maxline, const char **rec, size_t *len,
    const char **why);

/* {"type":"error","code":N,"line":L,"message":"…"} with no newline; line left
 * out when lineno <= 0.  The one writer of the error event. */
void record_error(struct buf *b, int code, long lineno, const char *message);
#endif
