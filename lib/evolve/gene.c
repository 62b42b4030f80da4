/* gene: rows of the genes table and their history.  Priorities stay in [0, 1]: a
 * success moves one a share of the way to 1, a failure a share of the way to 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/line.h"
#include "evolve/gene.h"
#include "store/store.h"

enum { G_CATEGORY = 1, G_SIGNALS = 2, G_PRIORITY = 4, G_FILES = 8, G_LINES = 16,
    G_PROTECTED = 32, G_VALIDATION = 64 };

static const char *const categories[] = { "repair", "optimize", "innovate" };

static int
category_ok(const char *c)
{
	size_t i;

	for (i = 0; i < sizeof categories / sizeof categories[0]; i++)
		if (strcmp(c, categories[i]) == 0)
			return 1;
	return 0;
}

/* "a,b" as lines "a\nb"; malloc'd. */
static char *
commas(const char *s)
{
	char *l = strdup(s), *p;

	for (p = l; p && *p; p++)
		if (*p == ',')
			*p = '\n';
	return l;
}

static int
number(const char *s, double lo, double hi, double *v)
{
	char *end;

	*v = strtod(s, &end);
	return *s && !*end && *v >= lo && *v <= hi;
}

int
gene_opts(int argc, char **argv, struct gene *g, unsigned *set)
{
	int i;
	double v;

	*set = 0;
	for (i = 0; i < argc; i += 2) {
		const char *o = argv[i], *a = i + 1 < argc ? argv[i + 1] : NULL;
		if (!a)
			return err_set(EX_USAGE, "%s: a value is missing", o);
		if (strcmp(o, "--category") == 0 && category_ok(a))
			snprintf(g->category, sizeof g->category, "%s", a), *set |= G_CATEGORY;
		else if (strcmp(o, "--signals") == 0 && *a)
			free(g->signals), g->signals = commas(a), *set |= G_SIGNALS;
		else if (strcmp(o, "--priority") == 0 && number(a, 0, 1, &v))
			g->priority = v, *set |= G_PRIORITY;
		else if (strcmp(o, "--max-files") == 0 && number(a, 0, 1e9, &v))
			g->max_files = (long)v, *set |= G_FILES;
		else if (strcmp(o, "--max-lines") == 0 && number(a, 0, 1e9, &v))
			g->max_lines = (long)v, *set |= G_LINES;
		else if (strcmp(o, "--protected") == 0)
			free(g->protected), g->protected = commas(a), *set |= G_PROTECTED;
		else if (strcmp(o, "--validation") == 0 && (strcmp(a, "tests canary") == 0 ||
		    strcmp(a, "tests") == 0))
			free(g->validation), g->validation = strdup(a), *set |= G_VALIDATION;
		else
			return err_set(EX_USAGE, "%s %s: not a valid gene field", o, a);
	}
	return 0;
}

static int
history(sqlite3 *db, const char *id, long long cycle, double p, const char *why)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(db, &st, "INSERT INTO gene_history(gene, ts, cycle, priority, why)"
	    " VALUES(?,?,?,?,?)")))
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, clock_wall_ms());
	if (cycle > 0)
		sqlite3_bind_int64(st, 3, cycle);
	sqlite3_bind_double(st, 4, p);
	sqlite3_bind_text(st, 5, why, -1, SQLITE_STATIC);
	rc = store_step_done(db, sqlite3_step(st), "gene_history");
	sqlite3_finalize(st);
	return rc;
}

