/* index: discovery and the index.  A skill is a directory holding SKILL.md; its
 * signature (mtime and size of SKILL.md, config.json, run, index.js) decides
 * whether the index row is still good, so `list` parses nothing that is unchanged. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "base/path.h"
#include "skill/eligible.h"
#include "skill/grant.h"
#include "skill/index.h"
#include "skill/skillmd.h"
#include "store/store.h"

#define SIG_MAX (8 * 17)   /* eight numbers in hex, each with its separator */

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

/* The whole file, or NULL (err set) when it is missing, unreadable or over the cap. */
static char *
slurp(const char *path, size_t *len)
{
	struct buf b = BUF_INIT;

	if (file_read(path, SKILLMD_MAXFILE, &b) || !b.p) {
		buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return buf_steal(&b);
}

/* v as hex digits and a separator at p, which has room for 17 bytes: the next p. */
static char *
put_hex(char *p, unsigned long long v, char sep)
{
	char t[16];
	int n = 0;

	do
		t[n++] = "0123456789abcdef"[v & 15];
	while (v >>= 4);
	while (n)
		*p++ = t[--n];
	*p++ = sep;
	return p;
}

/* The signature of skill directory name under the root open as rootfd: the
 * directory's own mtime (entries added, removed, renamed: run, index.js) and the
 * mtime and size of SKILL.md and config.json, read relative to the root so no
 * path is walked twice; in hex, built by hand (snprintf for each skill was a tenth
 * of `claw-skill list`).  0, or -1 when it holds no SKILL.md (then it is no skill). */
static int
sig_of(int rootfd, const char *name, char sig[SIG_MAX])
{
	char path[NAME_MAX + sizeof "/config.json"], *p;
	size_t len = strlen(name);
	struct stat d, md, cj;

	if (len > NAME_MAX || fstatat(rootfd, name, &d, 0) < 0 || !S_ISDIR(d.st_mode))
		return -1;
	memcpy(path, name, len);
	memcpy(path + len, "/SKILL.md", sizeof "/SKILL.md");
	if (fstatat(rootfd, path, &md, 0) < 0 || !S_ISREG(md.st_mode))
		return -1;
	memcpy(path + len, "/config.json", sizeof "/config.json");
	if (fstatat(rootfd, path, &cj, 0) < 0)
		memset(&cj, 0, sizeof cj);
	p = put_hex(sig, (unsigned long long)d.st_mtim.tv_sec, '.');
	p = put_hex(p, (unsigned long long)d.st_mtim.tv_nsec, ',');
	p = put_hex(p, (unsigned long long)md.st_mtim.tv_sec, '.');
	p = put_hex(p, (unsigned long long)md.st_mtim.tv_nsec, ':');
	p = put_hex(p, (unsigned long long)md.st_size, ',');
	p = put_hex(p, (unsigned long long)cj.st_mtim.tv_sec, '.');
	p = put_hex(p, (unsigned long long)cj.st_mtim.tv_nsec, ':');
	p = put_hex(p, (unsigned long long)cj.st_size, '\0');
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

/* One skill directory as read: its front matter, or why it is broken. */
struct entry {
	struct skillmd md;
	int parsed;
	char *text, *config;
	const char *kind;
	char error[1024];
};

static const char *
kind_of(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/run", dir);
	if (access(path, X_OK) == 0)
		return "program";
	snprintf(path, sizeof path, "%s/index.js", dir);
	return access(path, R_OK) == 0 ? "node" : "instructions";
}

static void
entry_read(const char *dir, const char *name, struct entry *e)
{
	char path[PATH_MAX], why[96];
	size_t len = 0, clen = 0;

	memset(e, 0, sizeof *e);
	snprintf(path, sizeof path, "%s/SKILL.md", dir);
	if (!(e->text = slurp(path, &len)))
		snprintf(e->error, sizeof e->error, "no readable SKILL.md");
	else if (skillmd_parse(e->text, len, name, &e->md))
		snprintf(e->error, sizeof e->error, "%s", err_msg());
	else
		e->parsed = 1;
	snprintf(path, sizeof path, "%s/config.json", dir);
	if ((e->config = slurp(path, &clen)) && !json_valid(e->config, clen, why, sizeof why)) {
		free(e->config);
		e->config = NULL;
		if (e->parsed) {
			e->parsed = 0;
			skillmd_free(&e->md);
			snprintf(e->error, sizeof e->error, "config.json: not valid JSON");
		}
	}
	e->kind = kind_of(dir);
}

static void
entry_free(struct entry *e)
{
	skillmd_free(&e->md);
	free(e->text);
	free(e->config);
}

/* Parse one skill directory and write its index row. */
static int
index_one(sqlite3 *db, const char *dir, const char *sig)
{
	const struct skillmd_list *list[7];
	const char *name = strrchr(dir, '/');
	char *meta = NULL, *l[7] = { 0 };
	struct entry e;
	sqlite3_stmt *st;
	int rc, i;

	name = name ? name + 1 : dir;
	entry_read(dir, name, &e);
	if (e.parsed) {
		meta = skillmd_to_json(&e.md);
		list[0] = &e.md.triggers, list[1] = &e.md.permissions, list[2] = &e.md.bins;
		list[3] = &e.md.any_bins, list[4] = &e.md.env, list[5] = &e.md.config,
		    list[6] = &e.md.os;
		for (i = 0; i < 7; i++)
			l[i] = lines(list[i]);
	}
	rc = store_prepare(db, &st, "INSERT OR REPLACE INTO skills(dir, name, sig, kind,"
	    " description, triggers,"
	    " permissions, bins, any_bins, env, config_keys, os, timeout, meta, config, error)"
	    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	if (!rc) {
		sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, e.parsed ? e.md.name : name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, sig, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, e.kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, e.parsed ? e.md.description : "", -1, SQLITE_STATIC);
		for (i = 0; i < 7; i++)
			sqlite3_bind_text(st, 6 + i, l[i] ? l[i] : "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 13, e.parsed ? e.md.timeout : SKILLMD_TIMEOUT);
		if (meta)
			sqlite3_bind_text(st, 14, meta, -1, SQLITE_STATIC);
		if (e.config)
			sqlite3_bind_text(st, 15, e.config, -1, SQLITE_STATIC);
		if (!e.parsed)
			sqlite3_bind_text(st, 16, e.error, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(db, "skills");
		sqlite3_finalize(st);
	}
	for (i = 0; i < 7; i++)
		free(l[i]);
	free(meta);
	entry_free(&e);
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

/* The row st stands on, appended to rows: 0 or EX_SOFTWARE. */
static int
row_add(sqlite3_stmt *st, struct skills *rows, size_t *cap)
{
	struct skill *k;

	if (rows->n == *cap) {
		struct skill *v = realloc(rows->v, (*cap = *cap ? *cap * 2 : 64) * sizeof *v);
		if (!v)
			return err_set(EX_SOFTWARE, "out of memory");
		rows->v = v;
	}
	k = &rows->v[rows->n++];
	memset(k, 0, sizeof *k);
	k->dir = col(st, 0); k->name = col(st, 1); k->kind = col(st, 2);
	k->description = col(st, 3); k->triggers = col(st, 4); k->permissions = col(st, 5);
	k->bins = col(st, 6); k->any_bins = col(st, 7); k->env = col(st, 8);
	k->config_keys = col(st, 9); k->os = col(st, 10); k->timeout = sqlite3_column_int64(st, 11);
	k->meta = col(st, 12); k->config = col(st, 13); k->error = col(st, 14);
	k->sig = col(st, 15);
	return 0;
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
	if ((rc = store_prepare(db, &st,
	    "SELECT dir, name, kind, description, triggers, permissions, bins,"
	    " any_bins, env, config_keys, os, timeout, meta, config, error, sig FROM skills"
	    " WHERE dir > ?1 || '/' AND dir < ?1 || '0'")))
		return rc;
	for (r = 0; r < seen->nroots && !rc; r++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, seen->roots[r], -1, SQLITE_STATIC);
		int step = SQLITE_DONE;
		while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW)
			rc = row_add(st, rows, &cap);
		if (!rc)
			rc = store_step_done(db, step, "skills");
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
			char sig[SIG_MAX];
			size_t rn, dn;
			if (e->d_name[0] == '.' || (e->d_type != DT_DIR && e->d_type != DT_LNK
			    && e->d_type != DT_UNKNOWN))
				continue;
			if (sig_of(dirfd(d), e->d_name, sig) < 0)
				continue;
			/* ROOT/NAME by memcpy: snprintf for each was a tenth of a list
			 * from its copy.  A path too long for PATH_MAX is no skill. */
			rn = strlen(seen->roots[r]), dn = strlen(e->d_name);
			if (rn + 1 + dn >= sizeof dir)
				continue;
			memcpy(dir, seen->roots[r], rn);
			dir[rn] = '/';
			memcpy(dir + rn + 1, e->d_name, dn + 1);
			if (seen_add(seen, dir, sig) < 0) {
				closedir(d);
				return err_set(EX_SOFTWARE, "out of memory");
			}
		}
		closedir(d);
	}
	return 0;
}

/* Re-read the changed and new directories, drop the rows of those that are gone,
 * all in one write transaction, begun only when something changed: 0 or an exit
 * code; *changed says whether rows must be loaded again. */
static int
refresh(sqlite3 *db, const struct seen *seen, struct skills *rows, int *changed)
{
	char **sorted;
	size_t i;
	int rc = 0;

	*changed = 0;
	for (i = 0; i < seen->n && !rc; i++) {
		struct skill *k = row_of(rows, seen->dir[i]);
		if (k && k->sig && strcmp(k->sig, seen->sig[i]) == 0)
			continue;
		if (!*changed && (rc = store_begin_write(db)))
			return rc;
		*changed = 1;
		rc = index_one(db, seen->dir[i], seen->sig[i]);
	}
	if (!rc && !(sorted = malloc((seen->n + 1) * sizeof *sorted)))
		rc = err_set(EX_SOFTWARE, "out of memory");
	if (!rc) {
		if (seen->n) {
			memcpy(sorted, seen->dir, seen->n * sizeof *sorted);
			qsort(sorted, seen->n, sizeof *sorted, by_str);
		}
		for (i = 0; i < rows->n && !rc; i++) {
			const char *key = rows->v[i].dir;
			/* Only under a root searched now: another CLAW_SKILLS_PATH's rows
			 * stay for when it is searched again, instead of being re-read. */
			if ((seen->n && bsearch(&key, sorted, seen->n, sizeof *sorted, by_str))
			    || !under_root(seen, key))
				continue;
			if (!*changed && (rc = store_begin_write(db)))
				break;
			*changed = 1;
			rc = forget(db, key);
		}
		free(sorted);
	}
	return *changed ? store_end(db, rc) : rc;
}

/* The rows of the directories seen, sorted by name, then search order, so the
 * first of a name wins and the rest are what it shadows. */
static int
pick(const struct seen *seen, struct skills *rows, struct skills *out)
{
	size_t i, j;

	if (!(out->v = calloc(seen->n + 1, sizeof *out->v)))
		return err_set(EX_SOFTWARE, "out of memory");
	for (i = 0; i < seen->n; i++) {
		struct skill *k = row_of(rows, seen->dir[i]);
		if (!k || !k->name)
			continue;
		out->v[out->n] = *k;            /* moved: the row gives up its strings */
		out->v[out->n++].order = i;
		memset(k, 0, sizeof *k);
		k->dir = strdup(seen->dir[i]);  /* keep the rows sorted and searchable */
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
	return 0;
}

/* What was scanned, in order, unambiguously: "r" and each root, "d" and each
 * skill directory with its signature.  Equal texts are equal scans. */
static void
scan_text(const struct seen *seen, struct buf *b)
{
	size_t i;
	int r;

	for (r = 0; r < seen->nroots; r++) {
		buf_addc(b, 'r');
		buf_add_netstring(b, seen->roots[r], strlen(seen->roots[r]));
	}
	for (i = 0; i < seen->n; i++) {
		buf_addc(b, 'd');
		buf_add_netstring(b, seen->dir[i], strlen(seen->dir[i]));
		buf_add_netstring(b, seen->sig[i], strlen(seen->sig[i]));
	}
}

static void
seen_init(struct seen *seen)
{
	/* Not = { 0 }: that clears 128 kB of roots, which skill_roots fills. */
	seen->dir = seen->sig = NULL;
	seen->n = seen->cap = 0;
	seen->nroots = 0;
}

static void
seen_free(struct seen *seen)
{
	size_t i;

	for (i = 0; i < seen->n; i++) {
		free(seen->dir[i]);
		free(seen->sig[i]);
	}
	free(seen->dir);
	free(seen->sig);
}

int
skill_scan(struct buf *scan)
{
	struct seen seen;
	int rc;

	seen_init(&seen);
	if (!(rc = scan_roots(&seen)))
		scan_text(&seen, scan);
	seen_free(&seen);
	return rc ? rc : scan->oom ? err_set(EX_SOFTWARE, "out of memory") : 0;
}

int
skill_index(sqlite3 *db, struct skills *out)
{
	return skill_index_scan(db, out, NULL);
}

int
skill_index_scan(sqlite3 *db, struct skills *out, struct buf *scan)
{
	struct seen seen;
	struct skills rows = { 0 };
	int rc, changed;

	seen_init(&seen);
	memset(out, 0, sizeof *out);
	if (!(rc = scan_roots(&seen)) && !(rc = load_rows(db, &seen, &rows))
	    && !(rc = refresh(db, &seen, &rows, &changed)) && changed) {
		skills_free(&rows);
		rc = load_rows(db, &seen, &rows);
	}
	if (!rc)
		rc = pick(&seen, &rows, out);
	/* Grants older than their directory go to the skill the name finds now. */
	if (!rc)
		rc = skill_grants_claim(db, out);
	if (!rc && scan)
		scan_text(&seen, scan);
	seen_free(&seen);
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
	if (k->meta && json_member(k->meta, strlen(k->meta), "always", &params, &pn)
	    && pn == 4 && !memcmp(params, "true", 4))
		buf_adds(b, ",\"always\":true");   /* metadata.openclaw.always: every turn */
	if (why.len) {
		buf_adds(b, ",\"missing\":");
		buf_add_json_str(b, why.p, why.len);
	}
	json_lines(b, "permissions", k->permissions);
	json_lines(b, "triggers", k->triggers);
	buf_printf(b, ",\"timeout\":%ld,\"dir\":", k->timeout);
	buf_add_json_str(b, k->dir, strlen(k->dir));
	if (k->config && json_member(k->config, strlen(k->config), "parameters", &params, &pn)
	    && *params == '{') {
		buf_adds(b, ",\"parameters\":");
		json_compact(params, pn, b);       /* one line: config.json may span several */
	}
	buf_addc(b, '}');
	buf_free(&why);
}
