/* skill: discovery and the index.  A skill is a directory holding SKILL.md; its
 * signature (mtime and size of SKILL.md, config.json, run, index.js) decides
 * whether the index row is still good, so `list` parses nothing that is unchanged. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "err.h"
#include "json.h"
#include "path.h"
#include "skill.h"
#include "skillmd.h"
#include "store.h"

#define FILE_MAX (1u << 20)     /* SKILL.md and config.json are read whole; bigger is refused */

int
skill_roots(char roots[][PATH_MAX], int *n)
{
	const char *env = getenv("CLAW_SKILLS_PATH"), *p, *end;
	char self[PATH_MAX];
	int rc;

	*n = 0;
	for (p = env ? env : ""; *p && *n < SKILL_MAXROOTS - 3; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ":");
		if (end > p && (size_t)(end - p) < PATH_MAX)
			snprintf(roots[(*n)++], PATH_MAX, "%.*s", (int)(end - p), p);
	}
	if ((rc = path_in_home(roots[*n], PATH_MAX, "skills")))
		return rc;
	(*n)++;
	/* The built-in skills: beside an installed program, else where make install puts them. */
	if (path_self_dir(self, sizeof self) == 0) {
		snprintf(roots[*n], PATH_MAX, "%s/../share/claw/skills", self);
		if (access(roots[*n], X_OK) == 0)
			return (*n)++, 0;
	}
	snprintf(roots[(*n)++], PATH_MAX, "%s/skills", CLAW_SHAREDIR);
	return 0;
}

static char *
slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct buf b = BUF_INIT;
	char chunk[16384];
	ssize_t n;

	if (fd < 0)
		return NULL;
	while ((n = read(fd, chunk, sizeof chunk)) > 0 && b.len <= FILE_MAX)
		buf_add(&b, chunk, (size_t)n);
	close(fd);
	if (n < 0 || b.len > FILE_MAX || b.oom) {
		buf_free(&b);
		return NULL;
	}
	if (len)
		*len = b.len;
	return buf_steal(&b);
}

static void
sig_of(const char *dir, char *sig, size_t n)
{
	static const char *const files[] = { "SKILL.md", "config.json", "run", "index.js" };
	char path[PATH_MAX];
	struct stat st;
	size_t i, used = 0;

	sig[0] = '\0';
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		if (stat(path, &st) == 0)
			used += (size_t)snprintf(sig + used, used < n ? n - used : 0, "%s%lld.%09ld:%lld:%o",
			    i ? "," : "", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (long long)st.st_size,
			    (unsigned)st.st_mode & 0777);
		else
			used += (size_t)snprintf(sig + used, used < n ? n - used : 0, "%s-", i ? "," : "");
	}
}

static char *
lines(const struct skillmd_list *l)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < l->n; i++)
		buf_printf(&b, "%s%s", i ? "\n" : "", l->v[i]);
	return buf_steal(&b);
}

/* Parse one skill directory and write its index row. */
static int
index_one(sqlite3 *db, const char *dir, const char *sig)
{
	char path[PATH_MAX], *text, *config = NULL, *meta = NULL, *l[7] = { 0 };
	const char *name = strrchr(dir, '/'), *kind = "instructions";
	struct skillmd md;
	sqlite3_stmt *st;
	size_t len = 0, clen = 0;
	int rc, i, parsed;

	name = name ? name + 1 : dir;
	snprintf(path, sizeof path, "%s/SKILL.md", dir);
	text = slurp(path, &len);
	parsed = text && skillmd_parse(text, len, name, &md) == 0;
	if (!parsed)
		memset(&md, 0, sizeof md);
	snprintf(path, sizeof path, "%s/config.json", dir);
	if ((config = slurp(path, &clen)) && !json_valid(config, clen, path, sizeof path)) {
		free(config);
		config = NULL;
		if (parsed) {
			parsed = 0;
			skillmd_free(&md);
			memset(&md, 0, sizeof md);
			err_set(EX_DATAERR, "config.json: not valid JSON");
		}
	}
	snprintf(path, sizeof path, "%s/run", dir);
	if (access(path, X_OK) == 0)
		kind = "program";
	else if (snprintf(path, sizeof path, "%s/index.js", dir), access(path, R_OK) == 0)
		kind = "node";
	if (parsed) {
		meta = skillmd_to_json(&md);
		l[0] = lines(&md.triggers);
		l[1] = lines(&md.permissions);
		l[2] = lines(&md.bins);
		l[3] = lines(&md.any_bins);
		l[4] = lines(&md.env);
		l[5] = lines(&md.config);
		l[6] = lines(&md.os);
	}
	rc = store_prepare(db, &st, "INSERT OR REPLACE INTO skills(dir, name, sig, kind, description, triggers,"
	    " permissions, bins, any_bins, env, config_keys, os, timeout, meta, config, error)"
	    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	if (!rc) {
		sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, parsed ? md.name : name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, sig, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, parsed && md.description ? md.description : "", -1, SQLITE_STATIC);
		for (i = 0; i < 7; i++)
			sqlite3_bind_text(st, 6 + i, l[i] ? l[i] : "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 13, parsed ? md.timeout : 30);
		if (meta)
			sqlite3_bind_text(st, 14, meta, -1, SQLITE_STATIC);
		if (config)
			sqlite3_bind_text(st, 15, config, -1, SQLITE_STATIC);
		if (!parsed)
			sqlite3_bind_text(st, 16, text ? err_msg() : "no readable SKILL.md", -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(db, "skills");
		sqlite3_finalize(st);
	}
	for (i = 0; i < 7; i++)
		free(l[i]);
	if (parsed)
		skillmd_free(&md);
	free(meta);
	free(config);
	free(text);
	return rc;
}

struct seen {
	char **dir;
	size_t n, cap;
};

static int
seen_add(struct seen *s, const char *dir)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char **d = realloc(s->dir, cap * sizeof *d);
		if (!d)
			return -1;
		s->dir = d;
		s->cap = cap;
	}
	return (s->dir[s->n++] = strdup(dir)) ? 0 : -1;
}

