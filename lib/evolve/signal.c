/* signal: one read of the events after the last cycle's watermark, folded into a few
 * distinct signals (kind and skill), and the seeded draw of a strategy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/json.h"
#include "base/utf8.h"
#include "skill/skillmd.h"
#include "evolve/signal.h"
#include "store/store.h"

/* Which kinds each strategy answers. */
static const struct { const char *strategy, *kinds[4]; } answers[] = {
	{ "repair", { "failed", "timeout", NULL } },
	{ "optimize", { "slow", NULL } },
	{ "innovate", { "wish", "missing_skill", "error", NULL } },
};

/* The signal of that kind and skill, counted once more, or a new one; NULL when
 * SIGNAL_MAX are kept already. */
static struct signal *
add(struct signals *s, const char *kind, const char *skill, const char *detail,
    long long ms, long long id)
{
	size_t i;
	struct signal *g;

	for (i = 0; i < s->n; i++) {
		g = &s->v[i];
		if (strcmp(g->kind, kind) == 0 && strcmp(g->skill, skill) == 0 &&
		    strcmp(kind, "wish") != 0) {
			g->count++;
			g->last = id;
			if (ms > g->ms)
				g->ms = ms;
			return g;
		}
	}
	if (s->n == SIGNAL_MAX)
		return NULL;
	g = &s->v[s->n++];
	snprintf(g->kind, sizeof g->kind, "%s", kind);
	snprintf(g->skill, sizeof g->skill, "%s", skill);
	g->detail = strdup(detail ? detail : "");
	g->count = 1;
	g->ms = ms;
	g->last = id;
	return g;
}

/* A copy of at most SIGNAL_TEXTMAX bytes of p[0..n), cut at a character, "..." when
 * cut; NULL for none. */
static char *
bounded(const char *p, size_t n)
{
	struct buf b = BUF_INIT;

	if (!p || !n)
		return NULL;
	buf_add(&b, p, n > SIGNAL_TEXTMAX ? utf8_complete(p, SIGNAL_TEXTMAX) : n);
	if (n > SIGNAL_TEXTMAX)
		buf_adds(&b, "...");
	return b.oom ? (buf_free(&b), NULL) : buf_steal(&b);
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? (const char *)s : "";
}

/* A failed run's error message (claw-skill keeps its start in the event), the
 * last one of the signal's runs. */
static void
run_error(struct signal *g, const char *d, size_t dn)
{
	struct buf e = BUF_INIT;

	if (json_member_text(d, dn, "error", &e) == 1 && !e.oom) {
		free(g->error);
		g->error = bounded(e.p, e.len);
	}
	buf_free(&e);
}

/* A skill a model named that is not one offered to it: claw-skill's missing (a run
 * of a name it does not know), claw-chat's tool_refused (a tool call of a name not
 * offered; the skill's name mapped back from the wire's).  A name that cannot be a
 * skill's is kept in the detail, naming no skill to make. */
static void
missing(struct signals *s, const char *program, const char *d, size_t dn,
    const char *skill, long long id)
{
	const char *v;
	size_t vn;
	char name[65] = "";

	if (strcmp(program, "claw-chat") == 0) {
		/* With --no-tools none was offered: the model missed no skill. */
		if (json_member(d, dn, "tools", &v, &vn) && vn == 5 && memcmp(v, "false", 5) == 0)
			return;
		if (!skill[0] && !json_member_str(d, dn, "name", name, sizeof name))
			return;
	}
	if (skill[0] && skill_name_valid(skill, strlen(skill)))
		add(s, "missing_skill", skill, "", -1, id);
	else if (skill[0] || name[0])
		add(s, "missing_skill", "", skill[0] ? skill : name, -1, id);
}

