/* install: copy, check, hash.  A tarball is listed first and refused if any
 * member is absolute, climbs with .., or is not a plain file or directory; only
 * then is it unpacked into a private directory and checked again as a tree. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/file.h"
#include "base/path.h"
#include "base/proc.h"
#include "skill/grant.h"
#include "skill/index.h"
#include "skill/install.h"
#include "skill/skillmd.h"
#include "store/store.h"

struct walk {
	char root[PATH_MAX];
	char **paths;       /* relative paths of files and directories, to sort */
	size_t n, cap, total;
};

static int
add_path(struct walk *w, const char *rel)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		char **p = realloc(w->paths, cap * sizeof *p);
		if (!p)
			return -1;
		w->paths = p;
		w->cap = cap;
	}
	return (w->paths[w->n++] = strdup(rel)) ? 0 : -1;
}

static void
walk_free(struct walk *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->paths[i]);
	free(w->paths);
}

/* Depth-first over root without following links; every entry is judged. */
static int
scan(struct walk *w, const char *rel)
{
	char path[PATH_MAX], sub[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int rc = 0;

	snprintf(path, sizeof path, "%s%s%s", w->root, *rel ? "/" : "", rel);
	if (!(d = opendir(path)))
		return err_set(EX_NOINPUT, "%s:", path);
	while (!rc && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (strpbrk(e->d_name, "\n\r\\"))
			rc = err_set(EX_DATAERR, "%s/%s: a name with a newline or backslash", rel,
			    e->d_name);
		else if (snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "",
		    e->d_name) >= (int)sizeof sub - 64)
			rc = err_set(EX_DATAERR, "%s: path too long", sub);
		else if (snprintf(path, sizeof path, "%s/%s", w->root, sub), lstat(path, &st) < 0)
			rc = err_set(EX_NOINPUT, "%s:", path);
		else if (S_ISLNK(st.st_mode))
			rc = err_set(EX_DATAERR,
			    "%s: a symbolic link (skills are installed without links)", sub);
		else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			rc = err_set(EX_DATAERR, "%s: not a plain file or directory", sub);
		else if (S_ISREG(st.st_mode) && st.st_size > SKILLINST_MAXFILE)
			rc = err_set(EX_DATAERR, "%s: %lld bytes is over the %u-byte cap", sub,
			    (long long)st.st_size,
			    SKILLINST_MAXFILE);
		else if ((w->total += (size_t)st.st_size) > SKILLINST_MAXTOTAL)
			rc = err_set(EX_DATAERR, "the skill is over the %u-byte cap",
			    SKILLINST_MAXTOTAL);
		else if (w->n >= SKILLINST_MAXFILES)
			rc = err_set(EX_DATAERR, "the skill has over %u files", SKILLINST_MAXFILES);
		else if (add_path(w, sub) < 0)
			rc = err_set(EX_SOFTWARE, "out of memory");
		else if (S_ISDIR(st.st_mode))
			rc = scan(w, sub);
	}
	closedir(d);
	return rc;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* sha256 over, per entry in byte order: path NUL kind NUL (sha256 of the content) NL. */
static int
hash_tree(struct walk *w, char hex[65])
{
	crypto_hash_sha256_state all;
	unsigned char h[crypto_hash_sha256_BYTES];
	char path[PATH_MAX], chunk[16384];
	size_t i;

	if (sodium_init() < 0)
		return err_set(EX_SOFTWARE, "libsodium: cannot initialise");
	qsort(w->paths, w->n, sizeof *w->paths, cmp);
	crypto_hash_sha256_init(&all);
	for (i = 0; i < w->n; i++) {
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", w->root, w->paths[i]);
		if (lstat(path, &st) < 0)
			return err_set(EX_NOINPUT, "%s:", path);
		crypto_hash_sha256_update(&all, (const unsigned char *)w->paths[i],
		    strlen(w->paths[i]) + 1);
		if (S_ISDIR(st.st_mode)) {
			crypto_hash_sha256_update(&all, (const unsigned char *)"d\n", 2);
			continue;
		}
		{
			crypto_hash_sha256_state f;
			ssize_t n;
			int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (fd < 0)
				return err_set(EX_NOINPUT, "%s:", path);
			crypto_hash_sha256_init(&f);
			while ((n = read(fd, chunk, sizeof chunk)) > 0)
				crypto_hash_sha256_update(&f, (unsigned char *)chunk,
				    (unsigned long long)n);
			close(fd);
			if (n < 0)
				return err_set(EX_IOERR, "%s:", path);
			crypto_hash_sha256_final(&f, h);
			crypto_hash_sha256_update(&all,
			    (const unsigned char *)(st.st_mode & 0111 ? "x" : "f"), 1);
			crypto_hash_sha256_update(&all, h, sizeof h);
			crypto_hash_sha256_update(&all, (const unsigned char *)"\n", 1);
		}
	}
	crypto_hash_sha256_final(&all, h);
	sodium_bin2hex(hex, 65, h, sizeof h);
	return 0;
}

int
skillinst_hash(const char *src, char hex[65])
{
	struct walk w = { 0 };
	int rc;

	snprintf(w.root, sizeof w.root, "%s", src);
	if (!(rc = scan(&w, "")))
		rc = hash_tree(&w, hex);
	walk_free(&w);
	return rc;
}

int
skillinst_files(const char *src, struct buf *out)
{
	struct walk w = { 0 };
	char path[PATH_MAX];
	struct stat st;
	size_t i;
	int rc;

	snprintf(w.root, sizeof w.root, "%s", src);
	if (!(rc = scan(&w, ""))) {
		qsort(w.paths, w.n, sizeof *w.paths, cmp);
		for (i = 0; i < w.n; i++) {
			snprintf(path, sizeof path, "%s/%s", src, w.paths[i]);
			if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
				buf_printf(out, "%s\n", w.paths[i]);
		}
	}
	walk_free(&w);
	return rc;
}

/* Copy the checked tree w into dst, file modes reduced to 0644/0755. */
static int
copy_tree(struct walk *w, const char *dst)
{
	char from[PATH_MAX], to[PATH_MAX], chunk[16384];
	size_t i;

	for (i = 0; i < w->n; i++) {
		struct stat st;
		int in, out;
		ssize_t n;
		snprintf(from, sizeof from, "%s/%s", w->root, w->paths[i]);
		snprintf(to, sizeof to, "%s/%s", dst, w->paths[i]);
		if (lstat(from, &st) < 0)
			return err_set(EX_NOINPUT, "%s:", from);
		if (S_ISDIR(st.st_mode)) {
			if (mkdir(to, 0755) < 0 && errno != EEXIST)
				return err_set(EX_CANTCREAT, "%s:", to);
			continue;
		}
		if ((in = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
			return err_set(EX_NOINPUT, "%s:", from);
		if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		    st.st_mode & 0111 ? 0755 : 0644)) < 0) {
			close(in);
			return err_set(EX_CANTCREAT, "%s:", to);
		}
		while ((n = read(in, chunk, sizeof chunk)) > 0)
			if (write(out, chunk, (size_t)n) != n) {
				n = -1;
				break;
			}
		close(in);
		if (close(out) < 0 || n < 0)
			return err_set(EX_IOERR, "%s:", to);
	}
	return 0;
}

