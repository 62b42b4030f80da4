/* run: one run of a skill — permissions checked against grants, then its
 * program started under claw-sandbox with {"args","context"} on stdin, and its
 * NDJSON events (or plain text, made a result) handed back line by line. */
#ifndef CLAW_SKILLRUN_H
#define CLAW_SKILLRUN_H
#include <stddef.h>
#include <stdio.h>
#include <sqlite3.h>

#include "base/buf.h"

#include "skill/index.h"

#define SKILLRUN_MAXOUT (1u << 20)
#define SKILLRUN_MAXERR (64u << 10)   /* bytes of a run's stderr passed on; the rest dropped */

/* Each event as one compact JSON line (without its newline). */
typedef void skillrun_fn(const char *line, size_t n, void *ctx);

struct skillrun_opts {
	const char *args;       /* a JSON object text */
	const char *config;     /* a JSON object text merged last into context.config, or NULL */
	const char *grants;     /* NULL (the stored grants), or the run's only grants, one per
				 * line, each covered by a stored one (else EX_NOPERM) */
};

/* The arguments of a run from words: one JSON object text as it is (EX_DATAERR when
 * it is not valid), or KEY=VALUE... as an object whose values keep their type when
 * they are JSON scalars or arrays (2, true, [1]) and are strings otherwise;
 * EX_USAGE for a word that is neither. */
int skillrun_args(int argc, char **argv, struct buf *b);

/* The skill's stderr is passed on to ours, at most SKILLRUN_MAXERR bytes and a line
 * saying so when cut.  A run is refused, and a run that leaves it so fails, when the
 * skill's data directory holds more than skills.data_max bytes (EX_DATAERR).
 * Returns 0; EX_NOPERM (a permission not granted),
 * EX_TEMPFAIL (out of time), EX_DATAERR (output over the cap), the skill's own
 * exit status when it is one of the shared codes, else EX_NORESULT; an error
 * event has been handed out for every failure. */
int skill_run(sqlite3 *db, const struct skill *k, const struct skillrun_opts *o, skillrun_fn *fn,
    void *ctx);

/* After each run of skill_run_each: its exit code and how long it took. */
typedef void skillrun_done_fn(const struct skill *k, int rc, long long ms, void *ctx);
/* Run k once per NDJSON request line of in, the line being the args object (o's
 * other fields kept); a line that is no object gets base/record's error event, with
 * its line number, through fn and counts as EX_DATAERR.  done (or NULL) hears of
 * every run.  0 when every line ran well, else the first failure's exit code;
 * EX_IOERR (err set) when in cannot be read. */
int skill_run_each(sqlite3 *db, const struct skill *k, const struct skillrun_opts *o, FILE *in,
    skillrun_fn *fn, void *ctx, skillrun_done_fn *done, void *dctx);
#endif
