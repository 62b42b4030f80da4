/* test: case files read with a cap, each run like any other run (sandboxed, with the
 * stored grants or fewer: never more), and the result's text compared as it says. */
#include <dirent.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "base/line.h"
#include "skill/grant.h"
#include "skill/run.h"
#include "skill/test.h"

struct outcome {
	struct buf text;          /* the result's text, or the error's message */
	int errors;
};

static void
collect(const char *line, size_t n, void *ctx)
{
	struct outcome *o = ctx;
	char type[32];

	if (!json_member_str(line, n, "type", type, sizeof type))
		return;
	if (strcmp(type, "error") == 0)
		o->errors++;
	if (strcmp(type, "result") == 0)
		json_member_text(line, n, "text", &o->text);
	else if (strcmp(type, "error") == 0)
		json_member_text(line, n, "message", &o->text);
}

/* A member's value: a string decoded, anything else as its JSON text; NULL when absent. */
static char *
member_text(const char *obj, const char *key)
{
	const char *v;
	size_t vn;
	struct buf b = BUF_INIT;

	if (!json_member(obj, strlen(obj), key, &v, &vn))
		return NULL;
	if (*v == '"')
		json_str_decode(v, vn, &b);
	else
		buf_add(&b, v, vn);
	return buf_steal(&b);
}

/* "grants": ["net", "fs.read:/x"] as lines. */
static void
grant_lines(const char *arr, struct buf *out)
{
	const char *v;
	size_t vn, off = 0;

	while (arr && *arr == '[' && json_array_next(arr, strlen(arr), &off, &v, &vn))
		if (*v == '"') {
			if (out->len)
				buf_addc(out, '\n');
			json_str_decode(v, vn, out);
		}
}

/* Does got meet expect ({"equals"}, {"contains"} or {"matches"})?  *what is the
 * wanted text (malloc'd), for the report. */
static int
meets(const char *expect, const char *got, char **what)
{
	regex_t re;
	int pass;

	if ((*what = member_text(expect, "equals")))
		return strcmp(got, *what) == 0;
	if ((*what = member_text(expect, "contains")))
		return strstr(got, *what) != NULL;
	if (!(*what = member_text(expect, "matches")))
		return 1;
	if (regcomp(&re, *what, REG_EXTENDED | REG_NOSUB))
		return 0;
	pass = regexec(&re, got, 0, NULL, 0) == 0;
	regfree(&re);
	return pass;
}

/* The first of a case's grants the user has not granted (malloc'd), or NULL: a case
 * may narrow the stored grants, never widen them (a downloaded skill's tests would
 * otherwise grant it whatever they ask for). */
static char *
needed(sqlite3 *db, const struct skill *k, const char *want)
{
	char *stored = NULL, item[PATH_MAX + 16], *miss = NULL;
	const char *p = want;

	if (skill_grants(db, k, &stored))
		return strdup("the stored grants (unreadable)");
	while (!miss && p && line_next(&p, item, sizeof item))
		if (!skill_grant_covers(stored, item))
			miss = strdup(item);
	free(stored);
	return miss;
}

static int
run_case(sqlite3 *db, const struct skill *k, const char *text, struct skill_case *c,
    skill_case_fn *fn, void *ctx)
{
	char *args = member_text(text, "args"), *config = member_text(text, "config");
	char *expect = member_text(text, "expect"), *grants_json = member_text(text, "grants");
	char *want_err = member_text(text, "error"), *what = NULL;
	struct buf grants = BUF_INIT;
	struct outcome out = { .text = BUF_INIT };
	struct skillrun_opts o = { .args = args ? args : "{}", .config = config };
	int rc, expect_error = want_err && strcmp(want_err, "true") == 0;

	grant_lines(grants_json, &grants);
	c->pass = 1;
	c->why = NULL;
	if (grants_json && (c->skip = needed(db, k, grants.p))) {
		c->got = "";
		fn(c, ctx);
		free(args); free(config); free(expect); free(grants_json); free(want_err);
		buf_free(&grants);
		return 1;
	}
	o.grants = grants_json ? (grants.p ? grants.p : "") : NULL;
	rc = skill_run(db, k, &o, collect, &out);
	if (expect_error != (rc != 0 || out.errors > 0)) {
		c->pass = 0;
		c->why = expect_error ? "expected an error, got none" : "an unexpected error";
	} else if (expect && !expect_error)
		c->pass = meets(expect, out.text.p ? out.text.p : "", &what);
	else if (expect && expect_error && (what = member_text(expect, "contains")))
		c->pass = out.text.p && strstr(out.text.p, what);
	if (!c->why)
		c->why = what ? what : "";
	c->got = out.text.p ? out.text.p : "";
	fn(c, ctx);
	free(args); free(config); free(expect); free(grants_json); free(want_err); free(what);
	buf_free(&grants);
	buf_free(&out.text);
	return c->pass;
}

/* One case file: read, checked, run. */
static int
one_case(sqlite3 *db, const struct skill *k, const char *dir, struct skill_case *c,
    skill_case_fn *fn, void *ctx)
{
	char path[PATH_MAX], why[96];
	struct buf text = BUF_INIT;
	int rc, pass = 0;

	snprintf(path, sizeof path, "%s/%s", dir, c->file);
	c->got = NULL;
	c->skip = NULL;
	if ((rc = file_read(path, SKILLTEST_MAXCASE, &text)) || !text.p)
		c->why = rc == EX_DATAERR ? "over the case file's size cap" : "unreadable";
	else if (!json_valid(text.p, text.len, why, sizeof why))
		c->why = why;
	else
		pass = run_case(db, k, text.p, c, fn, ctx);
	if (!c->got) {
		c->pass = 0;
		fn(c, ctx);
	}
	free(c->skip);
	buf_free(&text);
	return pass;
}

static int
is_case(const struct dirent *e)
{
	size_t len = strlen(e->d_name);

	return len > 5 && strcmp(e->d_name + len - 5, ".json") == 0;
}

int
skill_test_dir(sqlite3 *db, const struct skill *k, const char *dir, skill_case_fn *fn,
    void *ctx, int *passed, int *failed)
{
	char tests[PATH_MAX];
	struct dirent **list;
	int n, i;

	*passed = *failed = 0;
	if (!dir) {
		snprintf(tests, sizeof tests, "%s/tests", k->dir);
		dir = tests;
	}
	if ((n = scandir(dir, &list, is_case, alphasort)) < 0)
		return err_set(EX_NOINPUT, "%s:", dir);
	for (i = 0; i < n; i++) {
		struct skill_case c = { .n = i + 1, .file = list[i]->d_name };
		if (one_case(db, k, dir, &c, fn, ctx))
			++*passed;
		else
			++*failed;
		free(list[i]);
	}
	free(list);
	return 0;
}
