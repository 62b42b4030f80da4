/* requests: claw-chat --requests — NDJSON requests from a stream, each one turn, run
 * by up to N workers, each with its own store connection and HTTP handle. */
#ifndef CLAW_REQUESTS_H
#define CLAW_REQUESTS_H
#include <stdio.h>
#include <jv.h>
#include <sqlite3.h>

/* One request's turn: req is an object, or invalid with why line lineno is bad
 * (borrowed).  db and http are the worker's; NULL with failed set (an exit code,
 * err saying why) when they could not be opened.  Returns the turn's exit code. */
typedef int requests_fn(sqlite3 *db, void *http, jv req, long lineno, int failed, void *ctx);

/* Read requests from in until EOF, or until *stop is set (the reader of the answers
 * went away), and run each with fn on one of par workers.  *jobs is the first
 * non-zero code a turn returned, or 0.  Returns 0, or an exit code with err set
 * when the requests could not be read. */
int requests_run(FILE *in, int par, requests_fn *fn, void *ctx, const volatile int *stop,
    int *jobs);
#endif
