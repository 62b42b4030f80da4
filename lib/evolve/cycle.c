/* cycle: the recipe of one cycle, read top to bottom in cycle_run.  Every write to the
 * store is its own short transaction, never across the model call or the tests. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/line.h"
#include "base/path.h"
#include "evolve/child.h"
#include "evolve/cycle.h"
#include "evolve/gene.h"
#include "evolve/proposal.h"
#include "evolve/signal.h"
#include "evolve/swap.h"
#include "evolve/tree.h"
#include "skill/grant.h"
#include "skill/index.h"
#include "skill/install.h"
#include "skill/skillmd.h"
#include "store/config.h"
#include "store/store.h"
#include "store/telemetry.h"

const char cycle_system[] =
    "You evolve one skill of claw, a local personal assistant.  A skill is a directory:\n"
    "SKILL.md (YAML front matter: name, description, triggers, permissions, timeout;\n"
    "then instructions), an executable `run` that reads one JSON object\n"
    "{\"args\":{...},\"context\":{...}} on stdin and writes NDJSON events on stdout\n"
    "({\"type\":\"result\",\"text\":\"...\"} or {\"type\":\"error\",\"message\":\"...\"}),\n"
    "config.json (the JSON Schema of the arguments under \"parameters\"), and tests/*.json,\n"
    "each one case: {\"args\":{...},\"expect\":{\"equals\"|\"contains\"|\"matches\":\"...\"}}\n"
    "or {\"args\":{...},\"error\":true}.\n"
    "Answer with exactly one JSON object and nothing else:\n"
    "{\"skill\":\"NAME\",\"summary\":\"one line\",\"files\":[{\"path\":\"run\",\n"
    "\"text\":\"the whole new file\",\"executable\":true},\n"
    "{\"path\":\"old-file\",\"remove\":true}]}\n"
    "Rules: change only the one skill named; whole files; relative paths inside it; no\n"
    "links; stay within the blast radius given; never add permissions; a new skill comes\n"
    "with SKILL.md, its program and at least one test; every test must pass.\n";

struct cyc {
	sqlite3 *db;
	const struct cycle_opts *o;
	struct buf *out;
	struct signals sig;
	struct gene gene;
	struct skills all;
	const struct skill *k;    /* the skill changed (NULL: a new one) */
	const char *strategy, *base;
	char target[SKILLMD_MAXNAME + 1];
	long long id, t0;
	long max_files, max_lines;
	double u1, u2;
	struct tree old, new;
	long files, lines;
	struct buf prompt, answer, diff, report, sigjson;
	struct proposal p;
	char hash[65];
	long long ms[5];          /* where the time went: assess, prompt, model, validate, swap */
	long long mark;
};

/* The time since the last mark into ms[i]. */
static void
lap(struct cyc *c, int i)
{
	long long now = clock_mono_ms();

	c->ms[i] = now - c->mark;
	c->mark = now;
}

/* --- small pieces --- */

static int
lock(int *fd)
{
	char path[PATH_MAX];
	int rc;

	if ((rc = path_mkhome("run")) || (rc = path_in_home(path, sizeof path, "run/evolve.lock")))
		return rc;
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return err_set(EX_CANTCREAT, "%s:", path);
	if (flock(*fd, LOCK_EX | LOCK_NB) < 0)
		return err_set(errno == EWOULDBLOCK ? EX_TEMPFAIL : EX_IOERR,
		    errno == EWOULDBLOCK ? "another cycle is running (try again later)" :
		    "%s: lock:", path);
	return 0;
}

static double
config_num(sqlite3 *db, const char *key, double dflt)
{
	char *v = NULL, *end;
	double d = dflt;

	if (config_get(db, key, &v, NULL) == 0 && v) {
		d = strtod(v, &end);
		if (*end || end == v)
			d = dflt;
	}
	free(v);
	return d;
}

static void
say(struct cyc *c, const char *type, const char *key, const char *val, const char *extra)
{
	if (c->o->json) {
		buf_printf(c->out, "{\"type\":\"%s\",\"%s\":", type, key);
		buf_add_json_str(c->out, val, strlen(val));
		buf_printf(c->out, "%s}\n", extra ? extra : "");
	} else
		buf_printf(c->out, "%s\t%s\n", type, val);
}