/* The row's stored signature for dir, or "" when there is none. */
static void
stored_sig(sqlite3_stmt *st, const char *dir, char *sig, size_t n)
{
	sig[0] = '\0';
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(sig, n, "%s", (const char *)sqlite3_column_text(st, 0));
}

static char *
col(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	return t ? strdup(t) : NULL;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct skill *)a)->name, ((const struct skill *)b)->name);
}

static void
skill_clear(struct skill *k)
{
	free(k->name); free(k->dir); free(k->kind); free(k->description); free(k->triggers);
	free(k->permissions); free(k->bins); free(k->any_bins); free(k->env); free(k->config_keys);
	free(k->os); free(k->meta); free(k->config); free(k->error); free(k->shadows);
	memset(k, 0, sizeof *k);
}

int
skill_index(sqlite3 *db, struct skills *out)
{
	char roots[SKILL_MAXROOTS][PATH_MAX], dir[PATH_MAX], sig[512], old[512];
	struct seen seen = { 0 };
	sqlite3_stmt *get = NULL, *st = NULL;
	int nroots, r, rc, writing = 0;
	size_t i, j;

	memset(out, 0, sizeof *out);
	if ((rc = skill_roots(roots, &nroots)))
		return rc;
	if ((rc = store_prepare(db, &get, "SELECT sig FROM skills WHERE dir = ?")))
		return rc;
	for (r = 0; r < nroots && !rc; r++) {
		DIR *d = opendir(roots[r]);
		struct dirent *e;
		if (!d)
			continue;
		while (!rc && (e = readdir(d))) {
			struct stat sb;
			if (e->d_name[0] == '.')
				continue;
			snprintf(dir, sizeof dir, "%s/%s/SKILL.md", roots[r], e->d_name);
			if (stat(dir, &sb) < 0 || !S_ISREG(sb.st_mode))
				continue;
			snprintf(dir, sizeof dir, "%s/%s", roots[r], e->d_name);
			if (seen_add(&seen, dir) < 0) {
				rc = err_set(EX_SOFTWARE, "out of memory");
				break;
			}
			sig_of(dir, sig, sizeof sig);
			stored_sig(get, dir, old, sizeof old);
			if (strcmp(sig, old) == 0)
				continue;
			/* Changed: one write transaction for every changed skill. */
			if (!writing && (rc = store_begin_write(db)))
				break;
			writing = 1;
			rc = index_one(db, dir, sig);
		}
		closedir(d);
	}
	sqlite3_finalize(get);
	if (rc) {
		if (writing)
			store_rollback(db);
		goto out;
	}
	if (writing && (rc = store_commit(db)))
		goto out;

	/* Load the rows of the directories seen now, in root order; forget the rest. */
	if ((rc = store_prepare(db, &st, "SELECT dir, name, kind, description, triggers, permissions, bins,"
	    " any_bins, env, config_keys, os, timeout, meta, config, error FROM skills WHERE dir = ?")))
		goto out;
	if (!(out->v = calloc(seen.n + 1, sizeof *out->v))) {
		rc = err_set(EX_SOFTWARE, "out of memory");
		goto out;
	}
	for (i = 0; i < seen.n; i++) {
		struct skill *k = &out->v[out->n];
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, seen.dir[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW)
			continue;
		k->dir = col(st, 0); k->name = col(st, 1); k->kind = col(st, 2);
		k->description = col(st, 3); k->triggers = col(st, 4); k->permissions = col(st, 5);
		k->bins = col(st, 6); k->any_bins = col(st, 7); k->env = col(st, 8);
		k->config_keys = col(st, 9); k->os = col(st, 10); k->timeout = sqlite3_column_int64(st, 11);
		k->meta = col(st, 12); k->config = col(st, 13); k->error = col(st, 14);
		/* The first of a name wins; later ones are recorded as shadowed. */
		for (j = 0; j < out->n; j++)
			if (strcmp(out->v[j].name, k->name) == 0)
				break;
		if (j < out->n) {
			struct buf b = BUF_INIT;
			if (out->v[j].shadows)
				buf_printf(&b, "%s\n", out->v[j].shadows);
			buf_adds(&b, k->dir);
			free(out->v[j].shadows);
			out->v[j].shadows = buf_steal(&b);
			skill_clear(k);
			continue;
		}
		out->n++;
	}
	sqlite3_finalize(st);
	qsort(out->v, out->n, sizeof *out->v, by_name);
	/* Rows for directories that are gone. */
	if (!store_begin_write(db)) {
		if (!store_prepare(db, &st, "SELECT dir FROM skills")) {
			struct seen gone = { 0 };
			while (sqlite3_step(st) == SQLITE_ROW) {
				const char *d = (const char *)sqlite3_column_text(st, 0);
				for (i = 0; i < seen.n && strcmp(seen.dir[i], d); i++)
					;
				if (i == seen.n)
					seen_add(&gone, d);
			}
			sqlite3_finalize(st);
			for (i = 0; i < gone.n; i++) {
				if (!store_prepare(db, &st, "DELETE FROM skills WHERE dir = ?")) {
					sqlite3_bind_text(st, 1, gone.dir[i], -1, SQLITE_STATIC);
					sqlite3_step(st);
					sqlite3_finalize(st);
				}
				free(gone.dir[i]);
			}
			free(gone.dir);
		}
		store_commit(db);
	}
out:
	for (i = 0; i < seen.n; i++)
		free(seen.dir[i]);
	free(seen.dir);
	if (rc)
		skills_free(out);
	return rc;
}

