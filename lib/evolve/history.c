/* history: reading cycles rows; rollback is swap_back plus the row and the gene. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "evolve/gene.h"
#include "evolve/history.h"
#include "evolve/swap.h"
#include "skill/install.h"
#include "store/store.h"

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? (const char *)s : "";
}

static void
jstr(struct buf *b, const char *key, sqlite3_stmt *st, int i)
{
	buf_printf(b, ",\"%s\":", key);
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		buf_adds(b, "null");
	else
		buf_add_json_str(b, col(st, i), strlen(col(st, i)));
}

static void
jnum(struct buf *b, const char *key, sqlite3_stmt *st, int i)
{
	buf_printf(b, ",\"%s\":", key);
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		buf_adds(b, "null");
	else if (sqlite3_column_type(st, i) == SQLITE_FLOAT)
		buf_printf(b, "%.4f", sqlite3_column_double(st, i));
	else
		buf_printf(b, "%lld", sqlite3_column_int64(st, i));
}

int
history_list(sqlite3 *db, int json, struct buf *out)
{
	sqlite3_stmt *st;
	int rc, step;

	if ((rc = store_prepare(db, &st, "SELECT id, parent, started, ended, outcome, strategy,"
	    " gene, skill, base, files, lines, priority, reason, signals, report"
	    " FROM cycles ORDER BY id")))
		return rc;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (json) {
			const char *sig = col(st, 13);
			buf_printf(out, "{\"type\":\"cycle\",\"id\":%lld",
			    sqlite3_column_int64(st, 0));
			jnum(out, "parent", st, 1);
			jnum(out, "started", st, 2);
			jnum(out, "ended", st, 3);
			jstr(out, "outcome", st, 4);
			jstr(out, "strategy", st, 5);
			jstr(out, "gene", st, 6);
			jstr(out, "skill", st, 7);
			jstr(out, "base", st, 8);
			jnum(out, "files", st, 9);
			jnum(out, "lines", st, 10);
			jnum(out, "priority", st, 11);
			jstr(out, "reason", st, 12);
			buf_printf(out, ",\"signals\":%s", *sig == '[' ? sig : "[]");
			jstr(out, "report", st, 14);
			buf_adds(out, "}\n");
		} else
			buf_printf(out, "%lld\t%s\t%s\t%s\t%s\t%s\t%s\n",
			    sqlite3_column_int64(st, 0), col(st, 4),
			    *col(st, 5) ? col(st, 5) : "-", *col(st, 6) ? col(st, 6) : "-",
			    *col(st, 7) ? col(st, 7) : "-",
			    sqlite3_column_type(st, 9) == SQLITE_NULL ? "-" : col(st, 9),
			    col(st, 12));
	}
	rc = store_step_done(db, step, "cycles");
	sqlite3_finalize(st);
	return rc;
}

int
history_show(sqlite3 *db, long long id, struct buf *out)
{
	sqlite3_stmt *st;
	int rc, step;

	if ((rc = store_prepare(db, &st, "SELECT diff FROM cycles WHERE id = ?")))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			rc = err_set(EX_NORESULT, "cycle %lld: it proposed no change", id);
		else
			buf_adds(out, col(st, 0));
	} else if (!(rc = store_step_done(db, step, "cycles")))
		rc = err_set(EX_NOINPUT, "cycle %lld: no such cycle (history shows them)", id);
	sqlite3_finalize(st);
	return rc;
}

/* Later applied cycles of the same skill, as " 7 9". */
static int
later(sqlite3 *db, long long id, const char *skill, struct buf *ids)
{
	sqlite3_stmt *st;
	int rc, step;

	if ((rc = store_prepare(db, &st, "SELECT id FROM cycles WHERE skill = ? AND id > ?"
	    " AND outcome = 'applied' ORDER BY id")))
		return rc;
	sqlite3_bind_text(st, 1, skill, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		buf_printf(ids, " %lld", sqlite3_column_int64(st, 0));
	rc = store_step_done(db, step, "cycles");
	sqlite3_finalize(st);
	return rc;
}

int
history_rollback(sqlite3 *db, long long id, struct buf *out)
{
	char skill[80] = "", gene[80] = "", want[65] = "", outcome[16] = "", dir[PATH_MAX];
	char hex[65];
	struct buf ids = BUF_INIT;
	sqlite3_stmt *st;
	double now = -1;
	int rc, step;

	if ((rc = store_prepare(db, &st, "SELECT outcome, ifnull(skill, ''), ifnull(gene, ''),"
	    " ifnull(new_hash, '') FROM cycles WHERE id = ?")))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(outcome, sizeof outcome, "%s", col(st, 0));
		snprintf(skill, sizeof skill, "%s", col(st, 1));
		snprintf(gene, sizeof gene, "%s", col(st, 2));
		snprintf(want, sizeof want, "%s", col(st, 3));
	} else if (!(rc = store_step_done(db, step, "cycles")))
		rc = err_set(EX_NOINPUT, "cycle %lld: no such cycle (history shows them)", id);
	sqlite3_finalize(st);
	if (rc)
		return rc;
	if (strcmp(outcome, "applied") != 0)
		return err_set(EX_DATAERR, "cycle %lld: %s, not applied: nothing to roll back", id,
		    outcome);
	if ((rc = later(db, id, skill, &ids)))
		return buf_free(&ids), rc;
	if (ids.len) {
		rc = err_set(EX_DATAERR, "cycle %lld: later cycles changed %s:%s (roll them back "
		    "first)", id, skill, ids.p);
		buf_free(&ids);
		return rc;
	}
	if ((rc = swap_skill_path(dir, sizeof dir, skill)))
		return rc;
	if (skillinst_hash(dir, hex) || strcmp(hex, want) != 0)
		return err_set(EX_DATAERR, "cycle %lld: %s has changed since (claw-skill verify); "
		    "not rolled back", id, skill);
	if ((rc = swap_back(id, skill)))
		return rc;
	if (*gene)
		gene_reward(db, gene, id, 0, 0.2, "rolled-back", &now);
	if ((rc = store_begin_write(db)))
		return rc;
	if (!(rc = store_prepare(db, &st, "UPDATE cycles SET outcome = 'rolled-back',"
	    " reason = 'rolled back at ' || ?2 WHERE id = ?1"))) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, clock_wall_ms());
		rc = store_step_done(db, sqlite3_step(st), "cycles");
		sqlite3_finalize(st);
	}
	if ((rc = store_end(db, rc)))
		return rc;
	buf_printf(out, "rolled back\t%lld\t%s\n", id, skill);
	return 0;
}

int
history_evolved(sqlite3 *db, struct buf *out)
{
	sqlite3_stmt *st;
	int rc, step;

	if ((rc = store_prepare(db, &st, "SELECT DISTINCT skill FROM cycles"
	    " WHERE outcome = 'applied' ORDER BY skill")))
		return rc;
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		buf_printf(out, "%s\n", col(st, 0));
	rc = store_step_done(db, step, "cycles");
	sqlite3_finalize(st);
	return rc;
}
