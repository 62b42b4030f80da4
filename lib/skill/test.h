/* test: a skill's own tests — each tests/NAME.json case run through skill_run and
 * its outcome judged — for claw-skill test and for claw-evolve's scratch copies. */
#ifndef CLAW_SKILLTEST_H
#define CLAW_SKILLTEST_H
#include <sqlite3.h>

#include "skill/index.h"

#define SKILLTEST_MAXCASE (1u << 20)   /* bytes in one case file */

/* A case file is one JSON object:
 *	"args"		the arguments (default {})
 *	"config"	an object merged last into context.config
 *	"grants"	the run's only grants, ["net", "fs.read:/x"]: each must be
 *			covered by one the user granted, else the case is skipped
 *			(a case narrows the stored grants, never widens them)
 *	"error"		true when the run must fail (exit non-zero or an error event)
 *	"expect"	{"equals": S}, {"contains": S} or {"matches": ERE} against the
 *			result's text (the error's message when "error" is true: contains) */
struct skill_case {
	int n;                    /* 1, 2, ... in file-name order */
	const char *file;         /* the case's file name, "hello.json" */
	int pass;                 /* 1 for a skipped case too */
	char *skip;               /* skipped: the permission it needs that is not granted */
	const char *why;          /* failed: what was wanted, or why the case is unusable */
	const char *got;          /* failed: the run's text ("" for none); NULL when it never ran */
};
typedef void skill_case_fn(const struct skill_case *c, void *ctx);

/* Run every *.json case in dir (NULL: k->dir/tests) against skill k, in name
 * order, handing each outcome to fn; *passed and *failed count them.  0 when the
 * cases ran, whatever their outcome; EX_NOINPUT when dir cannot be read (err
 * set); EX_SOFTWARE out of memory. */
int skill_test_dir(sqlite3 *db, const struct skill *k, const char *dir, skill_case_fn *fn,
    void *ctx, int *passed, int *failed);
#endif
