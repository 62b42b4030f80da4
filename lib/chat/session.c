/* session: sessions, messages and summaries tables.  Each write is its own short
 * BEGIN IMMEDIATE transaction, never held across a model call. */
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "chat/session.h"
#include "store/sessions.h"
#include "store/store.h"

long
session_tokens(const char *text)
{
	return (long)(text ? strlen(text) : 0) / 4 + 4;
}

long
session_msg_tokens(jv msg)
{
	jv s = jv_dump_string(jv_copy(msg), 0);
	long n = (long)jv_string_length_bytes(jv_copy(s)) / 4 + 4;

	jv_free(s);
	return n;
}

static int
step_done(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(db, what);

	sqlite3_finalize(st);
	return rc;
}

int
session_open(sqlite3 *db, const char *name, int create, long long *id)
{
	sqlite3_stmt *st;
	int rc;

	if (create) {
		if ((rc = store_prepare(db, &st,
		    "INSERT INTO sessions(name, created, updated) VALUES(?1, ?2, ?2)"
		    " ON CONFLICT(name) DO NOTHING")))
			return rc;
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, clock_wall_ms());
		if ((rc = step_done(db, st, "sessions")))
			return rc;
	}
	if ((rc = store_prepare(db, &st, "SELECT id FROM sessions WHERE name = ?")))
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		rc = 0;
	} else
		rc = rc == SQLITE_DONE ? EX_NORESULT : store_fail(db, "sessions");
	sqlite3_finalize(st);
	return rc;
}

int
session_append(sqlite3 *db, long long sid, jv msg, const char *model, int incomplete,
    long long *msgid)
{
	jv role = jv_object_get(jv_copy(msg), jv_string("role"));
	jv body = jv_dump_string(jv_object_delete(jv_copy(msg), jv_string("role")), 0);
	long long now = clock_wall_ms();
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = store_begin_write(db)))
		goto out;
	if ((rc = store_prepare(db, &st,
	    "INSERT INTO messages(session, ts, role, body, model, tokens, incomplete) "
	    "VALUES(?,?,?,?,?,?,?)")) == 0) {
		sqlite3_bind_int64(st, 1, sid);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_text(st, 3,
		    jv_get_kind(role) == JV_KIND_STRING ? jv_string_value(role) : "user",
		    -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, jv_string_value(body), -1, SQLITE_STATIC);
		if (model)
			sqlite3_bind_text(st, 5, model, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, session_msg_tokens(msg));
		sqlite3_bind_int(st, 7, incomplete);
		rc = step_done(db, st, "messages");
	}
	if (!rc && msgid)
		*msgid = sqlite3_last_insert_rowid(db);
	if (!rc && (rc = store_prepare(db, &st,
	    "UPDATE sessions SET updated = ? WHERE id = ?")) == 0) {
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, sid);
		rc = step_done(db, st, "sessions");
	}
	rc = store_end(db, rc);
out:
	jv_free(role);
	jv_free(body);
	return rc;
}

/* A stored row back into a neutral message. */
static jv
row_msg(sqlite3_stmt *st, int role_col, int body_col)
{
	const char *body = (const char *)sqlite3_column_text(st, body_col);
	jv m = jv_parse(body ? body : "{}");

	if (jv_get_kind(m) != JV_KIND_OBJECT) {
		jv_free(m);
		m = jv_object();
	}
	return jv_object_set(m, jv_string("role"),
	    jv_string((const char *)sqlite3_column_text(st, role_col)));
}

int
session_context(sqlite3 *db, long long sid, jv *summary, long long *upto, jv *msgs)
{
	sqlite3_stmt *st;
	int rc;

	*summary = jv_null();
	*upto = 0;
	*msgs = jv_array();
	if ((rc = store_prepare(db, &st,
	    "SELECT upto, text FROM summaries WHERE session = ? ORDER BY upto DESC LIMIT 1")))
		return rc;
	sqlite3_bind_int64(st, 1, sid);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*upto = sqlite3_column_int64(st, 0);
		*summary = jv_string((const char *)sqlite3_column_text(st, 1));
	}
	rc = store_step_done(db, rc, "summaries");
	sqlite3_finalize(st);
	if (rc)
		return rc;
	if ((rc = store_prepare(db, &st,
	    "SELECT id, role, body FROM messages WHERE session = ? AND id > ? ORDER BY id")))
		return rc;
	sqlite3_bind_int64(st, 1, sid);
	sqlite3_bind_int64(st, 2, *upto);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*msgs = jv_array_append(*msgs, jv_object_set(jv_object_set(jv_object(),
		    jv_string("id"), jv_number((double)sqlite3_column_int64(st, 0))),
		    jv_string("msg"), row_msg(st, 1, 2)));
	rc = store_step_done(db, rc, "messages");
	sqlite3_finalize(st);
	return rc;
}

static jv
get_str(jv m, const char *k)
{
	jv v = jv_get_kind(m) == JV_KIND_OBJECT ? jv_object_get(jv_copy(m), jv_string(k))
	    : jv_null();

	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		return jv_string("");
	}
	return v;
}

