/* queue: every statement on the channel tables.  Writes are short BEGIN IMMEDIATE
 * transactions, never across a network call or a model turn: a claim marks rows
 * with our pid, and a process found gone hands its rows on (q_recover). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "channel/queue.h"
#include "channel/split.h"
#include "store/store.h"

static char *
dup_col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return strdup(s ? s : "");
}

static void
copy_col(sqlite3_stmt *st, int i, char *dst, size_t n)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	snprintf(dst, n, "%s", s ? s : "");
}

/* Run sql with text and integer arguments: "t" binds the next string, "i" the next
 * long long.  0 or an exit code; *changes (may be NULL) the rows it changed. */
static int
run(sqlite3 *db, const char *what, int *changes, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc, i;

	if ((rc = store_prepare(db, &st, sql)))
		return rc;
	va_start(ap, types);
	for (i = 0; types[i]; i++)
		if (types[i] == 't')
			sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1,
			    SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(st, i + 1, va_arg(ap, long long));
	va_end(ap);
	rc = store_step_done(db, sqlite3_step(st), what);
	if (changes)
		*changes = sqlite3_changes(db);
	sqlite3_finalize(st);
	return rc;
}

int
q_ingest(struct chan *c, const struct chan_msg *m, const char *state)
{
	long long now = clock_wall_ms();
	int rc, n = 0;

	rc = run(c->db, "channel_ingress", &n,
	    "INSERT INTO channel_ingress(channel, ext, peer, sender, name, msgid, flags, text,"
	    " media, state, received) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
	    " ON CONFLICT(channel, ext) DO NOTHING", "ttttttittti",
	    c->name, m->ext, m->peer, m->sender, m->name, m->msgid,
	    (long long)(m->group | m->addressed << 1), m->text.p ? m->text.p : "",
	    m->media.len ? m->media.p : "[]",
	    state ? state : m->oversized ? "refused" : m->skip ? "skipped" : "new", now);
	if (rc)
		return -rc;
	if (n && !m->skip && m->peer[0]
	    && (rc = run(c->db, "channel_chats", NULL,
	    "INSERT INTO channel_chats(channel, peer, last_inbound) VALUES(?1, ?2, ?3)"
	    " ON CONFLICT(channel, peer) DO UPDATE SET last_inbound = max(last_inbound, ?3)",
	    "tti", c->name, m->peer, now)))
		return -rc;
	return n;
}

int
q_cursor(struct chan *c, char *dst, size_t n)
{
	sqlite3_stmt *st;
	int rc;

	dst[0] = '\0';
	if ((rc = store_prepare(c->db, &st, "SELECT cursor FROM channels WHERE name = ?")))
		return rc;
	sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		copy_col(st, 0, dst, n);
	rc = store_step_done(c->db, rc, "channels");
	sqlite3_finalize(st);
	return rc;
}

int
q_set_cursor(struct chan *c, const char *cursor)
{
	return run(c->db, "channels", NULL, "UPDATE channels SET cursor = ?2 WHERE name = ?1",
	    "tt", c->name, cursor);
}

int
q_set_error(struct chan *c, const char *why)
{
	int rc;

	if ((rc = store_begin_write(c->db)))
		return rc;
	return store_end(c->db, run(c->db, "channels", NULL,
	    "UPDATE channels SET error = ?2 WHERE name = ?1", "tt", c->name, why));
}

static int
alive(long long pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* The ids of rows in state held by processes that are gone. */
static int
orphans(struct chan *c, const char *table, const char *state, long long *ids, int max, int *n)
{
	char sql[160];
	sqlite3_stmt *st;
	int rc, step;

	*n = 0;
	snprintf(sql, sizeof sql, "SELECT id, pid FROM %s WHERE channel = ? AND state = '%s'",
	    table, state);
	if ((rc = store_prepare(c->db, &st, sql)))
		return rc;
	sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		if (*n < max && !alive(sqlite3_column_int64(st, 1)))
			ids[(*n)++] = sqlite3_column_int64(st, 0);
	rc = store_step_done(c->db, step, table);
	sqlite3_finalize(st);
	return rc;
}

int
q_recover(struct chan *c)
{
	long long ids[256];
	char why[200];
	int rc, n, i;

	if ((rc = store_begin_write(c->db)))
		return rc;
	rc = orphans(c, "channel_ingress", "working", ids, 256, &n);
	for (i = 0; !rc && i < n; i++)
		rc = run(c->db, "channel_ingress", NULL, "UPDATE channel_ingress SET state = 'new',"
		    " pid = 0 WHERE id = ?", "i", ids[i]);
	if (!rc)
		rc = orphans(c, "channel_egress", "sending", ids, 256, &n);
	for (i = 0; !rc && i < n; i++) {
		snprintf(why, sizeof why, "interrupted while sending: it may have been delivered"
		    " (claw channel queue --retry %lld sends it again)", ids[i]);
		rc = run(c->db, "channel_egress", NULL, "UPDATE channel_egress SET state = 'dead',"
		    " pid = 0, error = ?2 WHERE id = ?1", "it", ids[i], why);
	}
	return store_end(c->db, rc);
}

void
q_in_free(struct q_in *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(v[i].text);
		free(v[i].media);
	}
}

