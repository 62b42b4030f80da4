/* claw-skill: find, check, install and run skills.  Discovery and the index are
 * lib/skill/index.c, a run lib/skill/run.c (under claw-sandbox), grants grant.c,
 * tests test.c, matching match.c, installing install.c; this file is the verbs. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/path.h"
#include "base/utf8.h"
#include "skill/eligible.h"
#include "skill/grant.h"
#include "skill/index.h"
#include "skill/install.h"
#include "skill/listcopy.h"
#include "skill/match.h"
#include "skill/new.h"
#include "skill/run.h"
#include "skill/skillmd.h"
#include "skill/test.h"
#include "store/store.h"
#include "store/telemetry.h"

static const char usage[] =
    "usage: claw-skill list [--json [--match TEXT]]\n"
    "       claw-skill info NAME\n"
    "       claw-skill match [-n N] TEXT ...\n"
    "       claw-skill run NAME [JSON | KEY=VALUE ...]\n"
    "       claw-skill new NAME\n"
    "       claw-skill test NAME\n"
    "       claw-skill install DIR|TARBALL\n"
    "       claw-skill verify NAME\n"
    "       claw-skill remove NAME\n"
    "       claw-skill grant [--force] NAME PERM\n"
    "       claw-skill revoke NAME PERM\n"
    "       claw-skill grants [NAME]\n"
    "       claw-skill check [--sandbox]\n"
    "       claw-skill help | --help | --version\n";

static sqlite3 *db;             /* opened by the verbs that need the store */
static struct skills all;       /* loaded by the verbs that need the skills */

static int
open_store(void)
{
	return store_open(&db) ? diag_err() : 0;
}

static int
load(void)
{
	int rc;

	if ((rc = open_store()))
		return rc;
	return skill_index(db, &all) ? diag_err() : 0;
}

/* The skills loaded and *k the one named: 0 or the exit code (said). */
static int
load_find(const char *name, struct skill **k)
{
	int rc;

	if ((rc = load()))
		return rc;
	if (!(*k = skill_find(&all, name)))
		return err_set(EX_NOINPUT, "%s: no such skill (claw-skill list shows them)", name),
		    diag_err();
	return 0;
}

/* --- list, info, check --- */

/* The score TEXT gives each eligible skill, by all's index (0: no match): what
 * claw-chat offers a turn.  Only eligible skills compete for the ranks.  0 or the
 * exit code (said). */
static int
scores_for(const char *text, int *score)
{
	struct skills el = { calloc(all.n + 1, sizeof *el.v), 0 };
	struct skill_match *r = calloc(all.n + 1, sizeof *r);
	size_t *from = calloc(all.n + 1, sizeof *from), i;
	int n = -1, j;

	if (el.v && r && from) {
		for (i = 0; i < all.n; i++) {
			struct buf why = BUF_INIT;
			skill_missing(db, &all.v[i], &why);
			if (!why.len) {
				from[el.n] = i;
				el.v[el.n++] = all.v[i];   /* a view: the strings stay all's */
			}
			buf_free(&why);
		}
		n = skill_match(&el, text, r, el.n);
	} else
		err_set(EX_SOFTWARE, "out of memory");
	for (j = 0; j < n; j++)
		score[from[r[j].i]] = r[j].score;
	free(el.v);
	free(r);
	free(from);
	return n < 0 ? diag_err() : 0;
}

/* The line of `claw-skill list` for k: name, kind, what it misses or "ok", the
 * description, and "evolved" when claw-evolve's change to it stands.  Pieces, not
 * buf_printf: its vsnprintf over every description was a tenth of list's run. */
static void
list_line(struct buf *b, const struct skill *k, const struct buf *why, int ev)
{
	buf_adds(b, k->name), buf_addc(b, '\t');
	buf_adds(b, k->kind), buf_addc(b, '\t');
	buf_adds(b, why->len ? why->p : "ok"), buf_addc(b, '\t');
	buf_adds(b, k->description ? k->description : "");
	buf_adds(b, ev ? "\tevolved\n" : "\n");
}