static int
row_update(struct cyc *c, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_begin_write(c->db)))
		return rc;
	if (!(rc = store_prepare(c->db, &st, sql))) {
		sqlite3_bind_int64(st, 1, c->id);
		if (a)
			sqlite3_bind_text(st, 2, a, -1, SQLITE_STATIC);
		if (b)
			sqlite3_bind_text(st, 3, b, -1, SQLITE_STATIC);
		rc = store_step_done(c->db, sqlite3_step(st), "cycles");
		sqlite3_finalize(st);
	}
	return store_end(c->db, rc);
}

/* The cycle's row, first as "running": its parent, watermark, signals and draw. */
static int
row_begin(struct cyc *c, const char *outcome)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_begin_write(c->db)))
		return rc;
	if (!(rc = store_prepare(c->db, &st, "INSERT INTO cycles(parent, started, upto_event,"
	    " upto_suggest, signals, strategy, gene, skill, base, outcome)"
	    " VALUES((SELECT max(id) FROM cycles),?,?,?,?,?,?,?,?,?)"))) {
		sqlite3_bind_int64(st, 1, clock_wall_ms());
		sqlite3_bind_int64(st, 2, c->sig.upto_event);
		sqlite3_bind_int64(st, 3, c->sig.upto_suggest);
		sqlite3_bind_text(st, 4, c->sigjson.p ? c->sigjson.p : "[]", -1, SQLITE_STATIC);
		if (c->strategy)
			sqlite3_bind_text(st, 5, c->strategy, -1, SQLITE_STATIC);
		if (c->gene.id[0])
			sqlite3_bind_text(st, 6, c->gene.id, -1, SQLITE_STATIC);
		if (c->target[0])
			sqlite3_bind_text(st, 7, c->target, -1, SQLITE_STATIC);
		if (c->base)
			sqlite3_bind_text(st, 8, c->base, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, outcome, -1, SQLITE_STATIC);
		rc = store_step_done(c->db, sqlite3_step(st), "cycles");
		c->id = sqlite3_last_insert_rowid(c->db);
		sqlite3_finalize(st);
	}
	return store_end(c->db, rc);
}

/* The end of a cycle: its outcome, why, the report and the gene's new priority. */
static int
finish(struct cyc *c, const char *outcome, int ok, double share, int code)
{
	char why[1024], num[64] = "";
	double now = -1;
	sqlite3_stmt *st;
	int rc;

	snprintf(why, sizeof why, "%s", err_msg());
	if (strcmp(why, "unknown error") == 0)     /* what err_msg says when none was set */
		why[0] = '\0';
	if (c->gene.id[0] && share > 0)
		gene_reward(c->db, c->gene.id, c->id, ok, share, outcome, &now);
	if ((rc = store_begin_write(c->db)))
		return rc;
	if (!(rc = store_prepare(c->db, &st, "UPDATE cycles SET outcome = ?2, reason = ?3,"
	    " report = ?4, ended = ?5, priority = ?6, files = ?7, lines = ?8, skill = ?9"
	    " WHERE id = ?1"))) {
		sqlite3_bind_int64(st, 1, c->id);
		sqlite3_bind_text(st, 2, outcome, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, why, -1, SQLITE_STATIC);
		if (c->report.p)
			sqlite3_bind_text(st, 4, c->report.p, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, clock_wall_ms());
		if (now >= 0)
			sqlite3_bind_double(st, 6, now);
		if (c->files || c->lines) {
			sqlite3_bind_int64(st, 7, c->files);
			sqlite3_bind_int64(st, 8, c->lines);
		}
		if (c->target[0])
			sqlite3_bind_text(st, 9, c->target, -1, SQLITE_STATIC);
		rc = store_step_done(c->db, sqlite3_step(st), "cycles");
		sqlite3_finalize(st);
	}
	if ((rc = store_end(c->db, rc)))
		return rc;
	if (now >= 0)
		snprintf(num, sizeof num, "%.4f", now);
	if (c->o->json) {
		buf_printf(c->out, "{\"type\":\"cycle\",\"id\":%lld,\"outcome\":\"%s\",\"reason\":",
		    c->id, outcome);
		buf_add_json_str(c->out, why, strlen(why));
		buf_printf(c->out, ",\"skill\":");
		buf_add_json_str(c->out, c->target, strlen(c->target));
		buf_printf(c->out, ",\"files\":%ld,\"lines\":%ld,\"priority\":%s", c->files,
		    c->lines, now >= 0 ? num : "null");
		buf_printf(c->out, ",\"ms\":{\"assess\":%lld,\"prompt\":%lld,\"model\":%lld,"
		    "\"validate\":%lld,\"swap\":%lld,\"total\":%lld}}\n", c->ms[0], c->ms[1],
		    c->ms[2], c->ms[3], c->ms[4], clock_mono_ms() - c->t0);
	} else
		buf_printf(c->out, "cycle\t%lld\t%s\t%s\n", c->id, outcome, why);
	return code;
}