int
q_claim(struct chan *c, struct q_in *v, int max, int *n)
{
	sqlite3_stmt *st;
	int rc, step, i;

	*n = 0;
	if ((rc = store_begin_write(c->db)))
		return rc;
	if ((rc = store_prepare(c->db, &st,
	    "SELECT id, peer, sender, name, msgid, flags, text, media FROM channel_ingress i"
	    " WHERE channel = ?1 AND state = 'new' AND id = (SELECT min(id) FROM channel_ingress j"
	    "  WHERE j.channel = ?1 AND j.peer = i.peer AND j.state IN ('new', 'working'))"
	    " ORDER BY id LIMIT ?2")))
		return store_end(c->db, rc);
	sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, max);
	while ((step = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
		struct q_in *q = &v[(*n)++];
		int flags = sqlite3_column_int(st, 5);
		q->id = sqlite3_column_int64(st, 0);
		copy_col(st, 1, q->peer, sizeof q->peer);
		copy_col(st, 2, q->sender, sizeof q->sender);
		copy_col(st, 3, q->name, sizeof q->name);
		copy_col(st, 4, q->msgid, sizeof q->msgid);
		q->group = flags & 1;
		q->addressed = !!(flags & 2);
		q->text = dup_col(st, 6);
		q->media = dup_col(st, 7);
		if (!q->text || !q->media)
			rc = err_set(EX_SOFTWARE, "out of memory");
	}
	if (!rc)
		rc = store_step_done(c->db, step, "channel_ingress");
	sqlite3_finalize(st);
	for (i = 0; !rc && i < *n; i++)
		rc = run(c->db, "channel_ingress", NULL,
		    "UPDATE channel_ingress SET state = 'working', pid = ?2 WHERE id = ?1", "ii",
		    v[i].id, (long long)getpid());
	if ((rc = store_end(c->db, rc))) {
		q_in_free(v, *n);
		*n = 0;
	}
	return rc;
}

/* Queue text to peer in parts within the connector's limit. */
static int
enqueue(struct chan *c, long long ingress, const char *peer, const char *text,
    const char *reply_to, const char *edit)
{
	size_t n = strlen(text), off = 0, len, skip;
	long long now = clock_wall_ms();
	int rc = 0, first = 1;
	char *part, later[328];

	/* A connector that answers every part in the same place (a Discord interaction's
	 * follow-ups) gets the target on the later parts too, marked "+". */
	snprintf(later, sizeof later, "%s%s", c->conn->reply_all && *reply_to ? "+" : "",
	    c->conn->reply_all ? reply_to : "");

	while (n > off && strchr(" \t\r\n", text[off]))
		off++;
	while (!rc && off < n) {
		len = split_next(text + off, n - off, c->conn->text_max, &skip);
		if (!(part = strndup(text + off, len)))
			return err_set(EX_SOFTWARE, "out of memory");
		rc = run(c->db, "channel_egress", NULL,
		    "INSERT INTO channel_egress(channel, peer, ingress, text, reply_to, edit,"
		    " next_at, created) VALUES(?1, ?2, nullif(?3, 0), ?4, ?5, ?6, ?7, ?7)",
		    "ttittti", c->name, peer, ingress, part, first ? reply_to : later,
		    first ? edit : "", now);
		free(part);
		first = 0;
		off += len + skip;
	}
	return rc;
}

int
q_finish(struct chan *c, long long id, const char *state, const char *note, const char *peer,
    const char *text, const char *reply_to)
{
	return q_finish_edit(c, id, state, note, peer, text, reply_to, "");
}

