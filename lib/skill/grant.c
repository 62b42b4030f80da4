/* grant: permissions and grants.  One validator serves the SKILL.md parser, the
 * eligibility list, run's advice and the grant command, so none can disagree. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/line.h"
#include "base/path.h"
#include "skill/grant.h"
#include "store/store.h"

static const char var_first[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
static const char var_rest[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_0123456789";
static const char prog_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+-";

/* PATH of fs.read:, fs.write: and exec:; NULL when it is one. */
static const char *
path_problem(const char *p)
{
	const char *s;

	if (!*p)
		return "no PATH";
	if (*p != '/' && !(p[0] == '~' && (p[1] == '/' || p[1] == '\0')))
		return "PATH must be absolute or start with ~/ (a relative path cannot be granted)";
	if (strlen(p) >= PATH_MAX)
		return "PATH too long";
	for (s = p; (s = strstr(s, "/..")); s += 3)
		if (s[3] == '/' || s[3] == '\0')
			return "a .. component in PATH";
	return NULL;
}

static const char *
exec_problem(const char *p)
{
	if (*p == '/' || *p == '~' || !*p)
		return path_problem(p);
	if (strspn(p, prog_chars) != strlen(p) || !strcmp(p, ".") || !strcmp(p, ".."))
		return "not a program name ([A-Za-z0-9._+-]) nor an absolute PATH";
	return NULL;
}

static const char *
var_problem(const char *p)
{
	if (!*p || !strchr(var_first, *p) || strspn(p + 1, var_rest) != strlen(p + 1))
		return "VAR is not a shell variable name ([A-Za-z_][A-Za-z0-9_]*)";
	return NULL;
}

static const struct {
	const char *prefix;
	const char *(*problem)(const char *rest);
} kinds[] = {
	{ "fs.read:", path_problem },
	{ "fs.write:", path_problem },
	{ "exec:", exec_problem },
	{ "env:", var_problem },
};

int
skill_perm_valid(const char *perm, const char **why)
{
	const char *s, *w = "not a permission (net, display, fs.read:PATH, fs.write:PATH,"
	    " exec:PATH, env:VAR)";
	size_t i;

	for (s = perm; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			w = "a control character";
			goto bad;
		}
	if (!strcmp(perm, "net") || !strcmp(perm, "display"))
		return 1;
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		size_t n = strlen(kinds[i].prefix);
		if (!strncmp(perm, kinds[i].prefix, n)) {
			if (!(w = kinds[i].problem(perm + n)))
				return 1;
			break;
		}
	}
bad:
	if (why)
		*why = w;
	return 0;
}

int
skill_program_path(const char *prog, char *full, size_t n)
{
	const char *p, *end;

	for (p = PATH_DEFAULT; *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ":");
		snprintf(full, n, "exec:%.*s/%s", (int)(end - p), p, prog);
		if (access(full + 5, X_OK) == 0)
			return 0;
	}
	return err_set(EX_NOINPUT, "%s: no such program in %s", prog, PATH_DEFAULT);
}

int
skill_grant(sqlite3 *db, const struct skill *k, const char *perm, int on)
{
	char full[PATH_MAX + 8];
	const char *why;
	sqlite3_stmt *st;
	int rc;

	if (on && !skill_perm_valid(perm, &why))
		return err_set(EX_USAGE, "%s: %s", perm, why);
	if (!strncmp(perm, "exec:", 5) && perm[5] != '/' && perm[5] != '~') {
		if ((rc = skill_program_path(perm + 5, full, sizeof full)))
			return rc;
		perm = full;
	}
	if ((rc = store_prepare(db, &st, on
	    ? "INSERT OR REPLACE INTO grants(skill, dir, perm, ts) VALUES(?, ?, ?, ?)"
	    : "DELETE FROM grants WHERE skill = ? AND dir = ? AND perm = ?")))
		return rc;
	sqlite3_bind_text(st, 1, k->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->dir, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, perm, -1, SQLITE_STATIC);
	if (on)
		sqlite3_bind_int64(st, 4, clock_wall_ms());
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(db, "grants");
	sqlite3_finalize(st);
	if (!rc && !on && sqlite3_changes(db) == 0)
		rc = err_set(EX_NORESULT, "%s: %s was not granted", k->name, perm);
	return rc;
}

int
skill_grants_each(sqlite3 *db, const struct skill *k, skill_grant_fn *fn, void *ctx)
{
	sqlite3_stmt *st;
	int rc, r;

	if ((rc = store_prepare(db, &st,
	    "SELECT skill, perm FROM grants WHERE ?1 IS NULL OR (skill = ?1 AND dir = ?2)"
	    " ORDER BY skill, perm, dir")))
		return rc;
	sqlite3_bind_text(st, 1, k ? k->name : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k ? k->dir : NULL, -1, SQLITE_STATIC);
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = fn((const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1), ctx)))
			break;
	if (!rc)
		rc = store_step_done(db, r, "grants");
	sqlite3_finalize(st);
	return rc;
}

