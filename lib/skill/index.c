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

#include "base/clock.h"
#include "store/config.h"
#include "base/err.h"
#include "base/json.h"
#include "base/line.h"
#include "base/path.h"
#include "skill/index.h"
#include "skill/skillmd.h"
#include "store/store.h"

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

/* The signature of skill directory name under the root open as rootfd: the
 * directory's own mtime (entries added, removed, renamed: run, index.js) and the
 * mtime and size of SKILL.md and config.json, read relative to the root so no
 * path is walked twice.  0, or -1 when it holds no SKILL.md (then it is no skill). */
static int
sig_of(int rootfd, const char *name, char *sig, size_t n)
{
	char path[PATH_MAX];
	struct stat d, md, cj;

	if (fstatat(rootfd, name, &d, 0) < 0 || !S_ISDIR(d.st_mode))
		return -1;
	snprintf(path, sizeof path, "%s/SKILL.md", name);
	if (fstatat(rootfd, path, &md, 0) < 0 || !S_ISREG(md.st_mode))
		return -1;
	snprintf(path, sizeof path, "%s/config.json", name);
	if (fstatat(rootfd, path, &cj, 0) < 0)
		memset(&cj, 0, sizeof cj);
	snprintf(sig, n, "%lld.%09ld,%lld.%09ld:%lld,%lld.%09ld:%lld", (long long)d.st_mtim.tv_sec, d.st_mtim.tv_nsec,
	    (long long)md.st_mtim.tv_sec, md.st_mtim.tv_nsec, (long long)md.st_size,
	    (long long)cj.st_mtim.tv_sec, cj.st_mtim.tv_nsec, (long long)cj.st_size);
	return 0;
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
	char **dir, **sig;
	size_t n, cap;
	char roots[SKILL_MAXROOTS][PATH_MAX];
	int nroots;
};

static int
under_root(const struct seen *s, const char *dir)
{
	int r;

	for (r = 0; r < s->nroots; r++) {
		size_t n = strlen(s->roots[r]);
		if (strncmp(dir, s->roots[r], n) == 0 && dir[n] == '/' && !strchr(dir + n + 1, '/'))
			return 1;
	}
	return 0;
}

static int
seen_add(struct seen *s, const char *dir, const char *sig)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char **d = realloc(s->dir, cap * sizeof *d), **g;
		if (!d)
			return -1;
		s->dir = d;
		if (!(g = realloc(s->sig, cap * sizeof *g)))
			return -1;
		s->sig = g;
		s->cap = cap;
	}
	s->dir[s->n] = strdup(dir);
	s->sig[s->n] = strdup(sig);
	if (!s->dir[s->n] || !s->sig[s->n]) {
		free(s->dir[s->n]);
		free(s->sig[s->n]);
		return -1;
	}
	s->n++;
	return 0;
}

static char *
col(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	return t ? strdup(t) : NULL;
}

static int
by_name_order(const void *a, const void *b)
{
	const struct skill *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->order > y->order) - (x->order < y->order);
}

static int
by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
by_dir(const void *a, const void *b)
{
	return strcmp(((const struct skill *)a)->dir, ((const struct skill *)b)->dir);
}

static void
skill_clear(struct skill *k)
{
	free(k->name); free(k->dir); free(k->kind); free(k->description); free(k->triggers);
	free(k->permissions); free(k->bins); free(k->any_bins); free(k->env); free(k->config_keys);
	free(k->os); free(k->meta); free(k->config); free(k->error); free(k->shadows); free(k->sig);
	memset(k, 0, sizeof *k);
}

/* The index rows under the roots searched now, sorted by dir: one range query
 * per root on the primary key ('/' + 1 is '0'). */
static int
load_rows(sqlite3 *db, const struct seen *seen, struct skills *rows)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc, r;

	memset(rows, 0, sizeof *rows);
	if ((rc = store_prepare(db, &st, "SELECT dir, name, kind, description, triggers, permissions, bins,"
	    " any_bins, env, config_keys, os, timeout, meta, config, error, sig FROM skills"
	    " WHERE dir > ?1 || '/' AND dir < ?1 || '0'")))
		return rc;
	for (r = 0; r < seen->nroots; r++) {
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, seen->roots[r], -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct skill *k;
		if (rows->n == cap) {
			struct skill *v = realloc(rows->v, (cap = cap ? cap * 2 : 64) * sizeof *v);
			if (!v) {
				rc = err_set(EX_SOFTWARE, "out of memory");
				break;
			}
			rows->v = v;
		}
		k = &rows->v[rows->n++];
		memset(k, 0, sizeof *k);
		k->dir = col(st, 0); k->name = col(st, 1); k->kind = col(st, 2);
		k->description = col(st, 3); k->triggers = col(st, 4); k->permissions = col(st, 5);
		k->bins = col(st, 6); k->any_bins = col(st, 7); k->env = col(st, 8);
		k->config_keys = col(st, 9); k->os = col(st, 10); k->timeout = sqlite3_column_int64(st, 11);
		k->meta = col(st, 12); k->config = col(st, 13); k->error = col(st, 14); k->sig = col(st, 15);
	}
	}
	sqlite3_finalize(st);
	if (rows->n)
		qsort(rows->v, rows->n, sizeof *rows->v, by_dir);
	return rc;
}