/* --- assess, draw, choose --- */

static void
signals_array(struct cyc *c)
{
	struct buf lines = BUF_INIT;
	const char *p;
	char *nl;

	signals_show(&c->sig, 1, &lines);
	buf_addc(&c->sigjson, '[');
	for (p = lines.p; p && *p; p = nl + 1) {
		if (!(nl = strchr(p, '\n')))
			break;
		if (p != lines.p)
			buf_addc(&c->sigjson, ',');
		buf_add(&c->sigjson, p, (size_t)(nl - p));
	}
	buf_addc(&c->sigjson, ']');
	buf_free(&lines);
}

/* The skill the strategy works on: the most failed, the slowest, or a missing one. */
static void
pick_target(struct cyc *c)
{
	long best = -1;
	size_t i;

	for (i = 0; i < c->sig.n; i++) {
		const struct signal *s = &c->sig.v[i];
		long score = -1;
		int exists = s->skill[0] && skill_find(&c->all, s->skill) != NULL;
		if (strcmp(c->strategy, "repair") == 0 && exists &&
		    (strcmp(s->kind, "failed") == 0 || strcmp(s->kind, "timeout") == 0))
			score = s->count;
		else if (strcmp(c->strategy, "optimize") == 0 && exists &&
		    strcmp(s->kind, "slow") == 0)
			score = (long)s->ms;
		else if (strcmp(c->strategy, "innovate") == 0 && s->skill[0] && !exists &&
		    strcmp(s->kind, "missing_skill") == 0)
			score = s->count;
		if (score > best) {
			best = score;
			snprintf(c->target, sizeof c->target, "%s", s->skill);
		}
	}
	if (c->target[0] && strcmp(c->strategy, "innovate") != 0)
		c->k = skill_find(&c->all, c->target);
}

/* Where the change starts: the skill in $CLAW_HOME/skills, a built-in (the change
 * goes into a copy there, which hides it), or nothing.  One in CLAW_SKILLS_PATH is
 * searched first, so a copy could never take its place: refused. */
static int
pick_base(struct cyc *c)
{
	char home[PATH_MAX];
	int rc;
	size_t n;

	if (!c->k) {
		c->base = "new";
		return 0;
	}
	if ((rc = path_in_home(home, sizeof home, "skills")))
		return rc;
	n = strlen(home);
	if (strncmp(c->k->dir, home, n) == 0 && c->k->dir[n] == '/') {
		c->base = "home";
		return 0;
	}
	c->base = "builtin";
	{
		const char *sp = getenv("CLAW_SKILLS_PATH");
		char item[PATH_MAX];
		while (sp && *sp) {
			size_t len = strcspn(sp, ":");
			snprintf(item, sizeof item, "%.*s", (int)len, sp);
			n = strlen(item);
			if (n && strncmp(c->k->dir, item, n) == 0 && c->k->dir[n] == '/')
				return err_set(EX_NOPERM,
				    "%s: protected: it is in CLAW_SKILLS_PATH (evolution "
				    "changes only $CLAW_HOME/skills)", c->target);
			sp += len + (sp[len] == ':');
		}
	}
	return 0;
}

/* --- the prompt --- */