/* `claw-skill list` from claw.db-skills, with no store connection, when the copy is
 * current: the exit code, or -1 when it cannot answer (nothing was written). */
static int
list_from_copy(void)
{
	struct skills cs;
	struct buf out = BUF_INIT, why = BUF_INIT;
	unsigned char *ev;
	int token, rc = -1;
	size_t i;

	if (listcopy_read(NULL, &token, &cs, &ev))
		return -1;
	for (i = 0; i < cs.n; i++) {
		buf_reset(&why);
		if (skill_missing_copy(token, &cs.v[i], &why) < 0)
			goto out;
		list_line(&out, &cs.v[i], &why, ev[i]);
	}
	if (out.oom || why.oom)
		goto out;
	if (out.len)
		fwrite(out.p, 1, out.len, stdout);
	rc = out_finish();
out:
	buf_free(&out);
	buf_free(&why);
	skills_free(&cs);
	free(ev);
	return rc;
}

static int
cmd_list(int argc, char **argv)
{
	int json = argc >= 2 && strcmp(argv[1], "--json") == 0, rc, *score = NULL;
	const char *match = argc == 4 && json && strcmp(argv[2], "--match") == 0 ? argv[3] : NULL;
	unsigned char *evs = NULL;
	size_t i;

	if (argc > 4 || (argc == 2 && !json) || argc == 3 || (argc == 4 && !match))
		return cli_usage_error(usage);
	if (!json && (rc = list_from_copy()) >= 0)
		return rc;
	if ((rc = open_store()))
		return rc;
	if (listcopy_index(db, &all, &evs))
		return diag_err();
	if (match && (!(score = calloc(all.n + 1, sizeof *score)) || (rc = scores_for(match,
	    score))))
		return free(evs), free(score),
		    rc ? rc : (err_set(EX_SOFTWARE, "out of memory"), diag_err());
	/* One read transaction for the lines' lookups (grants, config): one snapshot,
	 * and the WAL's read lock taken once, not twice a skill. */
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (i = 0; i < all.n; i++) {
		struct buf b = BUF_INIT;
		if (json) {
			skill_json(db, &all.v[i], &b);
			if (b.len && b.p[b.len - 1] == '}') {
				b.len--;
				if (evs[i])
					buf_adds(&b, ",\"evolved\":true");
				if (score && score[i])
					buf_printf(&b, ",\"score\":%d", score[i]);
				buf_addc(&b, '}');
			}
			buf_addc(&b, '\n');
		} else {
			struct buf why = BUF_INIT;
			skill_missing(db, &all.v[i], &why);
			list_line(&b, &all.v[i], &why, evs[i]);
			buf_free(&why);
		}
		if (!b.oom)
			fwrite(b.p, 1, b.len, stdout);
		buf_free(&b);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	free(evs);
	free(score);
	return out_finish();
}

/* One "key<TAB>item" line per item of a line list. */
static void
print_lines(const char *key, const char *lines)
{
	const char *p = lines;

	while (p && *p) {
		size_t n = strcspn(p, "\n");
		printf("%s\t%.*s\n", key, (int)n, p);
		p += n + (p[n] == '\n');
	}
}

static int
cmd_info(int argc, char **argv)
{
	struct buf why = BUF_INIT, un = BUF_INIT;
	struct skill *k;
	char *granted = NULL;
	int rc;

	if (argc != 2)
		return cli_usage_error(usage);
	if ((rc = load_find(argv[1], &k)))
		return rc;
	skill_missing(db, k, &why);
	skill_ungranted(db, k, NULL, &un);
	skill_grants(db, k, &granted);
	printf("name\t%s\ndir\t%s\nkind\t%s\ndescription\t%s\ntimeout\t%ld\n",
	    k->name, k->dir, k->kind,
	    k->description, k->timeout);
	printf("eligible\t%s\n", why.len ? why.p : "yes");
	print_lines("permission", k->permissions);
	print_lines("not granted", un.p);
	print_lines("granted", granted);
	print_lines("shadows", k->shadows);
	if (k->meta)
		printf("meta\t%s\n", k->meta);
	buf_free(&why);
	buf_free(&un);
	free(granted);
	return out_finish();
}

static int
cmd_check(int argc, char **argv)
{
	char sandbox[PATH_MAX];
	int broken = 0, rc;
	size_t i;

	if (argc == 2 && strcmp(argv[1], "--sandbox") == 0) {
		if (path_find_prog("claw-sandbox", sandbox, sizeof sandbox) < 0)
			return err_set(EX_UNAVAILABLE,
			    "claw-sandbox is not installed: no skill can run"),
			    diag_err();
		fflush(stdout);
		execl(sandbox, "claw-sandbox", "--check", (char *)NULL);
		return err_set(EX_UNAVAILABLE, "%s:", sandbox), diag_err();
	}
	if (argc != 1)
		return cli_usage_error(usage);
	if ((rc = load()))
		return rc;
	for (i = 0; i < all.n; i++) {
		struct buf why = BUF_INIT;
		skill_missing(db, &all.v[i], &why);
		if (all.v[i].error) {
			broken++;
			printf("%s\tbroken\t%s\n", all.v[i].name, all.v[i].error);
		} else
			printf("%s\t%s\t%s\n", all.v[i].name, why.len ? "missing" : "ok",
			    why.len ? why.p : "");
		buf_free(&why);
	}
	if (out_finish())
		return EX_IOERR;
	return broken ? EX_DATAERR : 0;
}

/* --- match --- */

static int
cmd_match(int argc, char **argv)
{
	struct buf text = BUF_INIT;
	struct skill_match *r = NULL;
	int i = 1, limit = 5, n, rc;

	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		limit = atoi(argv[2]);
		i = 3;
	}
	if (i >= argc || limit <= 0)
		return cli_usage_error(usage);
	for (; i < argc; i++)
		buf_printf(&text, "%s%s", text.len ? " " : "", argv[i]);
	if ((rc = load()))
		return buf_free(&text), rc;
	if (text.oom || !(r = calloc((size_t)limit, sizeof *r)))
		n = (err_set(EX_SOFTWARE, "out of memory"), -1);
	else
		n = skill_match(&all, text.p, r, (size_t)limit);
	for (i = 0; i < n; i++)
		printf("%s\t%d\t%s\n", all.v[r[i].i].name, r[i].score, all.v[r[i].i].description);
	free(r);
	buf_free(&text);
	if (n < 0)
		return diag_err();
	if (out_finish())
		return EX_IOERR;
	return n ? 0 : EX_NORESULT;
}

