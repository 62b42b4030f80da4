/* peer: the peers and invites tables (migration "node"); every write is one
 * short BEGIN IMMEDIATE transaction or a single statement. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "node/peer.h"
#include "store/store.h"

#define COLS "name, host, key, weight, allow, healthy, fails, down_until, last_seen," \
	" load, jobs, rtt_ms, last_error"
#define BACKOFF_MAX_MS (5 * 60 * 1000LL)

int
peer_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n < PEER_NAMEMAX && name[0] != '-' && name[0] != '.'
	    && strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
	    == n;
}

static void
copy_text(char *dst, size_t n, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(dst, n, "%s", t ? (const char *)t : "");
}

static void
row(sqlite3_stmt *st, struct peer *p)
{
	memset(p, 0, sizeof *p);
	copy_text(p->name, sizeof p->name, st, 0);
	copy_text(p->host, sizeof p->host, st, 1);
	if (sqlite3_column_bytes(st, 2) == 32) {
		memcpy(p->key, sqlite3_column_blob(st, 2), 32);
		p->has_key = 1;
	}
	p->weight = sqlite3_column_int(st, 3);
	copy_text(p->allow, sizeof p->allow, st, 4);
	p->healthy = sqlite3_column_int(st, 5);
	p->fails = sqlite3_column_int(st, 6);
	p->down_until = sqlite3_column_int64(st, 7);
	p->last_seen = sqlite3_column_int64(st, 8);
	p->load = sqlite3_column_type(st, 9) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 9);
	p->jobs = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 10);
	p->rtt_ms = sqlite3_column_type(st, 11) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 11);
	copy_text(p->error, sizeof p->error, st, 12);
}

/* Run one prepared statement to its end: 0, or the store's error; EX_DATAERR for a
 * uniqueness conflict, said as conflict. */
static int
step(sqlite3 *db, sqlite3_stmt *st, const char *conflict)
{
	int r = sqlite3_step(st);

	if (r == SQLITE_CONSTRAINT && conflict) {
		sqlite3_finalize(st);
		return err_set(EX_DATAERR, "%s", conflict);
	}
	r = store_step_done(db, r, "peers");
	sqlite3_finalize(st);
	return r;
}

int
peer_add(sqlite3 *db, const char *name, const char *host, const unsigned char *key, int weight)
{
	sqlite3_stmt *st;
	char why[160];
	int rc;

	if ((rc = store_prepare(db, &st, "INSERT INTO peers(name, host, key, weight, added)"
	    " VALUES (?, ?, ?, ?, ?)")))
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, host ? host : "", -1, SQLITE_STATIC);
	if (key)
		sqlite3_bind_blob(st, 3, key, 32, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, weight);
	sqlite3_bind_int64(st, 5, clock_wall_ms());
	snprintf(why, sizeof why, "%s: a peer of that name (or with that key) exists: "
	    "claw-node remove it first", name);
	return step(db, st, why);
}

int
peer_remove(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(db, &st, "DELETE FROM peers WHERE name = ?")))
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = step(db, st, NULL)))
		return rc;
	return sqlite3_changes(db) ? 0 : err_set(EX_NORESULT, "%s: no such peer", name);
}

int
peer_pin(sqlite3 *db, const char *name, const char *host, const unsigned char key[32])
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_begin_write(db)))
		return rc;
	/* a key pinned under another name moves to this one: one key, one peer */
	if (!(rc = store_prepare(db, &st, "DELETE FROM peers WHERE key = ? AND name <> ?"))) {
		sqlite3_bind_blob(st, 1, key, 32, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		rc = step(db, st, NULL);
	}
	if (!rc && !(rc = store_prepare(db, &st, "INSERT INTO peers(name, host, key, added)"
	    " VALUES (?1, COALESCE(?2, ''), ?3, ?4) ON CONFLICT(name) DO UPDATE SET"
	    " key = ?3, host = COALESCE(NULLIF(?2, ''), host), healthy = 1, fails = 0,"
	    " down_until = 0"))) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (host)
			sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, key, 32, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, clock_wall_ms());
		rc = step(db, st, NULL);
	}
	return store_end(db, rc);
}

int
peer_allow(sqlite3 *db, const char *name, const char *list)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(db, &st, "UPDATE peers SET allow = ? WHERE name = ?")))
		return rc;
	if (list)
		sqlite3_bind_text(st, 1, list, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if ((rc = step(db, st, NULL)))
		return rc;
	return sqlite3_changes(db) ? 0 : err_set(EX_NORESULT, "%s: no such peer", name);
}

static int
get_one(sqlite3 *db, const char *sql, const char *name, const unsigned char *key, struct peer *p)
{
	sqlite3_stmt *st;
	int rc, r;

	if ((rc = store_prepare(db, &st, sql)))
		return rc;
	if (name)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_blob(st, 1, key, 32, SQLITE_STATIC);
	if ((r = sqlite3_step(st)) == SQLITE_ROW)
		row(st, p);
	rc = store_step_done(db, r, "peers");
	sqlite3_finalize(st);
	if (rc)
		return rc;
	if (r != SQLITE_ROW)
		return name ? err_set(EX_NORESULT, "%s: no such peer (claw-node list shows them)",
		    name) : err_set(EX_NORESULT, "no peer has that key");
	return 0;
}

int
peer_get(sqlite3 *db, const char *name, struct peer *p)
{
	return get_one(db, "SELECT " COLS " FROM peers WHERE name = ?", name, NULL, p);
}

int
peer_by_key(sqlite3 *db, const unsigned char key[32], struct peer *p)
{
	return get_one(db, "SELECT " COLS " FROM peers WHERE key = ?", NULL, key, p);
}

