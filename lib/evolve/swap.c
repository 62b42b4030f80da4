/* swap: renameat2(RENAME_EXCHANGE) makes the change one step the kernel does whole:
 * at every moment skills/NAME is the old tree or the new one, never a mix. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/path.h"
#include "evolve/swap.h"
#include "skill/install.h"
#include "store/store.h"

void
swap_crash(const char *step)
{
	const char *at = getenv("CLAW_EVOLVE_CRASH");

	if (at && strcmp(at, step) == 0)
		raise(SIGKILL);
}

int
swap_path(char *dst, size_t n, long long id, const char *which, const char *name)
{
	char sub[128];

	snprintf(sub, sizeof sub, "evolve/%lld%s%s%s%s", id, which ? "/" : "", which ? which : "",
	    name ? "/" : "", name ? name : "");
	return path_in_home(dst, n, sub);
}

int
swap_skill_path(char *dst, size_t n, const char *name)
{
	char sub[128];

	snprintf(sub, sizeof sub, "skills/%s", name);
	return path_in_home(dst, n, sub);
}

/* fsync a directory, so a rename in it is on disk before the store says so. */
static void
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static void
parent_sync(const char *path)
{
	char dir[PATH_MAX], *slash;

	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/')))
		*slash = '\0', sync_dir(dir);
}

int
swap_in(long long id, const char *name, int *exchanged)
{
	char scratch[PATH_MAX], skill[PATH_MAX], news[PATH_MAX], olds[PATH_MAX];
	struct stat st;
	int rc;

	*exchanged = 0;
	if ((rc = path_mkhome("skills")) ||
	    (rc = swap_path(scratch, sizeof scratch, id, "new", name)) ||
	    (rc = swap_skill_path(skill, sizeof skill, name)) ||
	    (rc = swap_path(news, sizeof news, id, "new", NULL)) ||
	    (rc = swap_path(olds, sizeof olds, id, "old", NULL)))
		return rc;
	if (lstat(skill, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return err_set(EX_DATAERR, "%s: not a directory", skill);
		if (renameat2(AT_FDCWD, scratch, AT_FDCWD, skill, RENAME_EXCHANGE) < 0)
			return err_set(EX_IOERR, "exchange %s with %s:", scratch, skill);
		*exchanged = 1;
	} else if (renameat2(AT_FDCWD, scratch, AT_FDCWD, skill, RENAME_NOREPLACE) < 0)
		return err_set(EX_IOERR, "rename %s to %s:", scratch, skill);
	parent_sync(skill);
	parent_sync(scratch);
	swap_crash("exchanged");
	/* The scratch now holds the old version (or nothing): keep it as old/. */
	if (*exchanged && rename(news, olds) < 0)
		return err_set(EX_IOERR, "rename %s:", news);
	if (!*exchanged)
		rmdir(news);
	return 0;
}

int
swap_back(long long id, const char *name)
{
	char old[PATH_MAX], skill[PATH_MAX], rolled[PATH_MAX], rolledn[PATH_MAX];
	int rc;

	if ((rc = swap_path(old, sizeof old, id, "old", name)) ||
	    (rc = swap_skill_path(skill, sizeof skill, name)) ||
	    (rc = swap_path(rolled, sizeof rolled, id, "rolled", NULL)) ||
	    (rc = swap_path(rolledn, sizeof rolledn, id, "rolled", name)))
		return rc;
	if (mkdir(rolled, 0700) < 0 && errno != EEXIST)
		return err_set(EX_CANTCREAT, "%s:", rolled);
	if (access(old, F_OK) == 0) {
		if (renameat2(AT_FDCWD, old, AT_FDCWD, skill, RENAME_EXCHANGE) < 0)
			return err_set(EX_IOERR, "exchange %s with %s:", old, skill);
		if (rename(old, rolledn) < 0)
			return err_set(EX_IOERR, "rename %s:", old);
	} else if (renameat2(AT_FDCWD, skill, AT_FDCWD, rolledn, RENAME_NOREPLACE) < 0 &&
	    errno != ENOENT)
		return err_set(EX_IOERR, "rename %s:", skill);
	parent_sync(skill);
	return 0;
}

void
swap_forget(sqlite3 *db, long long id)
{
	static const char *const sql[] = {
		"DELETE FROM skills WHERE dir >= ?1 || '/' AND dir < ?1 || '0'",
		"DELETE FROM grants WHERE dir >= ?1 || '/' AND dir < ?1 || '0'",
	};
	char dir[PATH_MAX];
	sqlite3_stmt *st;
	size_t i;

	if (swap_path(dir, sizeof dir, id, NULL, NULL) || store_begin_write(db))
		return;
	for (i = 0; i < sizeof sql / sizeof sql[0]; i++)
		if (!store_prepare(db, &st, sql[i])) {
			sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
			sqlite3_step(st);
			sqlite3_finalize(st);
		}
	store_end(db, 0);
}

/* One dead cycle: exactly old or exactly new, and the row says which. */
static int
recover_one(sqlite3 *db, long long id, const char *name, const char *want)
{
	char scratch[PATH_MAX], news[PATH_MAX], olds[PATH_MAX], skill[PATH_MAX], hex[65];
	const char *outcome = "interrupted";
	sqlite3_stmt *st;
	int rc;

	if ((rc = swap_path(news, sizeof news, id, "new", NULL)) ||
	    (rc = swap_path(olds, sizeof olds, id, "old", NULL)))
		return rc;
	if (name && *name && !swap_path(scratch, sizeof scratch, id, "new", name) &&
	    !swap_skill_path(skill, sizeof skill, name) && want && *want) {
		if (access(scratch, F_OK) == 0) {
			/* Still the validated tree: the exchange never happened. */
			if (skillinst_hash(scratch, hex) || strcmp(hex, want) != 0) {
				outcome = "applied";
				if (rename(news, olds) < 0)
					return err_set(EX_IOERR, "rename %s:", news);
			}
		} else if (!skillinst_hash(skill, hex) && strcmp(hex, want) == 0)
			outcome = "applied";
	}
	if (access(news, F_OK) == 0)
		path_rmtree(news);
	swap_forget(db, id);
	if ((rc = store_begin_write(db)))
		return rc;
	if (!(rc = store_prepare(db, &st, "UPDATE cycles SET outcome = ?2, ended = ?3,"
	    " reason = 'the cycle was killed; the next one finished it' WHERE id = ?1"))) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, outcome, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, clock_wall_ms());
		rc = store_step_done(db, sqlite3_step(st), "cycles");
		sqlite3_finalize(st);
	}
	return store_end(db, rc);
}

int
swap_recover(sqlite3 *db, int *n)
{
	sqlite3_stmt *st;
	long long ids[64];
	char *names[64] = { 0 }, *hashes[64] = { 0 };
	int rc, step, k = 0, i;

	*n = 0;
	if ((rc = store_prepare(db, &st, "SELECT id, ifnull(skill, ''), ifnull(new_hash, '')"
	    " FROM cycles WHERE outcome = 'running' ORDER BY id LIMIT 64")))
		return rc;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		ids[k] = sqlite3_column_int64(st, 0);
		names[k] = strdup((const char *)sqlite3_column_text(st, 1));
		hashes[k++] = strdup((const char *)sqlite3_column_text(st, 2));
	}
	rc = store_step_done(db, step, "cycles");
	sqlite3_finalize(st);
	for (i = 0; i < k; i++) {
		if (!rc)
			rc = recover_one(db, ids[i], names[i], hashes[i]);
		free(names[i]);
		free(hashes[i]);
	}
	*n = k;
	return rc;
}