int
q_finish_edit(struct chan *c, long long id, const char *state, const char *note,
    const char *peer, const char *text, const char *reply_to, const char *edit_id)
{
	return q_finish_voice(c, id, state, note, peer, text, reply_to, edit_id, 0);
}

int
q_finish_voice(struct chan *c, long long id, const char *state, const char *note,
    const char *peer, const char *text, const char *reply_to, const char *edit_id, int voice)
{
	int rc;

	if ((rc = store_begin_write(c->db)))
		return rc;
	rc = run(c->db, "channel_ingress", NULL, "UPDATE channel_ingress SET state = ?2, pid = 0,"
	    " note = ?3, done = ?4 WHERE id = ?1", "itti", id, state, note ? note : "",
	    clock_wall_ms());
	if (!rc && text && *text)
		rc = enqueue(c, id, peer, text, reply_to ? reply_to : "", edit_id ? edit_id : "");
	/* The voice note after the text: one part, its audio made when it is sent. */
	if (!rc && voice && text && *text)
		rc = run(c->db, "channel_egress", NULL,
		    "INSERT INTO channel_egress(channel, peer, ingress, text, reply_to, voice,"
		    " next_at, created) VALUES(?1, ?2, ?3, ?4, ?5, 1, ?6, ?6)", "ttitti",
		    c->name, peer, id, text, reply_to ? reply_to : "", clock_wall_ms());
	return store_end(c->db, rc);
}

int
q_say(struct chan *c, const char *peer, const char *text)
{
	int rc;

	if ((rc = store_begin_write(c->db)))
		return rc;
	return store_end(c->db, enqueue(c, 0, peer, text, "", ""));
}

int
q_next_out(struct chan *c, struct q_out *o, long long *wait_ms)
{
	long long now = clock_wall_ms(), soonest = -1;
	sqlite3_stmt *st;
	int rc, step, got = 0, n;

	*wait_ms = -1;
	memset(o, 0, sizeof *o);
	if ((rc = store_begin_write(c->db)))
		return -rc;
	if ((rc = store_prepare(c->db, &st,
	    "SELECT id, peer, reply_to, text, attempts, next_at, edit, voice FROM channel_egress e"
	    " WHERE channel = ?1 AND state = 'queued' AND id = (SELECT min(id)"
	    "  FROM channel_egress f WHERE f.channel = ?1 AND f.peer = e.peer"
	    "  AND f.state IN ('queued', 'sending'))"
	    " ORDER BY next_at, id")))
		return -store_end(c->db, rc);
	sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		long long at = sqlite3_column_int64(st, 5);
		if (at > now) {
			soonest = at;
			break;
		}
		o->id = sqlite3_column_int64(st, 0);
		copy_col(st, 1, o->peer, sizeof o->peer);
		copy_col(st, 2, o->reply_to, sizeof o->reply_to);
		copy_col(st, 6, o->edit, sizeof o->edit);
		if (!(o->text = dup_col(st, 3)))
			rc = err_set(EX_SOFTWARE, "out of memory");
		o->attempts = (long)sqlite3_column_int64(st, 4) + 1;
		o->voice = sqlite3_column_int(st, 7);
		got = 1;
		break;
	}
	if (!rc && step != SQLITE_ROW)
		rc = store_step_done(c->db, step, "channel_egress");
	sqlite3_finalize(st);
	if (!rc && got)
		rc = run(c->db, "channel_egress", &n, "UPDATE channel_egress SET state = 'sending',"
		    " pid = ?2, attempts = attempts + 1 WHERE id = ?1 AND state = 'queued'", "ii",
		    o->id, (long long)getpid());
	if ((rc = store_end(c->db, rc))) {
		free(o->text);
		o->text = NULL;
		return -rc;
	}
	if (!got)
		*wait_ms = soonest < 0 ? -1 : soonest - now;
	return got;
}

int
q_out_sent(struct chan *c, long long id, const char *ext)
{
	int rc;

	if ((rc = store_begin_write(c->db)))
		return rc;
	return store_end(c->db, run(c->db, "channel_egress", NULL,
	    "UPDATE channel_egress SET state = 'sent', pid = 0, ext = ?2, sent = ?3, error = ''"
	    " WHERE id = ?1", "iti", id, ext, clock_wall_ms()));
}

int
q_out_retry(struct chan *c, long long id, long long next_at, const char *why)
{
	int rc;

	if ((rc = store_begin_write(c->db)))
		return rc;
	return store_end(c->db, run(c->db, "channel_egress", NULL,
	    "UPDATE channel_egress SET state = 'queued', pid = 0, next_at = ?2, error = ?3"
	    " WHERE id = ?1", "iit", id, next_at, why));
}

