/* status: what claw is doing, read from the store, the pidfiles and /proc alone —
 * no network, no model call — as text for a person or one JSON object. */
#ifndef CLAW_STATUS_H
#define CLAW_STATUS_H
#include <sqlite3.h>

#include "base/buf.h"

/* The status into text and json (one line, {"type":"status",...}): 0, or an exit
 * code with err set when the store cannot be read.  Opens the store itself only
 * when one exists (status never creates it). */
int status_report(struct buf *text, struct buf *json);
/* The status verb whole, for claw-monitor status and for claw status, which serves
 * it in its own process (an exec less: half of what it cost): argv[0] is the verb,
 * then [--json] or --help; the report on stdout, usage on a bad argument.  Returns
 * the exit code. */
int status_main(int argc, char **argv, const char *usage);

/* What status shows from the store, as one read transaction saw it at at (ms). */
struct status_hour {
	long long hour, turns, in, out, cached;      /* token_hours, from the week's start */
};
struct status_peer {
	char *name;              /* NULL: the row has none */
	int health;              /* 1, 0, or -1: not said */
	int seen;                /* last_seen is said */
	long long last_seen;
};
struct status_fault {
	char *program, *kind;
	long long count;
};
struct status_facts {
	int token, tokened;      /* the store's token, when it could be read */
	int partial;             /* a read failed: shown, never copied (not in it) */
	long long at;
	long long until;         /* when an event a last-hour figure counts leaves it */
	long long schema, sessions, last_turn;       /* sessions: -1 when unreadable */
	char *last_session;
	struct status_hour *hour;
	size_t nhour;
	long long req[2], errs[2];   /* the gateway's and the node's last hour; -1: not
	                              * counted, as it was not running */
	int peers;               /* claw-node's table is there */
	struct status_peer *peer;
	size_t npeer;
	int cycles;              /* claw-evolve's table is there */
	long long started;       /* the last cycle's start; 0: none yet */
	char *outcome;
	int faults;              /* the last hour's failures were counted */
	struct status_fault *fault;
	size_t nfault;
};
/* The body of $CLAW_HOME/claw.db-status: state (store_copy_state) and the facts,
 * appended to b.  _parse reads one back (body[len] readable): 0 with *state and *f
 * (free both), or -1 when it is not exactly what _write writes. */
void status_facts_write(struct buf *b, const char *state, const struct status_facts *f);
int status_facts_parse(const char *body, size_t len, char **state, struct status_facts *f);
void status_facts_free(struct status_facts *f);

/* 1 when the store has table name (another program's, set up or not), else 0. */
int status_has_table(sqlite3 *db, const char *name);
/* 1 when table has column col. */
int status_has_column(sqlite3 *db, const char *table, const char *col);
/* Where provider prov's API key is ("store" or "env"), NULL when it has none;
 * *local when its base URL is on this machine (no key needed).  Never the key. */
const char *status_key_source(sqlite3 *db, const char *prov, int *local);
/* A running daemon's resident memory in kB from /proc, or -1. */
long long status_rss_kb(long pid);
#endif