static struct skill *
row_of(struct skills *rows, const char *dir)
{
	struct skill key = { .dir = (char *)dir };

	return rows->n ? bsearch(&key, rows->v, rows->n, sizeof *rows->v, by_dir) : NULL;
}

static int
forget(sqlite3 *db, const char *dir)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(db, &st, "DELETE FROM skills WHERE dir = ?")))
		return rc;
	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(db, "skills");
	sqlite3_finalize(st);
	return rc;
}

/* The skill directories under the roots, in search order. */
static int
scan_roots(struct seen *seen)
{
	char dir[PATH_MAX];
	int r, rc;

	if ((rc = skill_roots(seen->roots, &seen->nroots)))
		return rc;
	for (r = 0; r < seen->nroots; r++) {
		DIR *d = opendir(seen->roots[r]);
		struct dirent *e;
		if (!d)
			continue;
		while ((e = readdir(d))) {
			char sig[512];
			if (e->d_name[0] == '.' || (e->d_type != DT_DIR && e->d_type != DT_LNK && e->d_type != DT_UNKNOWN))
				continue;
			if (sig_of(dirfd(d), e->d_name, sig, sizeof sig) < 0)
				continue;
			snprintf(dir, sizeof dir, "%s/%s", seen->roots[r], e->d_name);
			if (seen_add(seen, dir, sig) < 0) {
				closedir(d);
				return err_set(EX_SOFTWARE, "out of memory");
			}
		}
		closedir(d);
	}
	return 0;
}

