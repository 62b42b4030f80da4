/* claw-evolve: self-evolution of skills, one cycle per call (cron every 20 minutes).
 * The cycle is lib/evolve/cycle.c, genes gene.c, history and rollback history.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/clock.h"
#include "base/err.h"
#include "evolve/cycle.h"
#include "evolve/gene.h"
#include "evolve/history.h"
#include "store/store.h"

static const char usage[] =
    "usage: claw-evolve cycle [--dry-run] [--strategy auto|innovate|repair|optimize]"
    " [--seed N] [--json]\n"
    "       claw-evolve suggest TEXT ...\n"
    "       claw-evolve genes [list [--json] | add ID OPTION ... | set ID OPTION ..."
    " | remove ID]\n"
    "       claw-evolve history [--json]\n"
    "       claw-evolve show ID\n"
    "       claw-evolve rollback ID\n"
    "       claw-evolve help | --help | --version\n";

static sqlite3 *db;

static int
open_store(void)
{
	return store_open(&db) ? diag_err() : 0;
}

/* Print what a verb gathered, then end as it went. */
static int
emit(struct buf *out, int rc)
{
	if (out->len && !out->oom)
		fwrite(out->p, 1, out->len, stdout);
	buf_free(out);
	if (rc)
		return diag_err();
	return out_finish();
}

static int
cycle_id(const char *s, long long *id)
{
	char *end;

	*id = strtoll(s, &end, 10);
	return *s && !*end && *id > 0 ? 0 : cli_usage_error(usage);
}

static int
cmd_cycle(int argc, char **argv)
{
	struct cycle_opts o = { .strategy = NULL };
	struct buf out = BUF_INIT;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			o.dry_run = 1;
		else if (strcmp(argv[i], "--json") == 0)
			o.json = 1;
		else if (strcmp(argv[i], "--strategy") == 0 && i + 1 < argc &&
		    (strcmp(argv[i + 1], "auto") == 0 || strcmp(argv[i + 1], "innovate") == 0 ||
		    strcmp(argv[i + 1], "repair") == 0 || strcmp(argv[i + 1], "optimize") == 0))
			o.strategy = argv[++i];
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			char *end;
			o.seed = strtoull(argv[++i], &end, 10);
			if (!*argv[i] || *end || *argv[i] == '-')
				return cli_usage_error(usage);
			o.seeded = 1;
		} else
			return cli_usage_error(usage);
	}
	if ((rc = open_store()))
		return rc;
	rc = cycle_run(db, &o, &out);
	/* A refused or failed change is the cycle's answer, said on stdout already. */
	if (rc == EX_DATAERR || rc == EX_NORESULT) {
		emit(&out, 0);
		diag("%s", err_msg());
		return rc;
	}
	return emit(&out, rc);
}

static int
cmd_suggest(int argc, char **argv)
{
	struct buf text = BUF_INIT;
	sqlite3_stmt *st;
	int i, rc;

	if (argc < 2)
		return cli_usage_error(usage);
	for (i = 1; i < argc; i++)
		buf_printf(&text, "%s%s", i > 1 ? " " : "", argv[i]);
	if (text.oom || !text.len || text.len > 4096) {
		buf_free(&text);
		return err_set(EX_DATAERR, "suggest: between 1 and 4096 bytes of text"), diag_err();
	}
	if ((rc = open_store()) || (rc = store_begin_write(db)))
		return buf_free(&text), rc ? rc : diag_err();
	if (!(rc = store_prepare(db, &st, "INSERT INTO suggest(ts, text) VALUES(?, ?)"))) {
		sqlite3_bind_int64(st, 1, clock_wall_ms());
		sqlite3_bind_text(st, 2, text.p, -1, SQLITE_STATIC);
		rc = store_step_done(db, sqlite3_step(st), "suggest");
		sqlite3_finalize(st);
	}
	buf_free(&text);
	if ((rc = store_end(db, rc)))
		return diag_err();
	printf("%lld\n", (long long)sqlite3_last_insert_rowid(db));
	return out_finish();
}

static int
cmd_genes(int argc, char **argv)
{
	struct gene g = { .priority = 0.5 };
	struct buf out = BUF_INIT;
	const char *verb = argc > 1 ? argv[1] : "list";
	unsigned set = 0;
	int rc;

	if (strcmp(verb, "list") == 0) {
		int json = argc == 3 && strcmp(argv[2], "--json") == 0;
		if (argc > 3 || (argc == 3 && !json))
			return cli_usage_error(usage);
		if ((rc = open_store()))
			return rc;
		return emit(&out, gene_list(db, json, &out));
	}
	if (argc < 3 || strlen(argv[2]) > GENE_MAXID || !*argv[2])
		return cli_usage_error(usage);
	snprintf(g.id, sizeof g.id, "%s", argv[2]);
	if (strcmp(verb, "remove") == 0) {
		if (argc != 3)
			return cli_usage_error(usage);
		if ((rc = open_store()))
			return rc;
		return emit(&out, gene_remove(db, g.id));
	}
	if (strcmp(verb, "add") != 0 && strcmp(verb, "set") != 0)
		return cli_usage_error(usage);
	if (gene_opts(argc - 3, argv + 3, &g, &set)) {
		diag("%s", err_msg());
		gene_free(&g);
		return cli_usage_error(usage);
	}
	if ((rc = open_store()))
		return gene_free(&g), rc;
	rc = strcmp(verb, "add") == 0 ? gene_add(db, &g) : gene_set(db, &g, set);
	gene_free(&g);
	return emit(&out, rc);
}

static int
cmd_history(int argc, char **argv)
{
	struct buf out = BUF_INIT;
	int json = argc == 2 && strcmp(argv[1], "--json") == 0, rc;

	if (argc > 2 || (argc == 2 && !json))
		return cli_usage_error(usage);
	if ((rc = open_store()))
		return rc;
	return emit(&out, history_list(db, json, &out));
}

static int
cmd_show(int argc, char **argv)
{
	struct buf out = BUF_INIT;
	long long id;
	int rc;

	if (argc != 2 || (rc = cycle_id(argv[1], &id)) || (rc = open_store()))
		return argc != 2 ? cli_usage_error(usage) : rc;
	return emit(&out, history_show(db, id, &out));
}

static int
cmd_rollback(int argc, char **argv)
{
	struct buf out = BUF_INIT;
	long long id;
	int rc;

	if (argc != 2 || (rc = cycle_id(argv[1], &id)) || (rc = open_store()))
		return argc != 2 ? cli_usage_error(usage) : rc;
	return emit(&out, history_rollback(db, id, &out));
}

static const struct cli_verb verbs[] = {
	{ "cycle", cmd_cycle }, { "suggest", cmd_suggest }, { "genes", cmd_genes },
	{ "history", cmd_history }, { "show", cmd_show }, { "rollback", cmd_rollback },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	int rc;

	diag_init("claw-evolve");
	rc = cli_dispatch(argc, argv, usage, verbs);
	store_close(db);
	return rc;
}