static void
add_tree(struct buf *b, const struct tree *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		buf_printf(b, "=== FILE %s%s ===\n", t->v[i].path,
		    t->v[i].exec ? " (executable)" : "");
		buf_add(b, t->v[i].text.p ? t->v[i].text.p : "", t->v[i].text.len);
		if (t->v[i].text.len && t->v[i].text.p[t->v[i].text.len - 1] != '\n')
			buf_addc(b, '\n');
	}
}

static void
build_prompt(struct cyc *c)
{
	struct buf *b = &c->prompt, lines = BUF_INIT;
	size_t i;

	buf_printf(b, "Strategy: %s.\nGene: %s (%s, priority %.4f).\n", c->strategy, c->gene.id,
	    c->gene.category, c->gene.priority);
	buf_printf(b, "Blast radius: at most %ld files and %ld lines added plus removed.\n",
	    c->max_files, c->max_lines);
	if (c->gene.protected && *c->gene.protected)
		buf_printf(b, "Protected paths (never touch):\n%s\n", c->gene.protected);
	signals_show(&c->sig, 1, &lines);
	buf_printf(b, "Signals since the last cycle (NDJSON):\n%s", lines.p ? lines.p : "");
	buf_free(&lines);
	if (c->k) {
		buf_printf(b, "\nThe skill to %s: %s.  Its files:\n", c->strategy, c->target);
		add_tree(b, &c->old);
		if (c->report.len)
			buf_printf(b, "\nIts tests now (TAP):\n%s", c->report.p);
	} else {
		buf_adds(b, "\nPropose a new skill");
		if (c->target[0])
			buf_printf(b, " named %s (a turn asked for it and it does not exist)",
			    c->target);
		buf_adds(b, ".  Skills that exist (do not reuse a name):");
		for (i = 0; i < c->all.n; i++)
			buf_printf(b, " %s", c->all.v[i].name);
		buf_addc(b, '\n');
	}
}

/* --- the checks: protected, blast radius, permissions, tests --- */

static int
protected_paths(struct cyc *c)
{
	char item[PATH_MAX];
	const char *q;
	size_t i;

	for (i = 0; i < c->p.n; i++)
		for (q = c->gene.protected; q && line_next(&q, item, sizeof item);) {
			size_t n = strlen(item);
			if (n && strncmp(c->p.v[i].path, item, n) == 0 &&
			    (c->p.v[i].path[n] == '\0' || c->p.v[i].path[n] == '/' ||
			    item[n - 1] == '/'))
				return err_set(EX_DATAERR, "%s: protected by gene %s",
				    c->p.v[i].path, c->gene.id);
		}
	return 0;
}

static int
parse_md(const struct tree *t, const char *name, struct skillmd *md)
{
	const struct tfile *f = tree_find(t, "SKILL.md");

	memset(md, 0, sizeof *md);
	if (!f)
		return err_set(EX_DATAERR, "the change leaves no SKILL.md");
	if (skillmd_parse(f->text.p ? f->text.p : "", f->text.len, name, md))
		return err_set(EX_DATAERR, "SKILL.md: %s", err_msg());
	return 0;
}

static int
permissions(struct cyc *c)
{
	struct skillmd now, was;
	size_t i, j;
	int rc;

	if ((rc = parse_md(&c->new, c->target, &now)))
		return rc;
	if (strcmp(now.name, c->target) != 0)
		rc = err_set(EX_DATAERR, "SKILL.md names %s, not %s", now.name, c->target);
	else if (c->k && !parse_md(&c->old, c->target, &was)) {
		for (i = 0; !rc && i < now.permissions.n; i++) {
			for (j = 0; j < was.permissions.n; j++)
				if (strcmp(now.permissions.v[i], was.permissions.v[j]) == 0)
					break;
			if (j == was.permissions.n)
				rc = err_set(EX_NOPERM, "protected: the change widens the "
				    "permissions (%s); grants are the user's",
				    now.permissions.v[i]);
		}
		skillmd_free(&was);
	}
	skillmd_free(&now);
	return rc;
}

static int
has_tests(const struct tree *t)
{
	size_t i, n;

	for (i = 0; i < t->n; i++)
		if (strncmp(t->v[i].path, "tests/", 6) == 0 && !strchr(t->v[i].path + 6, '/') &&
		    (n = strlen(t->v[i].path)) > 11 && strcmp(t->v[i].path + n - 5, ".json") == 0)
			return 1;
	return 0;
}