int
skill_grants_claim(sqlite3 *db, const struct skills *all)
{
	sqlite3_stmt *st;
	size_t i;
	int rc, any;

	if ((rc = store_prepare(db, &st, "SELECT 1 FROM grants WHERE dir = '' LIMIT 1")))
		return rc;
	any = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!any)
		return 0;
	if ((rc = store_prepare(db, &st,
	    "UPDATE OR REPLACE grants SET dir = ?2 WHERE skill = ?1 AND dir = ''")))
		return rc;
	for (i = 0; !rc && i < all->n; i++) {
		sqlite3_bind_text(st, 1, all->v[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, all->v[i].dir, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(db, "grants");
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

static int
add_line(const char *skill, const char *perm, void *ctx)
{
	struct buf *b = ctx;

	(void)skill;
	buf_printf(b, "%s%s", b->len ? "\n" : "", perm);
	return 0;
}

int
skill_grants(sqlite3 *db, const struct skill *k, char **out)
{
	struct buf b = BUF_INIT;
	int rc;

	*out = NULL;
	if ((rc = skill_grants_each(db, k, add_line, &b))) {
		buf_free(&b);
		return rc;
	}
	*out = buf_steal(&b);
	return *out ? 0 : err_set(EX_SOFTWARE, "out of memory");
}

void
skill_perm_expand(const char *perm, char *dst, size_t n)
{
	const char *colon = strchr(perm, ':'), *home = getenv("HOME");

	if (colon && colon[1] == '~' && (colon[2] == '/' || colon[2] == '\0') && home)
		snprintf(dst, n, "%.*s%s%s", (int)(colon - perm + 1), perm, home, colon + 2);
	else
		snprintf(dst, n, "%s", perm);
}

/* Does one of granted (one per line) cover want? */
static int
covered(const char *want, const char *granted)
{
	char full[PATH_MAX + 16], g[PATH_MAX], gfull[PATH_MAX + 16];
	const char *q;
	int path = !strncmp(want, "fs.", 3) || !strncmp(want, "exec:", 5);

	skill_perm_expand(want, full, sizeof full);
	for (q = granted; line_next(&q, g, sizeof g);) {
		skill_perm_expand(g, gfull, sizeof gfull);
		if (path ? !strncmp(gfull, full, (size_t)(strchr(full, ':') - full + 1))
		    : !strcmp(gfull, full))
			return 1;
	}
	return 0;
}

/* path beneath (or at) dir, both resolved when they exist: a link cannot make a
 * narrower path reach outside the wider one. */
static int
beneath(const char *path, const char *dir)
{
	char rp[PATH_MAX], rd[PATH_MAX];
	size_t n;

	if (!realpath(path, rp))
		snprintf(rp, sizeof rp, "%s", path);
	if (!realpath(dir, rd))
		snprintf(rd, sizeof rd, "%s", dir);
	n = strlen(rd);
	while (n > 1 && rd[n - 1] == '/')
		rd[--n] = '\0';
	if (strcmp(rd, "/") == 0)
		return rp[0] == '/';
	return !strncmp(rp, rd, n) && (rp[n] == '/' || rp[n] == '\0');
}

/* 2 when PATH (a permission's, ~ expanded) is /, 1 when it holds the home directory,
 * else 0. */
static int
reach(const char *path)
{
	const char *home = getenv("HOME");
	char rp[PATH_MAX];

	if (!realpath(path, rp))
		snprintf(rp, sizeof rp, "%s", path);
	if (strcmp(rp, "/") == 0)
		return 2;
	return home && *home == '/' && beneath(home, rp);
}

/* Does exec:PATH reach a shell (one on PATH_DEFAULT, by any of its names)? */
static int
reaches_shell(const char *path)
{
	static const char *const shells[] = {
		"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish", "csh", "tcsh",
		"busybox",
	};
	char cand[PATH_MAX];
	const char *p, *end;
	size_t i;

	for (p = PATH_DEFAULT; *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ":");
		for (i = 0; i < sizeof shells / sizeof shells[0]; i++) {
			snprintf(cand, sizeof cand, "%.*s/%s", (int)(end - p), p, shells[i]);
			if (access(cand, X_OK) == 0 && beneath(cand, path))
				return 1;
		}
	}
	return 0;
}

/* perm, ~ expanded and exec:PROG found, into full; the PATH's offset, or 0 for net
 * and env:. */
static size_t
perm_full(const char *perm, char *full, size_t n)
{
	const char *colon;

	if (!strncmp(perm, "exec:", 5) && perm[5] != '/' && perm[5] != '~') {
		if (skill_program_path(perm + 5, full, n))
			snprintf(full, n, "%s", perm);
	} else
		skill_perm_expand(perm, full, n);
	colon = strchr(full, ':');
	return colon && (!strncmp(full, "fs.", 3) || !strncmp(full, "exec:", 5))
	    ? (size_t)(colon - full + 1) : 0;
}

const char *
skill_perm_broad(const char *perm, int *refused)
{
	char full[PATH_MAX + 16];
	size_t at = perm_full(perm, full, sizeof full);
	int r;

	*refused = 0;
	if (!strcmp(full, "net"))
		return "the network: it could send anything it can read anywhere";
	if (!strcmp(full, "display"))
		return "the display: it could see every window and type into them";
	if (!at)
		return NULL;
	if (!strncmp(full, "exec:", 5))
		return (*refused = reaches_shell(full + at))
		    ? "a shell: it could run any command as you" : NULL;
	if (!(r = reach(full + at)))
		return NULL;
	if (!strncmp(full, "fs.write:", 9)) {
		*refused = 1;
		return r == 2 ? "write to /: it could change or delete every file you can"
		    : "write to your home: it could change your shell's startup files, keys"
		    " and everything else there";
	}
	return r == 2 ? "read /: every file you can read"
	    : "read your home: your keys, mail and documents";
}

int
skill_grant_covers(const char *granted, const char *perm)
{
	char want[PATH_MAX + 16], g[PATH_MAX + 16], gfull[PATH_MAX + 16];
	const char *q, *colon;
	size_t kind;

	if (!skill_perm_valid(perm, NULL))
		return 0;
	if (!strncmp(perm, "exec:", 5) && perm[5] != '/' && perm[5] != '~') {
		if (skill_program_path(perm + 5, want, sizeof want))
			return 0;
	} else
		skill_perm_expand(perm, want, sizeof want);
	colon = strchr(want, ':');
	kind = colon && strcmp(want, "net") && strncmp(want, "env:", 4)
	    ? (size_t)(colon - want + 1) : 0;
	for (q = granted; q && line_next(&q, g, sizeof g);) {
		skill_perm_expand(g, gfull, sizeof gfull);
		if (kind ? !strncmp(gfull, want, kind) && beneath(want + kind, gfull + kind)
		    : !strcmp(gfull, want))
			return 1;
	}
	return 0;
}

int
skill_ungranted(sqlite3 *db, const struct skill *k, const char *only, struct buf *why)
{
	char *granted, want[PATH_MAX];
	const char *p;
	int rc;

	if (only)
		granted = strdup(only);
	else if ((rc = skill_grants(db, k, &granted)))
		return rc;
	if (!granted)
		return err_set(EX_SOFTWARE, "out of memory");
	for (p = k->permissions; line_next(&p, want, sizeof want);)
		if (!covered(want, granted))
			buf_printf(why, "%s%s", why->len ? "\n" : "", want);
	free(granted);
	return 0;
}

/* Does the skill ask for a permission of grant's kind (net and env:VAR: that one)? */
static int
asked(const struct skill *k, const char *grant, size_t n)
{
	const char *p = k->permissions, *colon = memchr(grant, ':', n);
	size_t kind = colon && (strncmp(grant, "fs.", 3) == 0 || strncmp(grant, "exec:", 5) == 0)
	    ? (size_t)(colon - grant + 1) : n;

	while (p && *p) {
		size_t len = strcspn(p, "\n");
		if (len >= kind && strncmp(p, grant, kind) == 0 && (kind < n || len == n))
			return 1;
		p += len + (p[len] == '\n');
	}
	return 0;
}

void
skill_grants_cut(const struct skill *k, char *grants)
{
	char *r = grants, *w = grants;

	while (*r) {
		size_t n = strcspn(r, "\n");
		if (strncmp(r, "fs.", 3) == 0 || strncmp(r, "exec:", 5) == 0 || asked(k, r, n)) {
			if (w != grants)
				*w++ = '\n';
			memmove(w, r, n);
			w += n;
		}
		r += n + (r[n] == '\n');
	}
	*w = '\0';
}

void
skill_grant_command(const char *name, const char *perm, struct buf *b)
{
	static const char plain[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	    "._+-/:~@%,=";
	const char *s;
	int refused;

	skill_perm_broad(perm, &refused);
	buf_printf(b, "claw-skill grant %s%s ", refused ? "--force " : "", name);
	if (strspn(perm, plain) == strlen(perm)) {
		buf_adds(b, perm);
		return;
	}
	buf_addc(b, '\'');
	for (s = perm; *s; s++)
		if (*s == '\'')
			buf_adds(b, "'\\''");
		else
			buf_addc(b, *s);
	buf_addc(b, '\'');
}
