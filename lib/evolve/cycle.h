/* cycle: one evolution cycle — lock, finish what a dead cycle left, assess, draw,
 * choose a gene, ask the model, check, validate in a scratch copy, swap, record. */
#ifndef CLAW_CYCLE_H
#define CLAW_CYCLE_H
#include <stdint.h>
#include <sqlite3.h>

#include "base/buf.h"

struct cycle_opts {
	int dry_run;
	int json;
	const char *strategy;     /* NULL or "auto": drawn */
	int seeded;
	uint64_t seed;
};

/* Run one cycle; what it says (events, one per line) goes to out.  0 when it ended
 * well (nothing to do, applied); EX_TEMPFAIL when another cycle holds the lock;
 * EX_DATAERR when the proposal was refused; EX_NORESULT when it failed validation;
 * the model's exit code when it could not be asked.  err set on failure. */
int cycle_run(sqlite3 *db, const struct cycle_opts *o, struct buf *out);

/* The system prompt every cycle sends: the proposal format and its rules. */
extern const char cycle_system[];
#endif