static int
is_tarball(const char *src)
{
	static const char *const ext[] = { ".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2" };
	size_t i, n = strlen(src);

	for (i = 0; i < sizeof ext / sizeof ext[0]; i++)
		if (n > strlen(ext[i]) && strcmp(src + n - strlen(ext[i]), ext[i]) == 0)
			return 1;
	return 0;
}

/* One line of tar -tv --numeric-owner: "MODE UID/GID SIZE DATE TIME NAME".  The
 * member's size, or -1 when the line is not one tar would print. */
static long long
member_size(const char *line)
{
	char *end;
	long long n;

	line += strcspn(line, " ");
	line += strspn(line, " ");
	line += strcspn(line, " ");
	line += strspn(line, " ");
	if (*line < '0' || *line > '9')
		return -1;
	n = strtoll(line, &end, 10);
	return *end == ' ' ? n : -1;
}

/* Every member of the listing a plain file or directory, each under the per-file cap
 * and all under the total and count caps: before anything is unpacked, so a small
 * compressed tarball cannot fill the disk (a bomb is refused from its headers). */
static int
check_listing(const char *tarball, char *listing)
{
	char *p, *line;
	unsigned long long total = 0;
	long long size;
	unsigned count = 0;

	for (p = listing; p && (line = strsep(&p, "\n"));) {
		if (!*line)
			continue;
		if (*line != '-' && *line != 'd')
			return err_set(EX_DATAERR,
			    "%s: a member that is not a plain file or directory: %.80s", tarball,
			    line);
		if ((size = member_size(line)) < 0)
			return err_set(EX_DATAERR, "%s: a listing tar did not make: %.80s",
			    tarball, line);
		if (size > SKILLINST_MAXFILE)
			return err_set(EX_DATAERR,
			    "%s: a member of %lld bytes is over the %u-byte cap: %.80s", tarball,
			    size, SKILLINST_MAXFILE, line);
		if ((total += (unsigned long long)size) > SKILLINST_MAXTOTAL)
			return err_set(EX_DATAERR, "%s: unpacked, over the %u-byte cap", tarball,
			    SKILLINST_MAXTOTAL);
		if (++count > SKILLINST_MAXFILES)
			return err_set(EX_DATAERR, "%s: over %u members", tarball,
			    SKILLINST_MAXFILES);
	}
	return 0;
}