static int
check(struct cyc *c)
{
	int rc;

	if (c->target[0] && strcmp(c->p.skill, c->target) != 0)
		return err_set(EX_DATAERR, "protected: the proposal changes %s, not %s", c->p.skill,
		    c->target);
	if (!c->k && skill_find(&c->all, c->p.skill))
		return err_set(EX_DATAERR, "%s: exists already (an innovation is a new skill)",
		    c->p.skill);
	snprintf(c->target, sizeof c->target, "%s", c->p.skill);
	if ((rc = protected_paths(c)))
		return rc;
	if (c->k && (rc = tree_read(c->k->dir, &c->new)))
		return rc;
	if ((rc = tree_apply(&c->new, &c->p)))
		return rc;
	tree_diff(&c->old, &c->new, c->target, &c->files, &c->lines, &c->diff);
	if (c->diff.oom)
		return err_set(EX_SOFTWARE, "out of memory");
	if (c->files == 0)
		return err_set(EX_DATAERR, "the proposal changes nothing");
	if (c->files > c->max_files || c->lines > c->max_lines)
		return err_set(EX_DATAERR,
		    "blast radius: %ld files and %ld lines is over %ld and %ld", c->files,
		    c->lines, c->max_files, c->max_lines);
	if ((rc = permissions(c)))
		return rc;
	if (!has_tests(&c->new))
		return err_set(EX_DATAERR, "the new version has no tests (tests/*.json)");
	return 0;
}

/* --- validation in the scratch copy --- */

/* The grants the skill will have where it lands, given to the scratch copy for its
 * tests: a home skill keeps its own; a new one, or a copy of a built-in, has none. */
static int
grant_scratch(struct cyc *c, const char *dir)
{
	struct skill scratch = { .name = c->target, .dir = (char *)dir };
	char *lines = NULL, item[PATH_MAX + 16];
	const char *p;
	int rc;

	if (strcmp(c->base, "home") != 0)
		return 0;
	if ((rc = skill_grants(c->db, c->k, &lines)))
		return rc;
	for (p = lines; !rc && p && line_next(&p, item, sizeof item);)
		rc = skill_grant(c->db, &scratch, item, 1);
	free(lines);
	return rc;
}

/* The canary's arguments: the first case's that expects no error. */
static char *
canary_args(const struct tree *t)
{
	const char *v;
	size_t i, vn;

	for (i = 0; i < t->n; i++) {
		const struct tfile *f = &t->v[i];
		char why[64];
		if (strncmp(f->path, "tests/", 6) != 0 || !f->text.p ||
		    !json_valid(f->text.p, f->text.len, why, sizeof why) || *f->text.p != '{')
			continue;
		if (json_member(f->text.p, f->text.len, "error", &v, &vn) && vn == 4)
			continue;
		if (json_member(f->text.p, f->text.len, "args", &v, &vn) && *v == '{')
			return strndup(v, vn);
	}
	return strdup("{}");
}

static int
validate(struct cyc *c)
{
	char news[PATH_MAX], dir[PATH_MAX], *args;
	int rc;

	if ((rc = swap_path(dir, sizeof dir, c->id, NULL, NULL)) ||
	    (rc = swap_path(news, sizeof news, c->id, "new", NULL)))
		return rc;
	if (path_mkdirs(news, 0700) < 0)
		return err_set(EX_CANTCREAT, "%s:", news);
	snprintf(dir, sizeof dir, "%s/%s", news, c->target);
	if ((rc = tree_write(&c->new, dir)) || (rc = grant_scratch(c, dir)))
		return rc;
	swap_crash("scratch");
	buf_reset(&c->report);
	if ((rc = child_test(news, c->target, &c->report)))
		return rc;
	if (c->gene.validation && strstr(c->gene.validation, "canary")) {
		if (!(args = canary_args(&c->new)))
			return err_set(EX_SOFTWARE, "out of memory");
		rc = child_canary(news, c->target, args, &c->report);
		free(args);
		if (rc)
			return rc;
	}
	return skillinst_hash(dir, c->hash);
}

/* --- the cycle --- */

static void
record(struct cyc *c, const char *outcome, int ok)
{
	struct telemetry t;
	char d[128];