/* --- run --- */

#define RUN_ERRMAX 300            /* bytes of a failed run's error message in its event */

static struct buf run_error = BUF_INIT;   /* this run's first error event's message */

static void
print_line(const char *line, size_t n, void *ctx)
{
	char type[8];
	const char *v;
	size_t vn;

	(void)ctx;
	fwrite(line, 1, n, stdout);
	putchar('\n');
	fflush(stdout);
	/* The first is the skill's own word on what went wrong; later ones are ours.
	 * One with a line number is a request line that was no object: no run. */
	if (!run_error.len && json_member_str(line, n, "type", type, sizeof type) &&
	    strcmp(type, "error") == 0 && !json_member(line, n, "line", &v, &vn) &&
	    json_member_text(line, n, "message", &run_error) != 1)
		buf_reset(&run_error);
}

/* Every run's events row: the skill, its exit code, the time, and for a failed run
 * the start of its error message (the skill's output, for claw-evolve's repairs);
 * never the arguments. */
static void
record_run(const struct skill *k, int rc, long long ms, void *ctx)
{
	struct buf detail = BUF_INIT;
	size_t n = run_error.len < RUN_ERRMAX ? run_error.len : RUN_ERRMAX;

	buf_adds(&detail, "{\"skill\":");
	buf_add_json_str(&detail, k->name, strlen(k->name));
	buf_printf(&detail, ",\"exit\":%d", rc);
	if (rc && n && !run_error.oom) {
		buf_adds(&detail, ",\"error\":");
		buf_add_json_str(&detail, run_error.p, utf8_complete(run_error.p, n));
	}
	buf_addc(&detail, '}');
	telemetry_add(ctx, "run", ms, rc == 0, detail.oom ? NULL : detail.p);
	buf_free(&detail);
	buf_reset(&run_error);
}

