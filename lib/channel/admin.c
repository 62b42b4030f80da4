/* admin: the people-facing verbs over the channel tables: one text line per row
 * on a terminal or a pipe, one JSON object per line with --json. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "channel/admin.h"
#include "channel/chan.h"
#include "channel/pair.h"
#include "channel/queue.h"
#include "store/config.h"
#include "store/secret.h"
#include "store/store.h"

static int
exec_args(sqlite3 *db, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(db, &st, sql)))
		return rc;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	rc = store_step_done(db, sqlite3_step(st), "channels");
	sqlite3_finalize(st);
	return rc;
}

static int
set_key(sqlite3 *db, const char *name, const char *key, const char *value)
{
	char k[128];

	snprintf(k, sizeof k, "channels.%s.%s", name, key);
	return config_set(db, k, value);
}

int
chan_add(sqlite3 *db, const char *kind, const char *token, const char *phone_id,
    const char *base_url, int check)
{
	struct chan c;
	int rc;

	if ((rc = store_begin_write(db)))
		return rc;
	rc = exec_args(db, "INSERT INTO channels(name, kind, created) VALUES(?1, ?1,"
	    " CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))"
	    " ON CONFLICT(name) DO NOTHING",
	    kind,
	    NULL);
	if ((rc = store_end(db, rc)))
		return rc;
	if ((token && (rc = set_key(db, kind, "token", token)))
	    || (phone_id && (rc = set_key(db, kind, "phone_number_id", phone_id)))
	    || (base_url && (rc = set_key(db, kind, "base_url", base_url))))
		return rc;
	if ((rc = chan_open(&c, db, kind, 1)) == 0 && check && (rc = c.conn->check(&c)) == 0
	    && (rc = store_begin_write(db)) == 0)
		rc = store_end(db, exec_args(db, "UPDATE channels SET bot = ?2 WHERE name = ?1",
		    kind, c.bot));
	if (!rc)
		printf("%s: added%s%s\n", kind, c.bot[0] ? " as " : "", c.bot);
	chan_close(&c);
	return rc;
}

int
chan_list(sqlite3 *db, int json, FILE *out)
{
	struct buf b = BUF_INIT;
	sqlite3_stmt *st;
	int rc, step;

	if ((rc = store_prepare(db, &st, "SELECT name, kind, bot, created FROM channels"
	    " ORDER BY name")))
		return rc;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(st, 0);
		const char *k = (const char *)sqlite3_column_text(st, 1);
		const char *bot = (const char *)sqlite3_column_text(st, 2);
		buf_reset(&b);
		if (json) {
			buf_adds(&b, "{\"type\":\"channel\",\"name\":");
			buf_add_json_str(&b, n, strlen(n));
			buf_adds(&b, ",\"kind\":");
			buf_add_json_str(&b, k, strlen(k));
			buf_adds(&b, ",\"bot\":");
			buf_add_json_str(&b, bot, strlen(bot));
			buf_printf(&b, ",\"created\":%lld}\n", sqlite3_column_int64(st, 3));
		} else
			buf_printf(&b, "%s\t%s\t%s\n", n, k, bot);
		fwrite(b.p, 1, b.len, out);
	}
	rc = store_step_done(db, step, "channels");
	sqlite3_finalize(st);
	buf_free(&b);
	return rc;
}

int
chan_remove(sqlite3 *db, const char *name)
{
	int rc;

	if ((rc = store_begin_write(db)))
		return rc;
	if ((rc = exec_args(db, "DELETE FROM channels WHERE name = ?", name, NULL)) == 0
	    && sqlite3_changes(db) == 0)
		rc = err_set(EX_NOINPUT, "%s: no such channel", name);
	if (!rc)
		rc = exec_args(db, "DELETE FROM config WHERE substr(key, 1, length(?1) + 10)"
		    " = 'channels.' || ?1 || '.'", name, NULL);
	if (!rc)
		rc = exec_args(db, "DELETE FROM channel_pairing WHERE channel = ?", name, NULL);
	if (!rc)
		rc = exec_args(db, "UPDATE channel_egress SET state = 'dead',"
		    " error = 'channel removed'"
		    " WHERE channel = ? AND state IN ('queued', 'sending')", name, NULL);
	if ((rc = store_end(db, rc)) == 0)
		printf("%s: removed\n", name);
	return rc;
}

/* "a":n pairs of one GROUP BY state count into b. */
static int
counts(sqlite3 *db, const char *sql, const char *name, struct buf *b, int json)
{
	sqlite3_stmt *st;
	int rc, step, first = 1;

	if ((rc = store_prepare(db, &st, sql)))
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		if (json)
			buf_printf(b, "%s\"%s\":%lld", first ? "" : ",", s,
			    sqlite3_column_int64(st, 1));
		else
			buf_printf(b, " %s=%lld", s, sqlite3_column_int64(st, 1));
		first = 0;
	}
	rc = store_step_done(db, step, "channel counts");
	sqlite3_finalize(st);
	return rc;
}