void
skills_free(struct skills *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		skill_clear(&s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

struct skill *
skill_find(struct skills *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return &s->v[i];
	return NULL;
}

static int
on_path(const char *bin)
{
	const char *p = getenv("PATH"), *end;
	char path[PATH_MAX];

	if (strchr(bin, '/'))
		return access(bin, X_OK) == 0;
	for (p = p ? p : "/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ":");
		snprintf(path, sizeof path, "%.*s/%s", (int)(end - p), end == p ? "." : p, bin);
		if (access(path, X_OK) == 0)
			return 1;
	}
	return 0;
}

/* The next line of *p into item: 1, or 0 at the end of the list. */
static int
next_line(const char **p, char *item, size_t n)
{
	size_t len;

	if (!*p || !**p)
		return 0;
	len = strcspn(*p, "\n");
	snprintf(item, n, "%.*s", (int)len, *p);
	*p += len + ((*p)[len] == '\n');
	return 1;
}

void
skill_missing(sqlite3 *db, const struct skill *k, struct buf *why)
{
	int any = 0, anyok = 0, osok = 0, oses = 0;
	size_t start = why->len;

	if (k->error) {
		buf_printf(why, "broken: %s", k->error);
		return;
	}
	const char *p;
	char b[512];

	for (p = k->bins; next_line(&p, b, sizeof b);)
		if (!on_path(b))
			buf_printf(why, "%sbins: %s", why->len > start ? "; " : "", b);
	for (p = k->any_bins; next_line(&p, b, sizeof b);) {
		any = 1;
		anyok |= on_path(b);
	}
	if (any && !anyok)
		buf_printf(why, "%sanyBins: one of %s", why->len > start ? "; " : "", k->any_bins);
	for (p = k->env; next_line(&p, b, sizeof b);)
		if (!getenv(b) || !*getenv(b))
			buf_printf(why, "%senv: %s", why->len > start ? "; " : "", b);
	for (p = k->config_keys; next_line(&p, b, sizeof b);) {
		char *v = NULL;
		if (config_check_key(b) || config_get(db, b, &v, NULL))
			buf_printf(why, "%sconfig: %s", why->len > start ? "; " : "", b);
		free(v);
	}
	for (p = k->os; next_line(&p, b, sizeof b);) {
		oses = 1;
		osok |= strcmp(b, "linux") == 0;
	}
	if (oses && !osok)
		buf_printf(why, "%sos: %s", why->len > start ? "; " : "", k->os);
	if (why->len > start)
		for (char *s = why->p + start; *s; s++)
			if (*s == '\n')
				*s = ',';
}

int
skill_perm_valid(const char *perm)
{
	if (strcmp(perm, "net") == 0)
		return 1;
	if (strncmp(perm, "fs.read:", 8) == 0 || strncmp(perm, "fs.write:", 9) == 0 || strncmp(perm, "exec:", 5) == 0) {
		const char *p = strchr(perm, ':') + 1;
		return (*p == '/' || *p == '~') && !strstr(p, "/../") && strcmp(p + strlen(p) - (strlen(p) >= 3 ? 3 : 0), "/..")
		    && strlen(p) < PATH_MAX && !strpbrk(p, "\n\r");
	}
	if (strncmp(perm, "env:", 4) == 0) {
		const char *p = perm + 4;
		if (!*p || (*p >= '0' && *p <= '9'))
			return 0;
		return strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == strlen(p);
	}
	return 0;
}

int
skill_grant(sqlite3 *db, const char *name, const char *perm, int on)
{
	sqlite3_stmt *st;
	int rc;

	if (on && !skill_perm_valid(perm))
		return err_set(EX_USAGE, "%s: not a permission (net, fs.read:PATH, fs.write:PATH, exec:PATH, env:VAR)", perm);
	if ((rc = store_prepare(db, &st, on ? "INSERT OR REPLACE INTO grants(skill, perm, ts) VALUES(?, ?, ?)"
	    : "DELETE FROM grants WHERE skill = ? AND perm = ?")))
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, perm, -1, SQLITE_STATIC);
	if (on)
		sqlite3_bind_int64(st, 3, clock_wall_ms());
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(db, "grants");
	sqlite3_finalize(st);
	if (!rc && !on && sqlite3_changes(db) == 0)
		rc = err_set(EX_NORESULT, "%s: %s was not granted", name, perm);
	return rc;
}

int
skill_grants(sqlite3 *db, const char *name, char **out)
{
	struct buf b = BUF_INIT;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	if ((rc = store_prepare(db, &st, "SELECT perm FROM grants WHERE skill = ? ORDER BY perm")))
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		buf_printf(&b, "%s%s", b.len ? "\n" : "", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	*out = buf_steal(&b);
	return *out ? 0 : err_set(EX_SOFTWARE, "out of memory");
}

/* ~ in a permission means the home directory. */
static void
expand(const char *perm, char *dst, size_t n)
{
	const char *colon = strchr(perm, ':'), *home = getenv("HOME");

	if (colon && colon[1] == '~' && (colon[2] == '/' || colon[2] == '\0') && home)
		snprintf(dst, n, "%.*s%s%s", (int)(colon - perm + 1), perm, home, colon + 2);
	else
		snprintf(dst, n, "%s", perm);
}

int
skill_ungranted(sqlite3 *db, const struct skill *k, const char *extra, struct buf *why)
{
	char *granted;
	int rc;

	if ((rc = skill_grants(db, k->name, &granted)))
		return rc;
	if (extra && *extra) {
		struct buf g = BUF_INIT;
		buf_printf(&g, "%s%s%s", granted, *granted ? "\n" : "", extra);
		free(granted);
		if (!(granted = buf_steal(&g)))
			return err_set(EX_SOFTWARE, "out of memory");
	}
	const char *p, *q;
	char want[PATH_MAX], g[PATH_MAX];

	for (p = k->permissions; next_line(&p, want, sizeof want);) {
		char full[PATH_MAX + 16];
		int ok = 0;
		expand(want, full, sizeof full);
		for (q = granted; next_line(&q, g, sizeof g);) {
			char gfull[PATH_MAX + 16];
			expand(g, gfull, sizeof gfull);
			/* net and env:VAR need that very grant.  A path permission is met by
			 * any grant of its kind: the kernel then opens only what was granted,
			 * which may be narrower than what the skill asked for. */
			if (strncmp(want, "fs.", 3) == 0 || strncmp(want, "exec:", 5) == 0)
				ok |= strncmp(gfull, full, (size_t)(strchr(full, ':') - full + 1)) == 0;
			else
				ok |= strcmp(gfull, full) == 0;

		}
		if (!ok)
			buf_printf(why, "%s%s", why->len ? "\n" : "", want);
	}
	free(granted);
	return 0;
}