int
gene_add(sqlite3 *db, const struct gene *g)
{
	sqlite3_stmt *st;
	int rc;

	if (!g->id[0] || !category_ok(g->category) || !g->signals)
		return err_set(EX_USAGE, "a gene needs an ID, --category and --signals");
	if ((rc = store_begin_write(db)))
		return rc;
	if (!(rc = store_prepare(db, &st, "INSERT OR IGNORE INTO genes(id, category, signals,"
	    " priority, max_files, max_lines, protected, validation, updated)"
	    " VALUES(?,?,?,?,?,?,?,?,?)"))) {
		sqlite3_bind_text(st, 1, g->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, g->category, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, g->signals, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 4, g->priority);
		if (g->max_files)
			sqlite3_bind_int64(st, 5, g->max_files);
		if (g->max_lines)
			sqlite3_bind_int64(st, 6, g->max_lines);
		sqlite3_bind_text(st, 7, g->protected ? g->protected : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, g->validation ? g->validation : "tests canary", -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(st, 9, clock_wall_ms());
		rc = store_step_done(db, sqlite3_step(st), "genes");
		sqlite3_finalize(st);
		if (!rc && sqlite3_changes(db) == 0)
			rc = err_set(EX_CANTCREAT,
			    "%s: a gene of that id exists (genes set changes it)", g->id);
	}
	if (!rc)
		rc = history(db, g->id, 0, g->priority, "added");
	return store_end(db, rc);
}

int
gene_set(sqlite3 *db, const struct gene *g, unsigned set)
{
	static const struct { unsigned bit; const char *sql; } cols[] = {
		{ G_CATEGORY, "UPDATE genes SET category = ?2 WHERE id = ?1" },
		{ G_SIGNALS, "UPDATE genes SET signals = ?3 WHERE id = ?1" },
		{ G_PRIORITY, "UPDATE genes SET priority = ?4 WHERE id = ?1" },
		{ G_FILES, "UPDATE genes SET max_files = nullif(?5, 0) WHERE id = ?1" },
		{ G_LINES, "UPDATE genes SET max_lines = nullif(?6, 0) WHERE id = ?1" },
		{ G_PROTECTED, "UPDATE genes SET protected = ?7 WHERE id = ?1" },
		{ G_VALIDATION, "UPDATE genes SET validation = ?8 WHERE id = ?1" },
	};
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if (!set)
		return err_set(EX_USAGE, "genes set: nothing to set");
	if ((rc = store_begin_write(db)))
		return rc;
	for (i = 0; !rc && i < sizeof cols / sizeof cols[0]; i++) {
		if (!(set & cols[i].bit) || (rc = store_prepare(db, &st, cols[i].sql)))
			continue;
		sqlite3_bind_text(st, 1, g->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, g->category, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, g->signals ? g->signals : "", -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 4, g->priority);
		sqlite3_bind_int64(st, 5, g->max_files);
		sqlite3_bind_int64(st, 6, g->max_lines);
		sqlite3_bind_text(st, 7, g->protected ? g->protected : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, g->validation ? g->validation : "", -1, SQLITE_STATIC);
		rc = store_step_done(db, sqlite3_step(st), "genes");
		sqlite3_finalize(st);
		if (!rc && sqlite3_changes(db) == 0)
			rc = err_set(EX_NOINPUT, "%s: no such gene (genes list shows them)", g->id);
	}
	if (!rc && (set & G_PRIORITY))
		rc = history(db, g->id, 0, g->priority, "set");
	return store_end(db, rc);
}

int
gene_remove(sqlite3 *db, const char *id)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_begin_write(db)))
		return rc;
	if (!(rc = store_prepare(db, &st, "DELETE FROM genes WHERE id = ?"))) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		rc = store_step_done(db, sqlite3_step(st), "genes");
		sqlite3_finalize(st);
		if (!rc && sqlite3_changes(db) == 0)
			rc = err_set(EX_NOINPUT, "%s: no such gene (genes list shows them)", id);
	}
	return store_end(db, rc);
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? (const char *)s : "";
}

static void
json_field(struct buf *b, const char *key, const char *v, int lines)
{
	buf_printf(b, ",\"%s\":", key);
	if (lines)
		buf_add_json_lines(b, v);
	else
		buf_add_json_str(b, v, strlen(v));
}

static void
history_of(sqlite3 *db, const char *id, int json, struct buf *out)
{
	sqlite3_stmt *st;
	int n = 0;

	if (store_prepare(db, &st, "SELECT ts, cycle, priority, why FROM gene_history"
	    " WHERE gene = ? ORDER BY id"))
		return;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (json)
		buf_adds(out, ",\"history\":[");
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (json) {
			buf_printf(out, "%s{\"ts\":%lld,\"cycle\":", n++ ? "," : "",
			    sqlite3_column_int64(st, 0));
			if (sqlite3_column_type(st, 1) == SQLITE_NULL)
				buf_adds(out, "null");
			else
				buf_printf(out, "%lld", sqlite3_column_int64(st, 1));
			buf_printf(out, ",\"priority\":%.4f", sqlite3_column_double(st, 2));
			json_field(out, "why", col(st, 3), 0);
			buf_addc(out, '}');
		} else
			buf_printf(out, "\t%s\t%.4f\tcycle %s\n", col(st, 3),
			    sqlite3_column_double(st, 2), *col(st, 1) ? col(st, 1) : "-");
	}
	if (json)
		buf_addc(out, ']');
	sqlite3_finalize(st);
}