	telemetry_init(&t, "claw-evolve");
	snprintf(d, sizeof d, "{\"cycle\":%lld,\"outcome\":\"%s\"}", c->id, outcome);
	telemetry_add(&t, "cycle", clock_mono_ms() - c->t0, ok, d);
	telemetry_flush(&t, c->db);
	telemetry_free(&t);
}

/* Assessment, draw and gene: 0 to go on, 1 when the cycle is over (said). */
static int
decide(struct cyc *c, int *code)
{
	struct draw d;
	uint64_t seed = c->o->seed;
	char *kinds, extra[96];
	int rc;

	if ((rc = signals_assess(c->db, (long long)config_num(c->db, "evolve.slow_ms", 10000),
	    &c->sig)))
		return *code = rc, 1;
	if (c->o->json || c->o->dry_run) {
		signals_show(&c->sig, c->o->json, c->out);
	}
	signals_array(c);
	if (c->sig.n == 0) {
		if (!c->o->dry_run && !(rc = row_begin(c, "idle"))) {
			err_set(0, "no new signal");
			rc = finish(c, "idle", 1, 0, 0);
			record(c, "idle", 1);
		} else if (c->o->dry_run)
			say(c, "cycle", "outcome", "idle", ",\"reason\":\"no new signal\"");
		return *code = rc, 1;
	}
	if (!c->o->seeded && getrandom(&seed, sizeof seed, 0) != sizeof seed)
		seed = (uint64_t)clock_wall_ms() ^ (uint64_t)getpid();
	draw_seed(&d, seed);
	c->u1 = draw_next(&d);
	c->u2 = draw_next(&d);
	if (c->o->strategy && strcmp(c->o->strategy, "auto") != 0)
		c->strategy = c->o->strategy;
	else
		c->strategy = strategy_draw(&c->sig, config_num(c->db, "evolve.innovation", 0.6),
		    c->u1);
	snprintf(extra, sizeof extra, ",\"u\":%.6f,\"seed\":%llu", c->u1, (unsigned long long)seed);
	say(c, "strategy", "strategy", c->strategy, extra);
	if (!(kinds = signals_kinds(&c->sig)))
		return *code = err_set(EX_SOFTWARE, "out of memory"), 1;
	rc = gene_choose(c->db, c->strategy, kinds, c->u2, &c->gene);
	free(kinds);
	if (rc == EX_NORESULT || (rc == 0 && strcmp(c->strategy, "innovate") != 0 &&
	    !signals_allow(&c->sig, c->strategy))) {
		if (rc == 0)
			err_set(0, "no signal calls for %s", c->strategy);
		if (c->o->dry_run)
			return say(c, "cycle", "outcome", "skipped", NULL), *code = 0, 1;
		if (!(rc = row_begin(c, "skipped")))
			rc = finish(c, "skipped", 1, 0, 0);
		record(c, "skipped", 1);
		return *code = rc, 1;
	}
	if (rc)
		return *code = rc, 1;
	snprintf(extra, sizeof extra, ",\"priority\":%.4f", c->gene.priority);
	say(c, "gene", "id", c->gene.id, extra);
	return 0;
}

/* The target, its base and files, its current tests: 0, or an exit code for a
 * cycle refused before any model call. */
static int
prepare(struct cyc *c)
{
	int rc;

	if ((rc = skill_index(c->db, &c->all)))
		return rc;
	pick_target(c);
	if (strcmp(c->strategy, "innovate") != 0 && !c->k)
		return err_set(EX_NORESULT, "no skill of the signals to %s", c->strategy);
	if ((rc = pick_base(c)))
		return rc;
	if (c->k && (rc = tree_read(c->k->dir, &c->old))) {
		char why[512];
		snprintf(why, sizeof why, "%s", err_msg());
		return err_set(rc, "%s: protected: %s", c->target, why);
	}
	if (c->k && strcmp(c->strategy, "repair") == 0)
		child_test(NULL, c->target, &c->report);
	c->max_files = (long)config_num(c->db, "evolve.max_files", 25);
	c->max_lines = (long)config_num(c->db, "evolve.max_lines", 2000);
	if (c->gene.max_files && c->gene.max_files < c->max_files)
		c->max_files = c->gene.max_files;
	if (c->gene.max_lines && c->gene.max_lines < c->max_lines)
		c->max_lines = c->gene.max_lines;
	build_prompt(c);
	return c->prompt.oom ? err_set(EX_SOFTWARE, "out of memory") : 0;
}