/* List the tarball's members and refuse anything but plain files and directories
 * with relative paths that stay inside, or over the caps; then unpack into dir.
 * --force-local: a name with a colon is a file, never host:path (tar would run rsh). */
static int
untar(const char *tarball, const char *dir)
{
	char *list[] = { "tar", "--force-local", "--numeric-owner", "-tvf", (char *)tarball,
	    NULL };
	char *xargs[] = { "tar", "--force-local", "-xf", (char *)tarball, "-C", (char *)dir,
	    "--no-same-owner", "--no-same-permissions", "--no-overwrite-dir", NULL };
	char *names[] = { "tar", "--force-local", "-tf", (char *)tarball, NULL };
	struct buf out = BUF_INIT, nm = BUF_INIT;
	char *p, *line;
	int rc = 0;

	if (proc_run(list, NULL, NULL, 0, &out, 4u << 20, 60000) != 0
	    || proc_run(names, NULL, NULL, 0, &nm, 4u << 20, 60000) != 0) {
		buf_free(&out);
		buf_free(&nm);
		return err_set(EX_DATAERR, "%s: not a tarball tar can read", tarball);
	}
	rc = check_listing(tarball, out.p);
	for (p = nm.p; p && !rc && (line = strsep(&p, "\n"));) {
		char *c, *save = NULL, copy[PATH_MAX];
		if (!*line)
			continue;
		if (*line == '/')
			rc = err_set(EX_DATAERR, "%s: an absolute member path: %.80s", tarball,
			    line);
		snprintf(copy, sizeof copy, "%s", line);
		for (c = strtok_r(copy, "/", &save); c && !rc; c = strtok_r(NULL, "/", &save))
			if (strcmp(c, "..") == 0)
				rc = err_set(EX_DATAERR,
				    "%s: a member that climbs out with ..: %.80s", tarball, line);
	}
	buf_free(&out);
	buf_free(&nm);
	if (!rc && proc_run(xargs, NULL, NULL, 0, &out, 1u << 20, 120000) != 0)
		rc = err_set(EX_DATAERR, "%s: tar could not unpack it", tarball);
	buf_free(&out);
	return rc;
}

/* The tree's root: dir itself, or its only subdirectory when a tarball wraps one. */
static void
tree_root(const char *dir, char *root, size_t n)
{
	char path[PATH_MAX], only[PATH_MAX] = "";
	struct dirent *e;
	int count = 0;
	DIR *d;

	snprintf(root, n, "%s", dir);
	snprintf(path, sizeof path, "%s/SKILL.md", dir);
	if (access(path, F_OK) == 0 || !(d = opendir(dir)))
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			count++;
			snprintf(only, sizeof only, "%s", e->d_name);
		}
	closedir(d);
	if (count == 1)
		snprintf(root, n, "%s/%s", dir, only);
}

/* The name of the skill at root: its SKILL.md's, else the directory's, else (for
 * a tarball without a top directory) the tarball's without its extension.  *name
 * is malloc'd.  0 or EX_DATAERR. */
static int
skill_name_of(const char *src, const char *root, const char *unpack, char **name,
    struct buf *notes)
{
	char path[PATH_MAX], from[PATH_MAX], *dot;
	const char *where = strcmp(root, unpack) ? root : src, *base = strrchr(where, '/');
	struct buf text = BUF_INIT;
	struct skillmd md;
	const char *broad;
	size_t i;
	int rc, refused;