/* One event row into a signal, or none. */
static void
event(struct signals *s, sqlite3_stmt *st, long long slow_ms)
{
	const char *program = col(st, 1), *kind = col(st, 2), *d = col(st, 5), *v;
	long long id = sqlite3_column_int64(st, 0), ms = sqlite3_column_int64(st, 3);
	int ok = sqlite3_column_int(st, 4);
	char skill[65] = "", code[32] = "";
	size_t dn = strlen(d), vn;
	struct signal *g;

	if (!json_member_str(d, dn, "skill", skill, sizeof skill))
		skill[0] = '\0';
	if (json_member(d, dn, strcmp(program, "claw-skill") == 0 ? "exit" : "code", &v, &vn) &&
	    vn < sizeof code)
		memcpy(code, v, vn), code[vn] = '\0';
	if (strcmp(program, "claw-skill") == 0 && strcmp(kind, "run") == 0 && skill[0]) {
		if (!ok && (g = add(s, strcmp(code, "75") == 0 ? "timeout" : "failed", skill,
		    code, ms, id))) {
			g->last_ts = sqlite3_column_int64(st, 6);
			run_error(g, d, dn);
		} else if (ok && slow_ms > 0 && ms >= slow_ms)
			add(s, "slow", skill, "", ms, id);
	} else if (strcmp(kind, "missing") == 0 || strcmp(kind, "tool_refused") == 0)
		missing(s, program, d, dn, skill, id);
	else if (!ok && (strcmp(kind, "turn") == 0 || strcmp(kind, "request") == 0))
		add(s, "error", "", code, -1, id);
}

/* The arguments of the failed run g->last when a chat turn called it: the stored
 * call of that skill made before the run ended whose result was stored after it
 * (claw-chat stores the call, runs claw-skill, which records the run, then stores
 * the result).  Telemetry never holds arguments; the session does. */
static int
run_args(sqlite3 *db, struct signal *g)
{
	sqlite3_stmt *st;
	int rc, step;

	/* CASE, not AND: json_extract of text that is no object would fail the query. */
	if ((rc = store_prepare(db, &st, "SELECT json_extract(c.value, '$.arguments')"
	    " FROM messages m, json_each(CASE WHEN json_valid(m.body) THEN m.body"
	    "  ELSE '{}' END, '$.tool_calls') c"
	    " WHERE m.role = 'assistant' AND m.ts <= ?2 AND m.ts >= ?2 - 86400000"
	    "  AND CASE WHEN c.type = 'object' THEN json_extract(c.value, '$.name') END = ?1"
	    "  AND EXISTS (SELECT 1 FROM messages r"
	    "  WHERE r.session = m.session AND r.id > m.id AND r.role = 'tool' AND r.ts >= ?2"
	    "  AND CASE WHEN json_valid(r.body) AND json_type(r.body) = 'object'"
	    "   THEN json_extract(r.body, '$.tool_call_id') END = json_extract(c.value, '$.id'))"
	    " ORDER BY m.id DESC LIMIT 1")))
		return rc;
	sqlite3_bind_text(st, 1, g->skill, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, g->last_ts);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *a = col(st, 0);
		free(g->args);
		g->args = bounded(a, strlen(a));
		step = SQLITE_DONE;
	}
	rc = store_step_done(db, step, "messages");
	sqlite3_finalize(st);
	return rc;
}