/* A result for each call still waiting (an array of {id, name}), then none wait. */
static jv
answer_pending(jv out, jv *pending)
{
	jv_array_foreach(*pending, i, c) {
		jv r = jv_object_set(jv_object(), jv_string("role"), jv_string("tool"));
		r = jv_object_set(r, jv_string("tool_call_id"), get_str(c, "id"));
		r = jv_object_set(r, jv_string("name"), get_str(c, "name"));
		r = jv_object_set(r, jv_string("text"),
		    jv_string("error: no result was recorded for this call"));
		out = jv_array_append(out, r);
		jv_free(c);
	}
	jv_free(*pending);
	*pending = jv_array();
	return out;
}

jv
session_replayable(jv msgs)
{
	jv out = jv_array(), pending = jv_array();

	jv_array_foreach(msgs, i, m) {
		jv role = get_str(m, "role");
		if (strcmp(jv_string_value(role), "tool") == 0) {
			jv id = get_str(m, "tool_call_id"), left = jv_array();
			int found = 0;
			jv_array_foreach(pending, j, c) {
				jv cid = get_str(c, "id");
				int same = strcmp(jv_string_value(cid), jv_string_value(id)) == 0;
				if (!found && same)
					found = 1, jv_free(c);
				else
					left = jv_array_append(left, c);
				jv_free(cid);
			}
			jv_free(pending);
			pending = left;
			jv_free(id);
			if (found)
				out = jv_array_append(out, m);
			else
				jv_free(m);
		} else {
			jv calls = jv_get_kind(m) == JV_KIND_OBJECT
			    ? jv_object_get(jv_copy(m), jv_string("tool_calls")) : jv_null();
			out = answer_pending(out, &pending);
			out = jv_array_append(out, m);
			if (strcmp(jv_string_value(role), "assistant") == 0
			    && jv_get_kind(calls) == JV_KIND_ARRAY) {
				jv_free(pending);
				pending = calls;
			} else
				jv_free(calls);
		}
		jv_free(role);
	}
	out = answer_pending(out, &pending);
	jv_free(pending);
	jv_free(msgs);
	return out;
}

int
session_add_summary(sqlite3 *db, long long sid, long long upto, const char *text)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_begin_write(db)))
		return rc;
	if ((rc = store_prepare(db, &st,
	    "INSERT INTO summaries(session, upto, ts, text, tokens) VALUES(?,?,?,?,?)")) == 0) {
		sqlite3_bind_int64(st, 1, sid);
		sqlite3_bind_int64(st, 2, upto);
		sqlite3_bind_int64(st, 3, clock_wall_ms());
		sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, session_tokens(text));
		rc = step_done(db, st, "summaries");
	}
	return store_end(db, rc);
}

int
session_history(sqlite3 *db, long long sid, session_fn *fn, void *ctx)
{
	sqlite3_stmt *st;
	int rc, r = SQLITE_DONE;

	if ((rc = store_prepare(db, &st,
	    "SELECT id, ts, role, body, model, incomplete FROM messages WHERE session = ?"
	    " ORDER BY id")))
		return rc;
	sqlite3_bind_int64(st, 1, sid);
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
		jv ev = jv_object_set(jv_object(), jv_string("type"), jv_string("message"));
		ev = jv_object_set(ev, jv_string("id"),
		    jv_number((double)sqlite3_column_int64(st, 0)));
		ev = jv_object_set(ev, jv_string("ts"),
		    jv_number((double)sqlite3_column_int64(st, 1)));
		ev = jv_object_merge(ev, row_msg(st, 2, 3));
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			ev = jv_object_set(ev, jv_string("model"),
			    jv_string((const char *)sqlite3_column_text(st, 4)));
		if (sqlite3_column_int(st, 5))
			ev = jv_object_set(ev, jv_string("incomplete"), jv_true());
		rc = fn(ev, ctx);
	}
	if (!rc)
		rc = store_step_done(db, r, "messages");
	sqlite3_finalize(st);
	return rc;
}

struct list_ctx {
	session_fn *fn;
	void *ctx;
};

static int
list_row(const struct session_row *s, void *ctx)
{
	struct list_ctx *l = ctx;
	jv ev = jv_object_set(jv_object(), jv_string("type"), jv_string("session"));

	ev = jv_object_set(ev, jv_string("name"), jv_string(s->name));
	ev = jv_object_set(ev, jv_string("created"), jv_number((double)s->created));
	ev = jv_object_set(ev, jv_string("updated"), jv_number((double)s->updated));
	ev = jv_object_set(ev, jv_string("messages"), jv_number((double)s->messages));
	ev = jv_object_set(ev, jv_string("tokens"), jv_number((double)s->tokens));
	return l->fn(ev, l->ctx);
}

int
session_list(sqlite3 *db, session_fn *fn, void *ctx)
{
	struct list_ctx l = { fn, ctx };

	return sessions_each(db, list_row, &l);
}
