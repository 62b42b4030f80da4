/* peer: the pinned peers in the store (name, address, key, weight, allowlist,
 * health) and the one-time pairing invites. */
#ifndef CLAW_NODE_PEER_H
#define CLAW_NODE_PEER_H
#include <sqlite3.h>

#include "node/wire.h"

#define PEER_NAMEMAX 64
#define PEER_MAXPEERS 256
#define INVITE_ATTEMPTS 5       /* failed pairing attempts that burn every live invite */

/* What a peer may run when `claw-node allow` never said: each entry a prefix of
 * the argument vector, words separated by one space. */
#define PEER_ALLOW_DEFAULT \
	"claw-chat --requests\nclaw-skill run\nclaw-skill list\nclaw-monitor status --json"

struct peer {
	char name[PEER_NAMEMAX];
	char host[256];
	unsigned char key[32];
	int has_key, weight, healthy, fails, jobs, rtt_ms;
	long long down_until, last_seen;       /* clock_wall_ms(); 0: never */
	double load;                           /* -1: never reported */
	char allow[1024];                      /* "" when the default applies */
	char error[160];
};

struct peers {
	struct peer *v;
	int n;
};

int peer_name_ok(const char *name);
/* add: EX_DATAERR when the name is taken (or the key is another peer's). */
int peer_add(sqlite3 *db, const char *name, const char *host, const unsigned char *key,
    int weight);
int peer_remove(sqlite3 *db, const char *name);          /* EX_NORESULT: none such */
/* Pin key for name (created when new, host set when given): what pairing does. */
int peer_pin(sqlite3 *db, const char *name, const char *host, const unsigned char key[32]);
int peer_allow(sqlite3 *db, const char *name, const char *list);   /* NULL: the default */
int peer_get(sqlite3 *db, const char *name, struct peer *p);       /* EX_NORESULT */
int peer_by_key(sqlite3 *db, const unsigned char key[32], struct peer *p);  /* EX_NORESULT */
int peer_list(sqlite3 *db, struct peers *ps);             /* sorted by name */
void peers_free(struct peers *ps);
/* After a session: ok refreshes last_seen and the reported load, jobs and rtt
 * (< 0: not known) and clears the backoff; not ok counts a failure and backs off
 * 1 s, 2 s, 4 s ... up to 5 min. */
int peer_health(sqlite3 *db, const char *name, int ok, int rtt_ms, double load, int jobs,
    const char *error);
/* Does argv start with one of the allowlist's entries? */
int peer_allowed(const struct peer *p, char *const argv[]);

/* Invites: store a new one (its code's keys) for ttl seconds. */
int invite_add(sqlite3 *db, const struct node_invite *inv, long long ttl_s);
/* The live invite with this id: 0, or EX_NOPERM with why (unknown, expired, used,
 * burnt by failed attempts); a miss counts as a failed attempt. */
int invite_take(sqlite3 *db, const unsigned char id[8], struct node_invite *inv, char *why,
    size_t n);
void invite_fail(sqlite3 *db);                  /* one more failed attempt */
int invite_used(sqlite3 *db, const unsigned char id[8]);
#endif