int
gene_list(sqlite3 *db, int json, struct buf *out)
{
	sqlite3_stmt *st;
	int rc, step;

	if ((rc = store_prepare(db, &st, "SELECT id, category, signals, priority,"
	    " ifnull(max_files, 0), ifnull(max_lines, 0), protected, validation"
	    " FROM genes ORDER BY priority DESC, id")))
		return rc;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = col(st, 0);
		if (json) {
			buf_adds(out, "{\"type\":\"gene\",\"id\":");
			buf_add_json_str(out, id, strlen(id));
			json_field(out, "category", col(st, 1), 0);
			json_field(out, "signals", col(st, 2), 1);
			buf_printf(out, ",\"priority\":%.4f,\"max_files\":%lld,\"max_lines\":%lld",
			    sqlite3_column_double(st, 3), sqlite3_column_int64(st, 4),
			    sqlite3_column_int64(st, 5));
			json_field(out, "protected", col(st, 6), 1);
			json_field(out, "validation", col(st, 7), 0);
			history_of(db, id, 1, out);
			buf_adds(out, "}\n");
		} else {
			char *s = commas(col(st, 2)), *p;
			for (p = s; p && *p; p++)
				if (*p == '\n')
					*p = ',';
			buf_printf(out, "%s\t%s\t%.4f\t%s\n", id, col(st, 1),
			    sqlite3_column_double(st, 3), s ? s : "");
			free(s);
			history_of(db, id, 0, out);
		}
	}
	rc = store_step_done(db, step, "genes");
	sqlite3_finalize(st);
	return rc;
}

/* 1 when some line of a is a line of b. */
static int
meets(const char *a, const char *b)
{
	char x[64], y[64];
	const char *p = a, *q;

	while (line_next(&p, x, sizeof x))
		for (q = b; line_next(&q, y, sizeof y);)
			if (strcmp(x, y) == 0)
				return 1;
	return 0;
}

int
gene_choose(sqlite3 *db, const char *category, const char *kinds, double u, struct gene *g)
{
	struct { char id[GENE_MAXID + 1]; double p; } fit[64];
	sqlite3_stmt *st;
	double sum = 0, at;
	int n = 0, i, rc, step;

	memset(g, 0, sizeof *g);
	if ((rc = store_prepare(db, &st, "SELECT id, signals, priority FROM genes"
	    " WHERE category = ? AND priority > 0 ORDER BY id")))
		return rc;
	sqlite3_bind_text(st, 1, category, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW && n < 64)
		if (meets(col(st, 1), kinds) && strlen(col(st, 0)) <= GENE_MAXID) {
			snprintf(fit[n].id, sizeof fit[n].id, "%s", col(st, 0));
			sum += fit[n++].p = sqlite3_column_double(st, 2);
		}
	rc = store_step_done(db, step == SQLITE_ROW ? SQLITE_DONE : step, "genes");
	sqlite3_finalize(st);
	if (rc)
		return rc;
	if (!n)
		return err_set(EX_NORESULT, "no %s gene matches the signals", category);
	for (i = 0, at = u * sum; i < n - 1 && at >= fit[i].p; i++)
		at -= fit[i].p;
	if ((rc = store_prepare(db, &st, "SELECT id, category, signals, priority,"
	    " ifnull(max_files, 0), ifnull(max_lines, 0), protected, validation"
	    " FROM genes WHERE id = ?")))
		return rc;
	sqlite3_bind_text(st, 1, fit[i].id, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(g->id, sizeof g->id, "%s", col(st, 0));
		snprintf(g->category, sizeof g->category, "%s", col(st, 1));
		g->signals = strdup(col(st, 2));
		g->priority = sqlite3_column_double(st, 3);
		g->max_files = (long)sqlite3_column_int64(st, 4);
		g->max_lines = (long)sqlite3_column_int64(st, 5);
		g->protected = strdup(col(st, 6));
		g->validation = strdup(col(st, 7));
	}
	rc = store_step_done(db, step, "genes");
	sqlite3_finalize(st);
	if (!rc && (!g->signals || !g->protected || !g->validation))
		rc = err_set(EX_SOFTWARE, "out of memory");
	return rc;
}

int
gene_reward(sqlite3 *db, const char *id, long long cycle, int ok, double share,
    const char *why, double *now)
{
	sqlite3_stmt *st;
	int rc, step;

	*now = -1;
	if ((rc = store_begin_write(db)))
		return rc;
	if (!(rc = store_prepare(db, &st, ok ?
	    "UPDATE genes SET priority = min(1.0, priority + (1.0 - priority) * ?2),"
	    " updated = ?3 WHERE id = ?1 RETURNING priority" :
	    "UPDATE genes SET priority = max(0.0, priority - priority * ?2),"
	    " updated = ?3 WHERE id = ?1 RETURNING priority"))) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 2, share);
		sqlite3_bind_int64(st, 3, clock_wall_ms());
		if ((step = sqlite3_step(st)) == SQLITE_ROW)
			*now = sqlite3_column_double(st, 0);
		rc = store_step_done(db, step == SQLITE_ROW ? SQLITE_DONE : step, "genes");
		sqlite3_finalize(st);
	}
	if (!rc && *now >= 0)
		rc = history(db, id, cycle, *now, why);
	return store_end(db, rc);
}

void
gene_free(struct gene *g)
{
	free(g->signals);
	free(g->protected);
	free(g->validation);
	memset(g, 0, sizeof *g);
}
