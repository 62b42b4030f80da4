/* pair: one-time codes an unknown sender gets, which the owner approves or denies
 * (claw channel pair): 8 characters without look-alikes, an hour each, at most
 * PAIR_PENDING pending per channel. */
#ifndef CLAW_CHAN_PAIR_H
#define CLAW_CHAN_PAIR_H
#include <sqlite3.h>

#define PAIR_PENDING 3
#define PAIR_TTL_MS (3600LL * 1000)
#define PAIR_ALPHABET "ABCDEFGHJKMNPQRSTUVWXYZ23456789"   /* no 0 O 1 I L */
#define PAIR_LEN 8

/* The pending code of sender on channel, made now when it has none: 0 with code
 * set (*fresh when new), EX_TEMPFAIL when PAIR_PENDING others wait.  Its own
 * transaction. */
int pair_code(sqlite3 *db, const char *channel, const char *sender, const char *peer,
    const char *name, char code[PAIR_LEN + 1], int *fresh);
/* Approve or deny a pending code (any case; spaces and dashes ignored): the sender
 * becomes allowed or denied and the code goes.  0 with peer (the chat to tell) set,
 * EX_NOINPUT when no such code is pending (or it expired). */
int pair_decide(sqlite3 *db, const char *channel, const char *code, int approve,
    char *peer, size_t pn);

struct pair_row {
	const char *channel, *code, *sender, *peer, *name;
	long long created, expires;
};
typedef int pair_fn(const struct pair_row *r, void *ctx);
/* The pending, unexpired codes (of channel, or all when NULL), oldest first. */
int pair_each(sqlite3 *db, const char *channel, pair_fn *fn, void *ctx);
#endif