static void
record_missing(struct telemetry *t, const char *name)
{
	struct buf detail = BUF_INIT;

	buf_adds(&detail, "{\"skill\":");
	buf_add_json_str(&detail, name, strlen(name));
	buf_adds(&detail, "}");
	telemetry_add(t, "missing", -1, 0, detail.oom ? NULL : detail.p);
	buf_free(&detail);
}

static int
cmd_run(int argc, char **argv)
{
	struct skillrun_opts o = { .args = NULL };
	struct telemetry t;
	struct buf args = BUF_INIT;
	struct skill *k;
	long long start;
	int rc, c;

	if (argc < 2)
		return cli_usage_error(usage);
	if ((rc = load_find(argv[1], &k))) {
		/* A call of a skill that does not exist: claw-evolve's missing_skill signal. */
		if (rc == EX_NOINPUT && db && strlen(argv[1]) <= 64)
			telemetry_init(&t, "claw-skill"), record_missing(&t, argv[1]),
			    telemetry_flush(&t, db), telemetry_free(&t);
		return rc;
	}
	telemetry_init(&t, "claw-skill");
	/* NDJSON requests on stdin, unless it is empty (cron, </dev/null): then one
	 * run with no arguments. */
	if (argc == 2 && !isatty(0) && (c = getc(stdin)) != EOF) {
		ungetc(c, stdin);
		rc = skill_run_each(db, k, &o, stdin, print_line, NULL, record_run, &t);
		rc = rc == EX_IOERR ? diag_err() : rc ? rc : out_finish();
	} else if ((rc = skillrun_args(argc - 2, argv + 2, &args)))
		rc = rc == EX_USAGE ? (diag_err(), cli_usage_error(usage)) : diag_err();
	else {
		o.args = args.p;
		start = clock_mono_ms();
		rc = skill_run(db, k, &o, print_line, NULL);
		record_run(k, rc, clock_mono_ms() - start, &t);
		if (rc)
			diag("%s", err_msg());
		else
			rc = out_finish();
	}
	/* The rows are telemetry: losing them is no reason to fail the run. */
	telemetry_flush(&t, db);
	telemetry_free(&t);
	buf_free(&args);
	return rc;
}

/* --- grants --- */

/* grant [--force] NAME PERM, revoke NAME PERM */
static int
grant_verb(int argc, char **argv, int on)
{
	struct skill *k;
	const char *why;
	int rc, force = on && argc == 4 && strcmp(argv[1], "--force") == 0, refused;

	argc -= force;
	argv += force;
	if (argc != 3)
		return cli_usage_error(usage);
	if (on && !skill_perm_valid(argv[2], &why))
		return err_set(EX_USAGE, "%s: %s", argv[2], why), diag_err();
	if (on && (why = skill_perm_broad(argv[2], &refused)) && refused && !force)
		return err_set(EX_NOPERM, "%s: refused, it is broad (%s): give --force to grant"
		    " it anyway", argv[2], why), diag_err();
	if ((rc = load_find(argv[1], &k)))
		return rc;
	return skill_grant(db, k, argv[2], on) ? diag_err() : 0;
}

static int cmd_grant(int argc, char **argv) { return grant_verb(argc, argv, 1); }
static int cmd_revoke(int argc, char **argv) { return grant_verb(argc, argv, 0); }