int
q_out_dead(struct chan *c, long long id, const char *why)
{
	int rc;

	if ((rc = store_begin_write(c->db)))
		return rc;
	return store_end(c->db, run(c->db, "channel_egress", NULL,
	    "UPDATE channel_egress SET state = 'dead', pid = 0, error = ?2 WHERE id = ?1", "it",
	    id, why));
}

int
q_out_failed_ext(struct chan *c, const char *ext, const char *why)
{
	return run(c->db, "channel_egress", NULL, "UPDATE channel_egress SET state = 'dead',"
	    " error = ?3 WHERE channel = ?1 AND ext = ?2 AND ext != ''", "ttt", c->name, ext, why);
}

int
q_out_requeue(sqlite3 *db, const char *channel, long long id, long *n)
{
	int rc, ch = 0;

	if ((rc = store_begin_write(db)))
		return rc;
	rc = run(db, "channel_egress", &ch, "UPDATE channel_egress SET state = 'queued',"
	    " attempts = 0, next_at = ?3, error = '' WHERE state = 'dead'"
	    " AND (?1 = '' OR channel = ?1) AND (?2 = 0 OR id = ?2)", "tii", channel, id,
	    clock_wall_ms());
	*n = ch;
	return store_end(db, rc);
}

int
q_chat(struct chan *c, const char *peer, char *session, size_t sn, char *model, size_t mn)
{
	sqlite3_stmt *st;
	long long gen = 0;
	int rc, step;

	model[0] = '\0';
	if ((rc = store_prepare(c->db, &st, "SELECT generation, model FROM channel_chats"
	    " WHERE channel = ? AND peer = ?")))
		return rc;
	sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, peer, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		gen = sqlite3_column_int64(st, 0);
		copy_col(st, 1, model, mn);
	}
	rc = store_step_done(c->db, step, "channel_chats");
	sqlite3_finalize(st);
	if (gen)
		snprintf(session, sn, "%s:%s#%lld", c->name, peer, gen + 1);
	else
		snprintf(session, sn, "%s:%s", c->name, peer);
	return rc;
}

static int
chat_update(struct chan *c, const char *peer, const char *sql, const char *model)
{
	int rc;

	if ((rc = store_begin_write(c->db)))
		return rc;
	rc = run(c->db, "channel_chats", NULL, "INSERT INTO channel_chats(channel, peer)"
	    " VALUES(?1, ?2) ON CONFLICT DO NOTHING", "tt", c->name, peer);
	if (!rc)
		rc = run(c->db, "channel_chats", NULL, sql, "ttt", c->name, peer, model);
	return store_end(c->db, rc);
}

int
q_chat_new(struct chan *c, const char *peer)
{
	return chat_update(c, peer, "UPDATE channel_chats SET generation = generation + 1"
	    " WHERE channel = ?1 AND peer = ?2 AND ?3 = ''", "");
}

int
q_chat_model(struct chan *c, const char *peer, const char *model)
{
	return chat_update(c, peer, "UPDATE channel_chats SET model = ?3"
	    " WHERE channel = ?1 AND peer = ?2", model);
}

long long
q_chat_last_inbound(struct chan *c, const char *peer)
{
	sqlite3_stmt *st;
	long long t = 0;

	if (store_prepare(c->db, &st, "SELECT last_inbound FROM channel_chats"
	    " WHERE channel = ? AND peer = ?"))
		return 0;
	sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, peer, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		t = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return t;
}

int
q_sender(struct chan *c, const char *sender, char *state, size_t n)
{
	sqlite3_stmt *st;
	int rc, step;

	state[0] = '\0';
	if ((rc = store_prepare(c->db, &st, "SELECT state FROM channel_senders"
	    " WHERE channel = ? AND sender = ?")))
		return rc;
	sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW)
		copy_col(st, 0, state, n);
	rc = store_step_done(c->db, step, "channel_senders");
	sqlite3_finalize(st);
	return rc;
}

int
q_sender_set(sqlite3 *db, const char *channel, const char *sender, const char *name,
    const char *state)
{
	return run(db, "channel_senders", NULL, "INSERT INTO channel_senders(channel, sender, name,"
	    " state, updated) VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(channel, sender) DO UPDATE"
	    " SET state = ?4, updated = ?5", "tttti", channel, sender, name, state,
	    clock_wall_ms());
}