	snprintf(path, sizeof path, "%s/SKILL.md", root);
	if (file_read(path, SKILLMD_MAXFILE, &text)) {
		buf_free(&text);
		return err_set(EX_DATAERR, "%s: no SKILL.md", src);
	}
	snprintf(from, sizeof from, "%s", base ? base + 1 : where);
	if (!strcmp(root, unpack) && (dot = strstr(from, ".t")))
		*dot = '\0';
	if (!(rc = skillmd_parse(text.p ? text.p : "", text.len, from, &md))) {
		if (!skill_name_valid(md.name, strlen(md.name)))
			rc = err_set(EX_DATAERR, "%s: not a usable skill name", md.name);
		else if (!(*name = strdup(md.name)))
			rc = err_set(EX_SOFTWARE, "out of memory");
		for (i = 0; !rc && i < md.permissions.n; i++)
			if ((broad = skill_perm_broad(md.permissions.v[i], &refused)))
				buf_printf(notes, "%s asks for %s: %s%s\n", md.name,
				    md.permissions.v[i], broad, refused
				    ? " (grant refuses it without --force)" : "");
		skillmd_free(&md);
	}
	buf_free(&text);
	return rc;
}

/* Copy the checked tree w to skills/name through a private directory renamed
 * into place, so no half-copied skill is ever found. */
static int
place(struct walk *w, const char *skills, const char *dst)
{
	char tmp[PATH_MAX];
	int rc;

	snprintf(tmp, sizeof tmp, "%s/.install.XXXXXX", skills);
	if (!mkdtemp(tmp))
		return err_set(EX_CANTCREAT, "%s:", tmp);
	chmod(tmp, 0755);
	if ((rc = copy_tree(w, tmp)) || rename(tmp, dst) < 0) {
		if (!rc)
			rc = err_set(EX_CANTCREAT, "%s:", dst);
		path_rmtree(tmp);
	}
	return rc;
}

static int
record_install(sqlite3 *db, const char *name, const char *dst, const char *hex, const char *src)
{
	sqlite3_stmt *q;
	int rc;

	if ((rc = store_prepare(db, &q, "INSERT OR REPLACE INTO installs(name, dir, sha256, source,"
	    " ts)"
	    " VALUES(?,?,?,?,?)")))
		return rc;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, dst, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, src, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, clock_wall_ms());
	rc = sqlite3_step(q) == SQLITE_DONE ? 0 : store_fail(db, "installs");
	sqlite3_finalize(q);
	return rc;
}

/* The tree to install: src itself, or a tarball unpacked into *unpack. */
static int
source_root(const char *src, const char *skills, char *unpack, char *root)
{
	struct stat st;
	int rc;

	if (stat(src, &st) < 0)
		return err_set(EX_NOINPUT, "%s:", src);
	if (S_ISDIR(st.st_mode)) {
		snprintf(root, PATH_MAX, "%s", src);
		return 0;
	}
	if (!S_ISREG(st.st_mode) || !is_tarball(src))
		return err_set(EX_DATAERR,
		    "%s: neither a directory nor a tarball (.tar, .tar.gz, .tgz,"
		    " .tar.xz)", src);
	snprintf(unpack, PATH_MAX, "%s/.unpack.XXXXXX", skills);
	if (!mkdtemp(unpack)) {
		rc = err_set(EX_CANTCREAT, "%s:", unpack);
		unpack[0] = '\0';
		return rc;
	}
	if ((rc = untar(src, unpack)))
		return rc;
	tree_root(unpack, root, PATH_MAX);
	return 0;
}

/* A line in notes for each other search directory holding a skill called name. */
static void
shadowing(const char *name, const char *skills, struct buf *notes)
{
	char roots[SKILL_MAXROOTS][PATH_MAX], path[PATH_MAX + 80];
	int n, i, after = 0;

	if (skill_roots(roots, &n))
		return;
	for (i = 0; i < n; i++) {
		if (!strcmp(roots[i], skills)) {
			after = 1;
			continue;
		}
		snprintf(path, sizeof path, "%s/%s/SKILL.md", roots[i], name);
		if (access(path, F_OK) == 0)
			buf_printf(notes, after ? "warning: %s shadows %s/%s (which keeps its own"
			    " grants)\n" : "warning: %s is hidden by %s/%s, found first\n",
			    name, roots[i], name);
	}
}