static int
print_grant(const char *skill, const char *perm, void *ctx)
{
	(void)ctx;
	printf("%s\t%s\n", skill, perm);
	return 0;
}

static int
cmd_grants(int argc, char **argv)
{
	struct skill *k = NULL;
	int rc;

	if (argc > 2)
		return cli_usage_error(usage);
	if (argc == 2 && (rc = load_find(argv[1], &k)))
		return rc;
	if (argc == 1 && (rc = open_store()))
		return rc;
	if (skill_grants_each(db, k, print_grant, NULL))
		return diag_err();
	return out_finish();
}

/* --- install, verify, remove --- */

static int
cmd_install(int argc, char **argv)
{
	struct buf notes = BUF_INIT;
	char *name = NULL;
	const char *p;
	int rc;

	if (argc != 2)
		return cli_usage_error(usage);
	if ((rc = open_store()))
		return rc;
	if (skillinst_install(db, argv[1], &name, &notes))
		return buf_free(&notes), diag_err();
	/* What it shadows and the broad permissions it asks for: one line each. */
	for (p = notes.p; p && *p; p += strcspn(p, "\n"), p += *p == '\n')
		diag("%.*s", (int)strcspn(p, "\n"), p);
	printf("%s\n", name);
	free(name);
	buf_free(&notes);
	return out_finish();
}

static int
one_name(int argc, char **argv, int (*fn)(sqlite3 *, const char *))
{
	int rc;

	if (argc != 2)
		return cli_usage_error(usage);
	if ((rc = open_store()))
		return rc;
	return fn(db, argv[1]) ? diag_err() : 0;
}

static int cmd_verify(int argc, char **argv) { return one_name(argc, argv, skillinst_verify); }
static int cmd_remove(int argc, char **argv) { return one_name(argc, argv, skillinst_remove); }

/* --- new and test --- */

static int
cmd_new(int argc, char **argv)
{
	char dir[PATH_MAX];

	if (argc != 2)
		return cli_usage_error(usage);
	if (skill_new(argv[1], dir, sizeof dir))
		return diag_err();
	printf("%s\n", dir);
	return out_finish();
}

/* A case's outcome as TAP. */
static void
print_case(const struct skill_case *c, void *ctx)
{
	(void)ctx;
	if (c->skip) {
		printf("ok %d - %s # SKIP needs %s (not granted)\n", c->n, c->file, c->skip);
		return;
	}
	printf("%s %d - %s\n", c->pass ? "ok" : "not ok", c->n, c->file);
	if (!c->pass && c->got)
		printf("#   %s\n#   got: %.500s\n", c->why, c->got);
	else if (!c->pass)
		printf("#   %s\n", c->why);
}

static int
cmd_test(int argc, char **argv)
{
	struct skill *k;
	int rc, passed, failed;

	if (argc != 2)
		return cli_usage_error(usage);
	if ((rc = load_find(argv[1], &k)))
		return rc;
	if ((rc = skill_test_dir(db, k, NULL, print_case, NULL, &passed, &failed)) == EX_NOINPUT)
		printf("1..0 # SKIP %s has no tests\n", k->name);
	else if (rc)
		return diag_err();
	else
		printf("1..%d\n", passed + failed);
	if (out_finish())
		return EX_IOERR;
	return failed ? EX_NORESULT : 0;
}

static const struct cli_verb verbs[] = {
	{ "list", cmd_list }, { "info", cmd_info }, { "match", cmd_match }, { "run", cmd_run },
	{ "new", cmd_new }, { "test", cmd_test }, { "install", cmd_install },
	{ "verify", cmd_verify }, { "remove", cmd_remove }, { "grant", cmd_grant },
	{ "revoke", cmd_revoke }, { "grants", cmd_grants }, { "check", cmd_check },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	int rc;

	diag_init(argv[0]);
	rc = cli_dispatch(argc, argv, usage, verbs);
	skills_free(&all);
	store_close(db);
	return rc;
}