int
skill_index(sqlite3 *db, struct skills *out)
{
	struct seen seen = { 0 };
	struct skills rows = { 0 };
	char **sorted = NULL;
	int rc, writing = 0;
	size_t i, j, changed = 0;

	memset(out, 0, sizeof *out);
	if ((rc = scan_roots(&seen)) || (rc = load_rows(db, &seen, &rows)))
		goto out;
	for (i = 0; i < seen.n && !rc; i++) {
		struct skill *k = row_of(&rows, seen.dir[i]);
		if (k && k->sig && strcmp(k->sig, seen.sig[i]) == 0)
			continue;
		/* Changed or new: one write transaction for all of them. */
		if (!writing && (rc = store_begin_write(db)))
			break;
		writing = 1;
		rc = index_one(db, seen.dir[i], seen.sig[i]);
		changed++;
	}
	/* Rows of directories that are gone. */
	if (!rc && !(sorted = malloc((seen.n + 1) * sizeof *sorted)))
		rc = err_set(EX_SOFTWARE, "out of memory");
	if (!rc) {
		if (seen.n) {
			memcpy(sorted, seen.dir, seen.n * sizeof *sorted);
			qsort(sorted, seen.n, sizeof *sorted, by_str);
		}
	}
	for (i = 0; i < rows.n && !rc; i++) {
		const char *key = rows.v[i].dir;
		if (seen.n && bsearch(&key, sorted, seen.n, sizeof *sorted, by_str))
			continue;
		/* Only under a root searched now: another CLAW_SKILLS_PATH's rows stay
		 * for when it is searched again, instead of being re-read each time. */
		if (!under_root(&seen, key))
			continue;
		if (!writing && (rc = store_begin_write(db)))
			break;
		writing = 1;
		rc = forget(db, rows.v[i].dir);
		changed++;
	}
	if (writing && (rc ? (store_rollback(db), rc) : (rc = store_commit(db))))
		goto out;
	if (changed) {
		skills_free(&rows);
		if ((rc = load_rows(db, &seen, &rows)))
			goto out;
	}

	/* The rows of the directories seen; sorted by name, then search order, so
	 * the first of a name wins and the rest are what it shadows. */
	if (!(out->v = calloc(seen.n + 1, sizeof *out->v))) {
		rc = err_set(EX_SOFTWARE, "out of memory");
		goto out;
	}
	for (i = 0; i < seen.n; i++) {
		struct skill *k = row_of(&rows, seen.dir[i]);
		if (!k || !k->name)
			continue;
		out->v[out->n] = *k;            /* moved: the row gives up its strings */
		out->v[out->n++].order = i;
		memset(k, 0, sizeof *k);
		k->dir = strdup(seen.dir[i]);   /* keep the rows sorted and searchable */
	}
	qsort(out->v, out->n, sizeof *out->v, by_name_order);
	for (i = 0, j = 0; i < out->n; i++) {
		if (j > 0 && strcmp(out->v[j - 1].name, out->v[i].name) == 0) {
			struct buf b = BUF_INIT;
			if (out->v[j - 1].shadows)
				buf_printf(&b, "%s\n", out->v[j - 1].shadows);
			buf_adds(&b, out->v[i].dir);
			free(out->v[j - 1].shadows);
			out->v[j - 1].shadows = buf_steal(&b);
			skill_clear(&out->v[i]);
			continue;
		}
		if (j != i)
			out->v[j] = out->v[i];
		j++;
	}
	out->n = j;
out:
	for (i = 0; i < seen.n; i++) {
		free(seen.dir[i]);
		free(seen.sig[i]);
	}
	free(seen.dir);
	free(seen.sig);
	free(sorted);
	skills_free(&rows);
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
	for (p = p ? p : PATH_DEFAULT; *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ":");
		snprintf(path, sizeof path, "%.*s/%s", (int)(end - p), end == p ? "." : p, bin);
		if (access(path, X_OK) == 0)
			return 1;
	}
	return 0;
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

	for (p = k->bins; line_next(&p, b, sizeof b);)
		if (!on_path(b))
			buf_printf(why, "%sbins: %s", why->len > start ? "; " : "", b);
	for (p = k->any_bins; line_next(&p, b, sizeof b);) {
		any = 1;
		anyok |= on_path(b);
	}
	if (any && !anyok)
		buf_printf(why, "%sanyBins: one of %s", why->len > start ? "; " : "", k->any_bins);
	for (p = k->env; line_next(&p, b, sizeof b);)
		if (!getenv(b) || !*getenv(b))
			buf_printf(why, "%senv: %s", why->len > start ? "; " : "", b);
	for (p = k->config_keys; line_next(&p, b, sizeof b);) {
		char *v = NULL;
		if (config_check_key(b) || config_get(db, b, &v, NULL))
			buf_printf(why, "%sconfig: %s", why->len > start ? "; " : "", b);
		free(v);
	}
	for (p = k->os; line_next(&p, b, sizeof b);) {
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
	if (strncmp(perm, "exec:", 5) == 0 && perm[5] && perm[5] != '/' && perm[5] != '~')
		return strspn(perm + 5, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+-")
		    == strlen(perm + 5) && strcmp(perm + 5, ".") && strcmp(perm + 5, "..");   /* a program name */
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

	char full[PATH_MAX + 8];

	if (on && !skill_perm_valid(perm))
		return err_set(EX_USAGE, "%s: not a permission (net, fs.read:PATH, fs.write:PATH, exec:PATH, env:VAR)", perm);
	/* exec:ls is stored as the program a skill would run: its path on the
	 * sandbox's PATH, which is what the kernel and the skill both see. */
	if (strncmp(perm, "exec:", 5) == 0 && perm[5] != '/' && perm[5] != '~') {
		static const char *const dirs[] = { "/usr/local/bin", "/usr/bin", "/bin" };
		size_t i;
		for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
			snprintf(full, sizeof full, "exec:%s/%s", dirs[i], perm + 5);
			if (access(full + 5, X_OK) == 0)
				break;
		}
		if (i == sizeof dirs / sizeof dirs[0])
			return err_set(EX_NOINPUT, "%s: no such program in /usr/local/bin, /usr/bin or /bin", perm + 5);
		perm = full;
	}
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

	for (p = k->permissions; line_next(&p, want, sizeof want);) {
		char full[PATH_MAX + 16];
		int ok = 0;
		expand(want, full, sizeof full);
		for (q = granted; line_next(&q, g, sizeof g);) {
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

static void
json_lines(struct buf *b, const char *key, const char *lines)
{
	buf_printf(b, ",\"%s\":", key);
	buf_add_json_lines(b, lines);
}

void
skill_json(sqlite3 *db, const struct skill *k, struct buf *b)
{
	struct buf why = BUF_INIT;
	const char *params;
	size_t pn;

	skill_missing(db, k, &why);
	buf_adds(b, "{\"type\":\"skill\",\"name\":");
	buf_add_json_str(b, k->name, strlen(k->name));
	buf_adds(b, ",\"kind\":");
	buf_add_json_str(b, k->kind, strlen(k->kind));
	buf_adds(b, ",\"description\":");
	buf_add_json_str(b, k->description, strlen(k->description));
	buf_printf(b, ",\"eligible\":%s", why.len ? "false" : "true");
	if (why.len) {
		buf_adds(b, ",\"missing\":");
		buf_add_json_str(b, why.p, why.len);
	}
	json_lines(b, "permissions", k->permissions);
	json_lines(b, "triggers", k->triggers);
	buf_printf(b, ",\"timeout\":%ld,\"dir\":", k->timeout);
	buf_add_json_str(b, k->dir, strlen(k->dir));
	if (k->config && json_member(k->config, strlen(k->config), "parameters", &params, &pn) && *params == '{') {
		buf_adds(b, ",\"parameters\":");
		json_compact(params, pn, b);       /* one line: config.json may span several */
	}
	buf_addc(b, '}');
	buf_free(&why);
}