int
peer_list(sqlite3 *db, struct peers *ps)
{
	sqlite3_stmt *st;
	int rc, r;

	ps->v = NULL;
	ps->n = 0;
	if ((rc = store_prepare(db, &st, "SELECT " COLS " FROM peers ORDER BY name LIMIT 256")))
		return rc;
	if (!(ps->v = calloc(PEER_MAXPEERS, sizeof *ps->v))) {
		sqlite3_finalize(st);
		return err_set(EX_SOFTWARE, "out of memory");
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		row(st, &ps->v[ps->n++]);
	rc = store_step_done(db, r, "peers");
	sqlite3_finalize(st);
	return rc;
}

void
peers_free(struct peers *ps)
{
	free(ps->v);
	ps->v = NULL;
	ps->n = 0;
}

int
peer_health(sqlite3 *db, const char *name, int ok, int rtt_ms, double load, int jobs,
    const char *error)
{
	sqlite3_stmt *st;
	long long now = clock_wall_ms();
	int rc;

	if (ok)
		rc = store_prepare(db, &st, "UPDATE peers SET healthy = 1, fails = 0,"
		    " down_until = 0, last_seen = ?2, last_error = NULL,"
		    " rtt_ms = COALESCE(?3, rtt_ms), load = COALESCE(?4, load),"
		    " jobs = COALESCE(?5, jobs) WHERE name = ?1");
	else
		/* 1 s doubling per consecutive failure, at most 5 min */
		rc = store_prepare(db, &st, "UPDATE peers SET healthy = 0, fails = fails + 1,"
		    " down_until = ?2 + min(1000 << min(fails, 20), 300000), last_error = ?6"
		    " WHERE name = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	if (ok && rtt_ms >= 0)
		sqlite3_bind_int(st, 3, rtt_ms);
	if (ok && load >= 0)
		sqlite3_bind_double(st, 4, load);
	if (ok && jobs >= 0)
		sqlite3_bind_int(st, 5, jobs);
	if (!ok)
		sqlite3_bind_text(st, 6, error ? error : "failed", -1, SQLITE_STATIC);
	(void)BACKOFF_MAX_MS;
	return step(db, st, NULL);
}

/* Does argv start with the words of entry (one space between words)? */
static int
prefix_of(const char *entry, size_t n, char *const argv[])
{
	size_t i = 0;
	int k = 0;

	while (i < n) {
		size_t w = 0;
		while (i + w < n && entry[i + w] != ' ')
			w++;
		if (!argv[k] || strlen(argv[k]) != w || memcmp(argv[k], entry + i, w))
			return 0;
		k++;
		i += w + 1;
	}
	return k > 0;
}

int
peer_allowed(const struct peer *p, char *const argv[])
{
	const char *list = p->allow[0] ? p->allow : PEER_ALLOW_DEFAULT, *s = list;

	while (*s) {
		size_t n = strcspn(s, "\n");
		if (n && prefix_of(s, n, argv))
			return 1;
		s += n + (s[n] == '\n');
	}
	return 0;
}

/* --- invites --- */

int
invite_add(sqlite3 *db, const struct node_invite *inv, long long ttl_s)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(db, &st, "INSERT INTO invites(id, key, expires) VALUES (?, ?, ?)")))
		return rc;
	sqlite3_bind_blob(st, 1, inv->id, 8, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, inv->key, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, clock_wall_ms() + ttl_s * 1000);
	return step(db, st, "invite: code collision, try again");
}

void
invite_fail(sqlite3 *db)
{
	sqlite3_stmt *st;

	if (store_prepare(db, &st, "UPDATE invites SET attempts = attempts + 1"
	    " WHERE used = 0 AND expires > ?") == 0) {
		sqlite3_bind_int64(st, 1, clock_wall_ms());
		step(db, st, NULL);
	}
}

int
invite_take(sqlite3 *db, const unsigned char id[8], struct node_invite *inv, char *why, size_t n)
{
	sqlite3_stmt *st;
	int rc, r;
	long long expires = 0, attempts = 0, used = 0;

	if ((rc = store_prepare(db, &st, "SELECT key, expires, attempts, used FROM invites"
	    " WHERE id = ?")))
		return rc;
	sqlite3_bind_blob(st, 1, id, 8, SQLITE_STATIC);
	if ((r = sqlite3_step(st)) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
		memcpy(inv->id, id, 8);
		memcpy(inv->key, sqlite3_column_blob(st, 0), 32);
		expires = sqlite3_column_int64(st, 1);
		attempts = sqlite3_column_int64(st, 2);
		used = sqlite3_column_int64(st, 3);
	}
	rc = store_step_done(db, r, "invites");
	sqlite3_finalize(st);
	if (rc)
		return rc;
	if (r != SQLITE_ROW) {
		invite_fail(db);
		snprintf(why, n, "wrong code");
		return EX_NOPERM;
	}
	if (used)
		snprintf(why, n, "this code was already used");
	else if (expires <= clock_wall_ms())
		snprintf(why, n, "this code has expired");
	else if (attempts >= INVITE_ATTEMPTS)
		snprintf(why, n, "too many wrong codes were tried: make a new invite");
	else
		return 0;
	return EX_NOPERM;
}

int
invite_used(sqlite3 *db, const unsigned char id[8])
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(db, &st, "UPDATE invites SET used = 1 WHERE id = ? AND used = 0")))
		return rc;
	sqlite3_bind_blob(st, 1, id, 8, SQLITE_STATIC);
	if ((rc = step(db, st, NULL)))
		return rc;
	return sqlite3_changes(db) ? 0 : err_set(EX_NOPERM, "this code was already used");
}
