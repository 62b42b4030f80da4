/* line: reading lines of bounded length (the NDJSON reader and anything else
 * that takes one record per line). */
#ifndef CLAW_LINE_H
#define CLAW_LINE_H
#include <stdio.h>

/* One input line, without its newline: 1 (got one), 0 (EOF) or -1 (read error).
 * An over-long line is drained and reported with *toolong set. */
int line_read(FILE *in, size_t maxline, char **line, size_t *len, size_t *cap, int *toolong);
/* The next item of a newline-separated list at *p into item (cut to n bytes),
 * advancing *p: 1, or 0 at the end of the list. */
int line_next(const char **p, char *item, size_t n);
#endif