int
chan_status(sqlite3 *db, const char *name, int json, FILE *out)
{
	struct buf b = BUF_INIT;
	sqlite3_stmt *st;
	int rc, step, any = 0;

	if ((rc = store_prepare(db, &st, "SELECT name, kind, bot, cursor,"
	    " (SELECT count(*) FROM channel_pairing p WHERE p.channel = name AND expires > ?2),"
	    " (SELECT max(received) FROM channel_ingress i WHERE i.channel = name), error"
	    " FROM channels WHERE ?1 IS NULL OR name = ?1 ORDER BY name")))
		return rc;
	if (name)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, clock_wall_ms());
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(st, 0);
		buf_reset(&b);
		any = 1;
		if (json) {
			buf_adds(&b, "{\"type\":\"channel\",\"name\":");
			buf_add_json_str(&b, n, strlen(n));
			buf_printf(&b, ",\"kind\":\"%s\",\"bot\":", sqlite3_column_text(st, 1));
			buf_add_json_str(&b, (const char *)sqlite3_column_text(st, 2),
			    (size_t)sqlite3_column_bytes(st, 2));
			buf_printf(&b, ",\"cursor\":\"%s\",\"pairing\":%lld,\"last_received\":%lld,"
			    "\"inbound\":{", sqlite3_column_text(st, 3),
			    sqlite3_column_int64(st, 4),
			    sqlite3_column_int64(st, 5));
		} else
			buf_printf(&b, "%s\t%s\t%s\tpairing=%lld\tinbound:", n,
			    sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
			    sqlite3_column_int64(st, 4));
		rc = counts(db, "SELECT state, count(*) FROM channel_ingress WHERE channel = ?"
		    " GROUP BY state ORDER BY state", n, &b, json);
		buf_adds(&b, json ? "},\"outbound\":{" : "\toutbound:");
		if (!rc)
			rc = counts(db, "SELECT state, count(*) FROM channel_egress"
			    " WHERE channel = ?"
			    " GROUP BY state ORDER BY state", n, &b, json);
		if (json) {
			buf_adds(&b, "},\"error\":");
			buf_add_json_str(&b, (const char *)sqlite3_column_text(st, 6),
			    (size_t)sqlite3_column_bytes(st, 6));
			buf_adds(&b, "}\n");
		} else if (sqlite3_column_bytes(st, 6))
			buf_printf(&b, "\terror: %s\n", sqlite3_column_text(st, 6));
		else
			buf_addc(&b, '\n');
		if (!rc)
			fwrite(b.p, 1, b.len, out);
	}
	if (!rc)
		rc = store_step_done(db, step, "channels");
	sqlite3_finalize(st);
	buf_free(&b);
	if (!rc && !any && name)
		rc = err_set(EX_NOINPUT, "%s: no such channel", name);
	return rc;
}

int
chan_queue(sqlite3 *db, const char *name, int dead, int json, FILE *out)
{
	struct buf b = BUF_INIT;
	sqlite3_stmt *st;
	int rc, step;

	if ((rc = store_prepare(db, &st, "SELECT id, channel, peer, state, attempts, error, text,"
	    " next_at FROM channel_egress WHERE (?1 IS NULL OR channel = ?1) AND"
	    " (CASE WHEN ?2 THEN state = 'dead' ELSE state IN ('queued', 'sending') END)"
	    " ORDER BY id")))
		return rc;
	if (name)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, dead);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *err = (const char *)sqlite3_column_text(st, 5);
		const char *text = (const char *)sqlite3_column_text(st, 6);
		buf_reset(&b);
		if (json) {
			buf_printf(&b, "{\"type\":\"part\",\"id\":%lld,\"channel\":",
			    sqlite3_column_int64(st, 0));
			buf_add_json_str(&b, (const char *)sqlite3_column_text(st, 1),
			    (size_t)sqlite3_column_bytes(st, 1));
			buf_adds(&b, ",\"peer\":");
			buf_add_json_str(&b, (const char *)sqlite3_column_text(st, 2),
			    (size_t)sqlite3_column_bytes(st, 2));
			buf_printf(&b, ",\"state\":\"%s\",\"attempts\":%lld,\"next_at\":%lld,"
			    "\"error\":",
			    sqlite3_column_text(st, 3), sqlite3_column_int64(st, 4),
			    sqlite3_column_int64(st, 7));
			buf_add_json_str(&b, err, strlen(err));
			buf_adds(&b, ",\"text\":");
			buf_add_json_str(&b, text, strlen(text));
			buf_adds(&b, "}\n");
		} else {
			buf_printf(&b, "%lld\t%s\t%s\t%s\t%lld\t%s\t", sqlite3_column_int64(st, 0),
			    sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
			    sqlite3_column_text(st, 3), sqlite3_column_int64(st, 4), err);
			buf_add(&b, text, strcspn(text, "\n") < 60 ? strcspn(text, "\n") : 60);
			buf_addc(&b, '\n');
		}
		fwrite(b.p, 1, b.len, out);
	}
	rc = store_step_done(db, step, "channel_egress");
	sqlite3_finalize(st);
	buf_free(&b);
	return rc;
}

