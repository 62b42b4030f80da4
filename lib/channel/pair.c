/* pair: codes drawn with libsodium's uniform generator from an alphabet people can
 * read aloud; expired ones are dropped whenever a code is made or looked up. */
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "channel/pair.h"
#include "channel/queue.h"
#include "store/store.h"

static int
expire(sqlite3 *db, long long now)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(db, &st, "DELETE FROM channel_pairing WHERE expires <= ?")))
		return rc;
	sqlite3_bind_int64(st, 1, now);
	rc = store_step_done(db, sqlite3_step(st), "channel_pairing");
	sqlite3_finalize(st);
	return rc;
}

static int
pending(sqlite3 *db, const char *channel, const char *sender, char *code, long long *n)
{
	sqlite3_stmt *st;
	int rc, step;

	*n = 0;
	code[0] = '\0';
	if ((rc = store_prepare(db, &st, "SELECT code, sender = ?2 FROM channel_pairing"
	    " WHERE channel = ?1")))
		return rc;
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		(*n)++;
		if (sqlite3_column_int(st, 1))
			snprintf(code, PAIR_LEN + 1, "%s",
			    (const char *)sqlite3_column_text(st, 0));
	}
	rc = store_step_done(db, step, "channel_pairing");
	sqlite3_finalize(st);
	return rc;
}

int
pair_code(sqlite3 *db, const char *channel, const char *sender, const char *peer,
    const char *name, char code[PAIR_LEN + 1], int *fresh)
{
	long long now = clock_wall_ms(), n;
	sqlite3_stmt *st;
	int rc, i;

	*fresh = 0;
	if (sodium_init() < 0)
		return err_set(EX_SOFTWARE, "libsodium: cannot start");
	if ((rc = store_begin_write(db)))
		return rc;
	if ((rc = expire(db, now)) || (rc = pending(db, channel, sender, code, &n)) || code[0])
		return store_end(db, rc);
	if (n >= PAIR_PENDING)
		return store_end(db, err_set(EX_TEMPFAIL, "%s: %d pairing codes already wait"
		    " (claw channel pair list)", channel, PAIR_PENDING));
	for (i = 0; i < PAIR_LEN; i++)
		code[i] = PAIR_ALPHABET[randombytes_uniform(sizeof PAIR_ALPHABET - 1)];
	code[PAIR_LEN] = '\0';
	if ((rc = store_prepare(db, &st, "INSERT INTO channel_pairing(channel, code, sender, peer,"
	    " name, created, expires) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)")))
		return store_end(db, rc);
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sender, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, peer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_int64(st, 7, now + PAIR_TTL_MS);
	rc = store_step_done(db, sqlite3_step(st), "channel_pairing");
	sqlite3_finalize(st);
	*fresh = rc == 0;
	return store_end(db, rc);
}

int
pair_decide(sqlite3 *db, const char *channel, const char *code, int approve, char *peer,
    size_t pn)
{
	char norm[PAIR_LEN + 1], sender[64] = "", name[96] = "";
	sqlite3_stmt *st;
	size_t k = 0;
	int rc, step;

	for (; *code; code++) {
		if (*code == '-' || *code == ' ')
			continue;
		if (k == PAIR_LEN)
			break;
		norm[k++] = (char)toupper((unsigned char)*code);
	}
	if (k != PAIR_LEN || *code)
		return err_set(EX_NOINPUT, "%s: not a pairing code (%d letters and digits)",
		    channel, PAIR_LEN);
	norm[PAIR_LEN] = '\0';
	if ((rc = store_begin_write(db)))
		return rc;
	if ((rc = expire(db, clock_wall_ms())) || (rc = store_prepare(db, &st,
	    "DELETE FROM channel_pairing WHERE channel = ? AND code = ?"
	    " RETURNING sender, peer, name")))
		return store_end(db, rc);
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, norm, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(sender, sizeof sender, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(peer, pn, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(st, 2));
		step = sqlite3_step(st);
	}
	rc = store_step_done(db, step, "channel_pairing");
	sqlite3_finalize(st);
	if (!rc && !sender[0])
		rc = err_set(EX_NOINPUT, "%s: no pending pairing code %s (claw channel pair list)",
		    channel, norm);
	if (!rc)
		rc = q_sender_set(db, channel, sender, name, approve ? "allowed" : "denied");
	return store_end(db, rc);
}

int
pair_each(sqlite3 *db, const char *channel, pair_fn *fn, void *ctx)
{
	sqlite3_stmt *st;
	int rc, step;

	if ((rc = store_prepare(db, &st, "SELECT channel, code, sender, peer, name, created,"
	    " expires"
	    " FROM channel_pairing WHERE (?1 IS NULL OR channel = ?1) AND expires > ?2"
	    " ORDER BY created")))
		return rc;
	if (channel)
		sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, clock_wall_ms());
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct pair_row r = {
			.channel = (const char *)sqlite3_column_text(st, 0),
			.code = (const char *)sqlite3_column_text(st, 1),
			.sender = (const char *)sqlite3_column_text(st, 2),
			.peer = (const char *)sqlite3_column_text(st, 3),
			.name = (const char *)sqlite3_column_text(st, 4),
			.created = sqlite3_column_int64(st, 5),
			.expires = sqlite3_column_int64(st, 6) };
		if ((rc = fn(&r, ctx))) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	rc = store_step_done(db, step, "channel_pairing");
	sqlite3_finalize(st);
	return rc;
}