int
skillinst_install(sqlite3 *db, const char *src, char **name, struct buf *notes)
{
	struct skills all = { 0 };
	char skills[PATH_MAX], unpack[PATH_MAX] = "", root[PATH_MAX], dst[PATH_MAX], hex[65];
	struct walk w = { 0 };
	struct stat st;
	int rc;

	*name = NULL;
	if ((rc = path_mkhome("skills")) || (rc = path_in_home(skills, sizeof skills, "skills")))
		return rc;
	if ((rc = source_root(src, skills, unpack, root)))
		goto out;
	snprintf(w.root, sizeof w.root, "%s", root);
	if ((rc = scan(&w, "")) || (rc = skill_name_of(src, root, unpack, name, notes)))
		goto out;
	/* Grants older than their directory go to today's skill of each name first. */
	if ((rc = skill_index(db, &all)))
		goto out;
	snprintf(dst, sizeof dst, "%s/%s", skills, *name);
	if (lstat(dst, &st) == 0) {
		rc = err_set(EX_CANTCREAT,
		    "%s is installed already: run claw-skill remove %s first",
		    *name, *name);
		goto out;
	}
	if ((rc = hash_tree(&w, hex)) || (rc = place(&w, skills, dst)))
		goto out;
	if ((rc = record_install(db, *name, dst, hex, src)))
		path_rmtree(dst);
	else
		shadowing(*name, skills, notes);
out:
	skills_free(&all);
	if (*unpack)
		path_rmtree(unpack);
	walk_free(&w);
	if (rc) {
		free(*name);
		*name = NULL;
	}
	return rc;
}

static int
installed(sqlite3 *db, const char *name, char *dir, size_t dn, char hex[65])
{
	sqlite3_stmt *q;
	int rc;

	if ((rc = store_prepare(db, &q, "SELECT dir, sha256 FROM installs WHERE name = ?")))
		return rc;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		snprintf(dir, dn, "%s", (const char *)sqlite3_column_text(q, 0));
		snprintf(hex, 65, "%s", (const char *)sqlite3_column_text(q, 1));
		rc = 0;
	} else if (rc != SQLITE_DONE)
		rc = store_fail(db, "installs");
	else
		rc = err_set(EX_NOINPUT,
		    "%s: not an installed skill (built-in and CLAW_SKILLS_PATH skills are not)",
		    name);
	sqlite3_finalize(q);
	return rc;
}

int
skillinst_verify(sqlite3 *db, const char *name)
{
	char dir[PATH_MAX], want[65], got[65];
	int rc;

	if ((rc = installed(db, name, dir, sizeof dir, want)) || (rc = skillinst_hash(dir, got)))
		return rc;
	if (strcmp(want, got))
		return err_set(EX_DATAERR,
		    "%s: changed since it was installed (sha256 %s, recorded %s)", name, got, want);
	return 0;
}

int
skillinst_remove(sqlite3 *db, const char *name)
{
	char dir[PATH_MAX], hex[65];
	sqlite3_stmt *q;
	int rc;

	if ((rc = installed(db, name, dir, sizeof dir, hex))) {
		/* One made by claw-skill new is in $CLAW_HOME/skills without a record:
		 * its directory is the user's own work and likely its only copy, so it
		 * is refused, as an unrecorded file is by git rm, with the way to do it. */
		struct stat st;
		char sub[PATH_MAX];
		snprintf(sub, sizeof sub, "skills/%s", name);
		if (rc == EX_NOINPUT && skill_name_valid(name, strlen(name))
		    && path_in_home(dir, sizeof dir, sub) == 0 && lstat(dir, &st) == 0
		    && S_ISDIR(st.st_mode))
			rc = err_set(EX_NOINPUT, "%s: made by claw-skill new, not installed: it is"
			    " your own work, not a copy; to delete it: rm -r %s", name, dir);
		return rc;
	}
	if ((rc = store_begin_write(db)))
		return rc;
	if (!(rc = store_prepare(db, &q, "DELETE FROM installs WHERE name = ?1"))) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(q) == SQLITE_DONE ? 0 : store_fail(db, "installs");
		sqlite3_finalize(q);
	}
	/* Only this skill's grants: a built-in of the same name keeps its own. */
	if (!rc && !(rc = store_prepare(db, &q,
	    "DELETE FROM grants WHERE skill = ?1 AND dir = ?2"))) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, dir, -1, SQLITE_STATIC);
		rc = sqlite3_step(q) == SQLITE_DONE ? 0 : store_fail(db, "grants");
		sqlite3_finalize(q);
	}
	if ((rc = store_end(db, rc)))
		return rc;
	path_rmtree(dir);
	return 0;
}