int
chan_requeue(sqlite3 *db, const char *name, long long id, long *n)
{
	return q_out_requeue(db, name ? name : "", id, n);
}

static int
pair_line(const struct pair_row *r, void *ctx)
{
	FILE *out = ((void **)ctx)[0];
	int json = *(int *)((void **)ctx)[1];
	struct buf b = BUF_INIT;

	if (json) {
		buf_adds(&b, "{\"type\":\"pairing\",\"channel\":");
		buf_add_json_str(&b, r->channel, strlen(r->channel));
		buf_printf(&b, ",\"code\":\"%s\",\"sender\":", r->code);
		buf_add_json_str(&b, r->sender, strlen(r->sender));
		buf_adds(&b, ",\"name\":");
		buf_add_json_str(&b, r->name, strlen(r->name));
		buf_printf(&b, ",\"created\":%lld,\"expires\":%lld}\n", r->created, r->expires);
	} else
		buf_printf(&b, "%s\t%s\t%s\t%s\t%lld min\n", r->channel, r->code, r->sender,
		    r->name,
		    (r->expires - clock_wall_ms() + 59999) / 60000);
	fwrite(b.p, 1, b.len, out);
	buf_free(&b);
	return 0;
}

int
chan_pair_list(sqlite3 *db, const char *name, int json, FILE *out)
{
	void *ctx[2] = { out, &json };

	return pair_each(db, name, pair_line, ctx);
}

int
chan_pair_decide(sqlite3 *db, const char *name, const char *code, int approve, FILE *out)
{
	char peer[64] = "";
	struct chan c;
	int rc;

	if ((rc = chan_open(&c, db, name, 0)) == 0
	    && (rc = pair_decide(db, name, code, approve, peer, sizeof peer)) == 0) {
		if (approve && peer[0])
			rc = q_say(&c, peer, "You are in: this assistant will answer you now.");
		if (!rc)
			fprintf(out, "%s: %s\n", name, approve ? "approved" : "denied");
	}
	chan_close(&c);
	return rc;
}

int
chan_webhook(sqlite3 *db, const char *name, const char *url, FILE *out)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
	char secret[49];
	struct chan c;
	size_t i;
	int rc;

	if ((rc = chan_open(&c, db, name, 1)))
		goto out;
	if (!c.conn->hook) {
		rc = err_set(EX_USAGE, "%s: its webhook is set in the service's dashboard"
		    " (see claw-channel(1))", name);
		goto out;
	}
	if (url && strncmp(url, "https://", 8) && strncmp(url, "http://127.", 11)) {
		rc = err_set(EX_USAGE, "%s: want an https:// URL", url);
		goto out;
	}
	if (sodium_init() < 0) {
		rc = err_set(EX_SOFTWARE, "libsodium: cannot start");
		goto out;
	}
	for (i = 0; i < sizeof secret - 1; i++)
		secret[i] = alpha[randombytes_uniform(sizeof alpha - 1)];
	secret[sizeof secret - 1] = '\0';
	/* Stored first: a request that comes at once must find it. */
	if (url && (rc = set_key(db, name, "webhook_secret", secret)))
		goto out;
	if ((rc = c.conn->hook(&c, url, secret)) == 0)
		fprintf(out, "%s: webhook %s\n", name, url ? url : "deleted");
out:
	sodium_memzero(secret, sizeof secret);
	chan_close(&c);
	return rc;
}
