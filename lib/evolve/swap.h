/* swap: where a cycle keeps its copies ($CLAW_HOME/evolve/ID/new/NAME, the scratch;
 * .../old/NAME, the version it replaced), the atomic exchange into
 * $CLAW_HOME/skills/NAME, and the cleanup after a cycle that died. */
#ifndef CLAW_SWAP_H
#define CLAW_SWAP_H
#include <stddef.h>
#include <sqlite3.h>

/* $CLAW_HOME/evolve/ID[/which[/name]] into dst: 0 or EX_CANTCREAT. */
int swap_path(char *dst, size_t n, long long id, const char *which, const char *name);
/* $CLAW_HOME/skills/name into dst. */
int swap_skill_path(char *dst, size_t n, const char *name);
/* Put the scratch of cycle id in place of skills/NAME in one rename (an exchange
 * when there is one there, the old version then moved to old/): 0 or exit code.
 * *exchanged says which. */
int swap_in(long long id, const char *name, int *exchanged);
/* Undo an applied cycle: old/NAME back (exchanged, what it replaced moved to
 * rolled/), or skills/NAME moved to rolled/ when it had no old version. */
int swap_back(long long id, const char *name);
/* Finish what dead cycles left (rows still "running"): each ends exactly old
 * (the scratch removed, "interrupted") or exactly new ("applied"), decided by
 * the hash of the validated scratch.  0 or exit code; *n how many. */
int swap_recover(sqlite3 *db, int *n);
/* Forget what the store holds about a scratch copy: its index rows and grants. */
void swap_forget(sqlite3 *db, long long id);
/* A fault-injection point for the crash tests: when CLAW_EVOLVE_CRASH names step,
 * the process kills itself with SIGKILL there (what kill -9 would do). */
void swap_crash(const char *step);
#endif
