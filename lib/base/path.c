/* path: $CLAW_HOME and the directories under it, created private (0700). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/path.h"

static char home[PATH_MAX];

const char *
path_home(void)
{
	const char *h = getenv("CLAW_HOME"), *u;
	struct passwd *pw;

	if (home[0])
		return home;
	if (h && *h) {
		if (strlen(h) >= sizeof home - 64) {
			err_set(EX_CONFIG, "CLAW_HOME: path too long");
			return NULL;
		}
		snprintf(home, sizeof home, "%s", h);
		return home;
	}
	u = getenv("HOME");
	if ((!u || !*u) && (pw = getpwuid(getuid())))
		u = pw->pw_dir;
	if (!u || !*u || strlen(u) >= sizeof home - 64) {
		err_set(EX_CONFIG, "cannot find a home directory: set CLAW_HOME");
		return NULL;
	}
	snprintf(home, sizeof home, "%s/.claw", u);
	return home;
}

int
path_mkdirs(const char *dir, int mode)
{
	char p[PATH_MAX], *s;
	struct stat st;

	if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* Most often it is there: one call, not one a component. */
	if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST)
			return -1;
		*s = c;
		if (!c)
			break;
	}
	if (stat(p, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

static char tightened[2 * PATH_MAX];

const char *
path_tightened(void)
{
	return tightened[0] ? tightened : NULL;
}

/* An existing directory of $CLAW_HOME: refuse one another user owns; take group
 * and other access away from one of ours, through a descriptor opened without
 * following a link (a link is left as it is, its target checked for its owner). */
static int
private_dir(const char *p)
{
	struct stat st;
	int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = 0;
	size_t n;

	if (fd < 0 ? (errno != ELOOP && errno != ENOTDIR) || stat(p, &st) < 0
	    : fstat(fd, &st) < 0)
		rc = err_set(EX_CANTCREAT, "%s:", p);
	else if (st.st_uid != geteuid())
		rc = err_set(EX_NOPERM, "%s: owned by uid %ld, not by this user (uid %ld): refused",
		    p, (long)st.st_uid, (long)geteuid());
	else if (fd >= 0 && (st.st_mode & 077)) {
		if (fchmod(fd, 0700) < 0)
			rc = err_set(EX_CANTCREAT, "%s: cannot make it private (0700):", p);
		else if ((n = strlen(tightened)) < sizeof tightened)
			snprintf(tightened + n, sizeof tightened - n, "%s%s was %04o, now 0700",
			    n ? "; " : "", p, (unsigned)(st.st_mode & 07777));
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The home checked whole in this second: a process that opens the store and reads
 * its copies asks three times, nine calls each. */
static long long home_ok_at = -1;

int
path_mkhome(const char *sub)
{
	char p[PATH_MAX];
	const char *h = path_home();
	long long now = clock_mono_ms();
	int rc;

	if (!h)
		return err_code();
	if (!sub && home_ok_at >= 0 && now - home_ok_at < 1000)
		return 0;
	snprintf(p, sizeof p, "%s%s%s", h, sub ? "/" : "", sub ? sub : "");
	if (path_mkdirs(p, 0700) < 0)
		return err_set(EX_CANTCREAT, "%s:", p);
	if ((rc = private_dir(h)) || (sub && (rc = private_dir(p))))
		return rc;
	if (access(p, W_OK | X_OK) < 0)
		return err_set(EX_CANTCREAT, "%s:", p);
	if (!sub)
		home_ok_at = now;
	return 0;
}

int
path_in_home(char *dst, size_t n, const char *name)
{
	const char *h = path_home();

	if (!h)
		return err_code();
	if (snprintf(dst, n, "%s/%s", h, name) >= (int)n)
		return err_set(EX_CANTCREAT, "%s/%s: path too long", h, name);
	return 0;
}

int
path_self_dir(char *dst, size_t n)
{
	ssize_t len = readlink("/proc/self/exe", dst, n - 1);
	char *s;

	if (len <= 0)
		return -1;
	dst[len] = '\0';
	if (!(s = strrchr(dst, '/')))
		return -1;
	*s = '\0';
	return 0;
}

static int
executable(char *dst, size_t n, const char *dir, const char *sub, const char *prog)
{
	if (snprintf(dst, n, "%s%s/%s", dir, sub, prog) >= (int)n)
		return 0;
	return access(dst, X_OK) == 0;
}

int
path_find_prog(const char *prog, char *dst, size_t n)
{
	char self[PATH_MAX], dir[PATH_MAX];
	const char *p = getenv("PATH"), *end;

	if (path_self_dir(self, sizeof self) == 0
	    && (executable(dst, n, self, "", prog)
	    || executable(dst, n, self, "/../libexec/claw", prog)))
		return 0;
	if (executable(dst, n, CLAW_LIBEXECDIR, "", prog))
		return 0;
	for (p = p ? p : PATH_DEFAULT; *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ":");
		snprintf(dir, sizeof dir, "%.*s", (int)(end - p), end == p ? "." : p);
		if (executable(dst, n, dir, "", prog))
			return 0;
	}
	return -1;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

void
path_rmtree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