int
signals_assess(sqlite3 *db, long long slow_ms, struct signals *s)
{
	sqlite3_stmt *st;
	long long ev, sg;
	int rc, step;
	size_t i;

	memset(s, 0, sizeof *s);
	if ((ev = store_int(db, "SELECT ifnull(max(upto_event), 0) FROM cycles", "cycles")) < 0 ||
	    (sg = store_int(db, "SELECT ifnull(max(upto_suggest), 0) FROM cycles", "cycles")) < 0)
		return err_code();
	if ((s->upto_event = store_int(db, "SELECT ifnull(max(id), 0) FROM events",
	    "events")) < 0 ||
	    (s->upto_suggest = store_int(db, "SELECT ifnull(max(id), 0) FROM suggest",
	    "suggest")) < 0)
		return err_code();
	if ((rc = store_prepare(db, &st, "SELECT id, program, kind, ms, ok, ifnull(detail, ''), ts"
	    " FROM events WHERE id > ?1 AND id <= ?2 AND ("
	    " (program = 'claw-skill' AND kind IN ('run', 'missing')) OR"
	    " (program = 'claw-chat' AND kind = 'tool_refused') OR"
	    " (ok = 0 AND ((program = 'claw-chat' AND kind = 'turn') OR"
	    "  (program = 'claw-gateway' AND kind = 'request')))) ORDER BY id")))
		return rc;
	sqlite3_bind_int64(st, 1, ev);
	sqlite3_bind_int64(st, 2, s->upto_event);
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		event(s, st, slow_ms);
	rc = store_step_done(db, step, "events");
	sqlite3_finalize(st);
	for (i = 0; i < s->n && !rc; i++)
		if (strcmp(s->v[i].kind, "failed") == 0 || strcmp(s->v[i].kind, "timeout") == 0)
			rc = run_args(db, &s->v[i]);
	if (rc || (rc = store_prepare(db, &st, "SELECT id, text FROM suggest"
	    " WHERE id > ?1 AND id <= ?2 ORDER BY id")))
		return rc;
	sqlite3_bind_int64(st, 1, sg);
	sqlite3_bind_int64(st, 2, s->upto_suggest);
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		add(s, "wish", "", col(st, 1), -1, sqlite3_column_int64(st, 0));
	rc = store_step_done(db, step, "suggest");
	sqlite3_finalize(st);
	return rc;
}

void
signals_free(struct signals *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].detail), free(s->v[i].error), free(s->v[i].args);
	s->n = 0;
}

void
signals_show(const struct signals *s, int json, struct buf *out)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct signal *g = &s->v[i];
		if (json) {
			buf_printf(out, "{\"type\":\"signal\",\"kind\":\"%s\",\"skill\":", g->kind);
			buf_add_json_str(out, g->skill, strlen(g->skill));
			buf_printf(out, ",\"count\":%ld", g->count);
			if (g->ms >= 0)
				buf_printf(out, ",\"ms\":%lld", g->ms);
			buf_adds(out, ",\"detail\":");
			buf_add_json_str(out, g->detail, strlen(g->detail));
			if (g->error) {
				buf_adds(out, ",\"error\":");
				buf_add_json_str(out, g->error, strlen(g->error));
			}
			if (g->args) {
				buf_adds(out, ",\"arguments\":");
				buf_add_json_str(out, g->args, strlen(g->args));
			}
			buf_adds(out, "}\n");
		} else
			buf_printf(out, "signal\t%s\t%s\t%ld\t%s\n", g->kind,
			    g->skill[0] ? g->skill : "-", g->count, g->detail);
	}
}

char *
signals_kinds(const struct signals *s)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < s->n; i++)
		buf_printf(&b, "%s\n", s->v[i].kind);
	return b.p ? buf_steal(&b) : strdup("");
}

int
signals_allow(const struct signals *s, const char *strategy)
{
	size_t i, j, k;

	for (i = 0; i < sizeof answers / sizeof answers[0]; i++)
		if (strcmp(answers[i].strategy, strategy) == 0)
			for (j = 0; answers[i].kinds[j]; j++)
				for (k = 0; k < s->n; k++)
					if (strcmp(s->v[k].kind, answers[i].kinds[j]) == 0)
						return 1;
	return 0;
}

/* splitmix64: tiny, good enough for a draw, the same on every machine. */
void
draw_seed(struct draw *d, uint64_t seed)
{
	d->s = seed;
}

double
draw_next(struct draw *d)
{
	uint64_t z = (d->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

const char *
strategy_draw(const struct signals *s, double innovation, double u)
{
	/* Innovation needs no particular signal: any gap can be a new skill. */
	if (u < innovation)
		return "innovate";
	if (signals_allow(s, "repair"))
		return "repair";
	if (signals_allow(s, "optimize"))
		return "optimize";
	return "innovate";
}