static int
change(struct cyc *c)
{
	char session[64];
	int rc, exchanged;

	if ((rc = row_begin(c, "running")))
		return rc;
	swap_crash("recorded");
	snprintf(session, sizeof session, "evolve:%lld", c->id);
	lap(c, 1);
	rc = child_ask(session, cycle_system, c->prompt.p, &c->answer);
	lap(c, 2);
	if (rc)
		return finish(c, "error", 0, 0, rc);
	swap_crash("answered");
	if ((rc = proposal_parse(c->answer.p, c->answer.len, &c->p)) || (rc = check(c)))
		return finish(c, "refused", 0, 0.1, rc == EX_NOPERM ? EX_DATAERR : rc);
	if (row_update(c, "UPDATE cycles SET skill = ?2, diff = ?3 WHERE id = ?1", c->target,
	    c->diff.p))
		return finish(c, "error", 0, 0, err_code());
	rc = validate(c);
	lap(c, 3);
	if (rc) {
		char news[PATH_MAX];
		if (!swap_path(news, sizeof news, c->id, "new", NULL))
			path_rmtree(news);
		swap_forget(c->db, c->id);
		return finish(c, "failed", 0, 0.2, rc);
	}
	if ((rc = row_update(c, "UPDATE cycles SET new_hash = ?2 WHERE id = ?1", c->hash, NULL)))
		return finish(c, "error", 0, 0, rc);
	swap_crash("validated");
	if ((rc = swap_in(c->id, c->target, &exchanged)))
		return finish(c, "error", 0, 0, rc);
	swap_crash("swapped");
	swap_forget(c->db, c->id);
	lap(c, 4);
	err_set(0, "%s", c->p.summary);
	return finish(c, "applied", 1, 0.1, 0);
}

int
cycle_run(sqlite3 *db, const struct cycle_opts *o, struct buf *out)
{
	struct cyc c = { .db = db, .o = o, .out = out };
	int fd = -1, rc, n;

	c.t0 = c.mark = clock_mono_ms();
	err_set(0, "%s", "");
	if ((rc = lock(&fd)))
		goto done;
	swap_crash("locked");
	if (!o->dry_run && (rc = swap_recover(db, &n)))
		goto done;
	if (decide(&c, &rc))
		goto done;
	lap(&c, 0);
	if ((rc = prepare(&c))) {
		if (o->dry_run)
			goto done;
		if (!row_begin(&c, "refused"))
			finish(&c, "refused", 0, 0, rc);
		record(&c, "refused", 0);
		goto done;
	}
	if (o->dry_run) {
		say(&c, "skill", "name", c.target[0] ? c.target : "(new)",
		    c.base ? (strcmp(c.base, "new") == 0 ? ",\"base\":\"new\"" :
		    strcmp(c.base, "home") == 0 ? ",\"base\":\"home\"" : ",\"base\":\"builtin\"") :
		    NULL);
		say(&c, "prompt", "text", c.prompt.p, NULL);
		goto done;
	}
	rc = change(&c);
	{
		char outcome[16] = "";
		sqlite3_stmt *st;
		if (!store_prepare(db, &st, "SELECT outcome FROM cycles WHERE id = ?")) {
			sqlite3_bind_int64(st, 1, c.id);
			if (sqlite3_step(st) == SQLITE_ROW)
				snprintf(outcome, sizeof outcome, "%s", sqlite3_column_text(st, 0));
			sqlite3_finalize(st);
		}
		record(&c, outcome, rc == 0);
	}
done:
	if (fd >= 0)
		close(fd);
	signals_free(&c.sig);
	gene_free(&c.gene);
	skills_free(&c.all);
	tree_free(&c.old);
	tree_free(&c.new);
	proposal_free(&c.p);
	buf_free(&c.prompt);
	buf_free(&c.answer);
	buf_free(&c.diff);
	buf_free(&c.report);
	buf_free(&c.sigjson);
	return rc;
}
