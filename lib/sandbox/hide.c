/* hide: mount an empty tmpfs over a directory in a private mount namespace and bind back
 * what must stay (a skill's data directory).  Landlock allows, it cannot subtract. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/path.h"
#include "sandbox/hide.h"
#include "sandbox/landlock.h"

/* A mount point for what fd is, at path inside the tmpfs. */
static int
mount_point(const char *path, int fd)
{
	char parent[PATH_MAX], *slash;
	struct stat st;
	int f;

	snprintf(parent, sizeof parent, "%s", path);
	if ((slash = strrchr(parent, '/')) && slash != parent)
		*slash = '\0';
	if (fstat(fd, &st) < 0 || path_mkdirs(parent, 0755) < 0)
		return -1;
	if (S_ISDIR(st.st_mode))
		return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
	if ((f = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return -1;
	close(f);
	return 0;
}

int
sandbox_hide(const char *dir, char *const keep[], size_t n)
{
	char src[64];
	int fd[64];
	size_t i;
	int rc = 0;

	if (n > sizeof fd / sizeof fd[0])
		return err_set(EX_USAGE, "too many paths to keep");
	if (unshare(CLONE_NEWNS) < 0) {
		if (errno == EPERM || errno == EINVAL || errno == ENOSYS || errno == EACCES) {
			err_set(EX_SOFTWARE, "unshare mount namespace:");
			return SANDBOX_UNAVAILABLE;
		}
		return err_set(EX_SOFTWARE, "unshare mount namespace:");
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_set(EX_SOFTWARE, "mount: make / private:");
	/* Opened before the tmpfs covers them. */
	for (i = 0; i < n; i++) {
		fd[i] = -1;
		if (strcmp(keep[i], dir) && sandbox_path_beneath(keep[i], dir)
		    && (fd[i] = open(keep[i], O_PATH | O_CLOEXEC)) < 0)
			rc = err_set(EX_SOFTWARE, "%s:", keep[i]);
	}
	if (!rc && mount("claw-hidden", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    "mode=0755,size=64k") < 0)
		rc = err_set(EX_SOFTWARE, "mount tmpfs on %s:", dir);
	for (i = 0; i < n && !rc; i++) {
		if (fd[i] < 0)
			continue;
		snprintf(src, sizeof src, "/proc/self/fd/%d", fd[i]);
		if (mount_point(keep[i], fd[i]) < 0)
			rc = err_set(EX_SOFTWARE, "%s: mount point:", keep[i]);
		else if (mount(src, keep[i], NULL, MS_BIND | MS_REC, NULL) < 0)
			rc = err_set(EX_SOFTWARE, "bind %s:", keep[i]);
	}
	if (!rc && mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
	    MS_NOEXEC, NULL) < 0)
		rc = err_set(EX_SOFTWARE, "remount %s read-only:", dir);
	for (i = 0; i < n; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return rc;
}
