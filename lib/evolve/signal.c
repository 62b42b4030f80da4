/* signal: one read of the events after the last cycle's watermark, folded into a few
 * distinct signals (kind and skill), and the seeded draw of a strategy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/json.h"
#include "evolve/signal.h"
#include "store/store.h"

/* Which kinds each strategy answers. */
static const struct { const char *strategy, *kinds[4]; } answers[] = {
	{ "repair", { "failed", "timeout", NULL } },
	{ "optimize", { "slow", NULL } },
	{ "innovate", { "wish", "missing_skill", "error", NULL } },
};

static void
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
			return;
		}
	}
	if (s->n == SIGNAL_MAX)
		return;
	g = &s->v[s->n++];
	snprintf(g->kind, sizeof g->kind, "%s", kind);
	snprintf(g->skill, sizeof g->skill, "%s", skill);
	g->detail = strdup(detail ? detail : "");
	g->count = 1;
	g->ms = ms;
	g->last = id;
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? (const char *)s : "";
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

	if (!json_member_str(d, dn, "skill", skill, sizeof skill))
		skill[0] = '\0';
	if (json_member(d, dn, strcmp(program, "claw-skill") == 0 ? "exit" : "code", &v, &vn) &&
	    vn < sizeof code)
		memcpy(code, v, vn), code[vn] = '\0';
	if (strcmp(program, "claw-skill") == 0 && strcmp(kind, "run") == 0 && skill[0]) {
		if (!ok)
			add(s, strcmp(code, "75") == 0 ? "timeout" : "failed", skill, code, ms, id);
		else if (slow_ms > 0 && ms >= slow_ms)
			add(s, "slow", skill, "", ms, id);
	} else if (strcmp(program, "claw-skill") == 0 && strcmp(kind, "missing") == 0 && skill[0])
		add(s, "missing_skill", skill, "", -1, id);
	else if (!ok && (strcmp(kind, "turn") == 0 || strcmp(kind, "request") == 0))
		add(s, "error", "", code, -1, id);
}

int
signals_assess(sqlite3 *db, long long slow_ms, struct signals *s)
{
	sqlite3_stmt *st;
	long long ev, sg;
	int rc, step;

	memset(s, 0, sizeof *s);
	if ((ev = store_int(db, "SELECT ifnull(max(upto_event), 0) FROM cycles", "cycles")) < 0 ||
	    (sg = store_int(db, "SELECT ifnull(max(upto_suggest), 0) FROM cycles", "cycles")) < 0)
		return err_code();
	if ((s->upto_event = store_int(db, "SELECT ifnull(max(id), 0) FROM events",
	    "events")) < 0 ||
	    (s->upto_suggest = store_int(db, "SELECT ifnull(max(id), 0) FROM suggest",
	    "suggest")) < 0)
		return err_code();
	if ((rc = store_prepare(db, &st, "SELECT id, program, kind, ms, ok, ifnull(detail, '')"
	    " FROM events WHERE id > ?1 AND id <= ?2 AND ("
	    " (program = 'claw-skill' AND kind IN ('run', 'missing')) OR"
	    " (ok = 0 AND ((program = 'claw-chat' AND kind = 'turn') OR"
	    "  (program = 'claw-gateway' AND kind = 'request')))) ORDER BY id")))
		return rc;
	sqlite3_bind_int64(st, 1, ev);
	sqlite3_bind_int64(st, 2, s->upto_event);
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		event(s, st, slow_ms);
	rc = store_step_done(db, step, "events");
	sqlite3_finalize(st);
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
		free(s->v[i].detail);
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
