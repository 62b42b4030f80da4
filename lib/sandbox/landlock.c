/* landlock: the file-system and network walls of a sandboxed process, by syscall() (Debian
 * 12's headers stop at ABI 2, so the newer constants are ours and the header is not included). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/err.h"
#include "sandbox/landlock.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#define LL_VERSION        (1U << 0)
#define LL_RULE_PATH      1
#define LL_FS_EXECUTE     (1ULL << 0)
#define LL_FS_WRITE_FILE  (1ULL << 1)
#define LL_FS_READ_FILE   (1ULL << 2)
#define LL_FS_READ_DIR    (1ULL << 3)
#define LL_FS_REMOVE_DIR  (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR   (1ULL << 6)
#define LL_FS_MAKE_DIR    (1ULL << 7)
#define LL_FS_MAKE_REG    (1ULL << 8)
#define LL_FS_MAKE_SOCK   (1ULL << 9)
#define LL_FS_MAKE_FIFO   (1ULL << 10)
#define LL_FS_MAKE_BLOCK  (1ULL << 11)
#define LL_FS_MAKE_SYM    (1ULL << 12)
#define LL_FS_REFER       (1ULL << 13)   /* ABI 2 */
#define LL_FS_TRUNCATE    (1ULL << 14)   /* ABI 3 */
#define LL_FS_IOCTL_DEV   (1ULL << 15)   /* ABI 5 */
#define LL_NET_BIND_TCP    (1ULL << 0)   /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)  /* ABI 6 */
#define LL_SCOPE_SIGNAL        (1ULL << 1)

struct ll_ruleset_attr {
	uint64_t handled_access_fs, handled_access_net, scoped;
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

#define LL_R    (LL_FS_READ_FILE | LL_FS_READ_DIR)
#define LL_RX   (LL_R | LL_FS_EXECUTE)
#define LL_RW   (LL_R | LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | \
                 LL_FS_MAKE_DIR | LL_FS_MAKE_REG | LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO | \
                 LL_FS_MAKE_SYM | LL_FS_REFER | LL_FS_TRUNCATE)
/* The rights a rule on a file (not a directory) may carry. */
#define LL_FILE (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | \
                 LL_FS_IOCTL_DEV)

int
sandbox_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_VERSION);

	return abi < 0 ? 0 : (int)abi;
}

static uint64_t
fs_rights(int abi)
{
	uint64_t fs = (LL_FS_MAKE_SYM << 1) - 1;    /* ABI 1: bits 0..12 */

	if (abi >= 2)
		fs |= LL_FS_REFER;
	if (abi >= 3)
		fs |= LL_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LL_FS_IOCTL_DEV;
	return fs;
}

int
sandbox_path_beneath(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return 1;
	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

/* A symlink neither the sandboxed program nor its user could have made. */
static int
system_link(const struct stat *link, int dirfd, const char *where, char *const wr[], size_t nwr)
{
	struct stat d;
	size_t i;

	if (link->st_uid != 0 || fstat(dirfd, &d) < 0 || d.st_uid != 0 || (d.st_mode & 022))
		return 0;
	for (i = 0; i < nwr; i++)
		if (sandbox_path_beneath(where, wr[i]))
			return 0;
	return 1;
}

int
sandbox_path_open(const char *path, char *const wr[], size_t nwr, int *fdp, char *canon,
    size_t n)
{
	char rest[2 * PATH_MAX], link[PATH_MAX], name[NAME_MAX + 1], tmp[2 * PATH_MAX];
	const char *p;
	size_t len, clen = 0;
	struct stat st;
	int fd, next, links = 0, e;
	ssize_t ln;

	*fdp = -1;
	if (*path != '/')
		return err_set(EX_USAGE, "%s: not an absolute path", path);
	if (snprintf(rest, sizeof rest, "%s", path) >= (int)sizeof rest || n < 2)
		return err_set(EX_USAGE, "%s: too long", path);
	if ((fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_set(EX_SOFTWARE, "/:");
	canon[0] = '\0';
	for (p = rest;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		if ((len = strcspn(p, "/")) > NAME_MAX) {
			close(fd);
			return err_set(EX_USAGE, "%s: a name too long", path);
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			close(fd);
			return err_set(EX_NOPERM, "%s: a .. component: refused", path);
		}
		if (clen + len + 2 > n) {
			close(fd);
			return err_set(EX_USAGE, "%s: too long", path);
		}
		canon[clen] = '/';
		memcpy(canon + clen + 1, name, len + 1);
		if ((next = openat(fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0
		    || fstat(next, &st) < 0) {
			e = errno;
			if (next >= 0)
				close(next);
			close(fd);
			errno = e;
			return err_set(EX_USAGE, "%s:", path);
		}
		if (!S_ISLNK(st.st_mode)) {
			close(fd);
			fd = next;
			clen += len + 1;
			continue;
		}
		if (!system_link(&st, fd, canon, wr, nwr)) {
			close(next);
			close(fd);
			return err_set(EX_NOPERM, "%s: %s is a symlink: refused (grant the path"
			    " it leads to, if that is meant)", path, canon);
		}
		ln = readlinkat(next, "", link, sizeof link - 1);
		close(next);
		if (ln <= 0 || ++links > 40) {
			close(fd);
			return err_set(EX_USAGE, "%s: %s: a bad or looping symlink", path, canon);
		}
		link[ln] = '\0';
		canon[clen] = '\0';
		if (snprintf(tmp, sizeof tmp, "%s/%s", link, p) >= (int)sizeof tmp) {
			close(fd);
			return err_set(EX_USAGE, "%s: too long", path);
		}
		memcpy(rest, tmp, strlen(tmp) + 1);
		p = rest;
		if (link[0] == '/') {
			close(fd);
			if ((fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
				return err_set(EX_SOFTWARE, "/:");
			clen = 0;
			canon[0] = '\0';
		}
	}
	if (!clen)
		snprintf(canon, n, "/");
	*fdp = fd;
	return 0;
}

static int
ll_rule(int ruleset, int fd, const char *path, uint64_t access, uint64_t handled)
{
	struct ll_path_beneath_attr pb;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return err_set(EX_SOFTWARE, "landlock: %s:", path);
	if (!S_ISDIR(st.st_mode))
		access &= LL_FILE;
	pb.allowed_access = access & handled;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH, &pb, 0) < 0)
		return err_set(EX_SOFTWARE, "landlock: %s:", path);
	return 0;
}

/* Allow access beneath a system path (root's: its symlinks are followed).  One
 * this machine lacks (/lib64 on arm64) is skipped when optional. */
static int
ll_allow(int ruleset, const char *path, uint64_t access, uint64_t handled, int optional)
{
	int fd = open(path, O_PATH | O_CLOEXEC), rc, e;

	if (fd < 0) {
		if (optional && (errno == ENOENT || errno == ENOTDIR || errno == EACCES))
			return 0;
		return err_set(EX_SOFTWARE, "landlock: %s:", path);
	}
	rc = ll_rule(ruleset, fd, path, access, handled);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* The dynamic loader every system program needs to start: execve opens it as it
 * opens the program, so it needs the execute right.  Ours (PT_INTERP) is theirs. */
static const char *
loader(void)
{
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
	size_t i, n = (size_t)getauxval(AT_PHNUM);
	uintptr_t bias = 0;

	if (!ph)
		return NULL;
	for (i = 0; i < n; i++)
		if (ph[i].p_type == PT_PHDR)
			bias = (uintptr_t)ph - ph[i].p_vaddr;
	for (i = 0; i < n; i++)
		if (ph[i].p_type == PT_INTERP)
			return (const char *)(bias + ph[i].p_vaddr);
	return NULL;
}

int
sandbox_landlock(const struct sandbox_paths *p, int net, int *abip)
{
	/* The system directories: read, and executed unless exec_only. */
	static const char *const sysdir[] = { "/usr", "/bin", "/sbin", "/lib", "/lib64" };
	static const struct {
		const char *path;
		uint64_t access;
	} sys[] = {
		{ "/etc", LL_R }, { "/proc/self", LL_R },
		/* The usual dynamic loaders, should ours not name one (see loader()). */
		{ "/lib64/ld-linux-x86-64.so.2", LL_RX }, { "/lib/ld-linux-aarch64.so.1", LL_RX },
		{ "/dev/null", LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_TRUNCATE },
		{ "/dev/zero", LL_FS_READ_FILE }, { "/dev/urandom", LL_FS_READ_FILE },
		{ "/dev/random", LL_FS_READ_FILE },
		/* What runtimes read to size themselves (node's os.cpus(), nproc). */
		{ "/proc/cpuinfo", LL_FS_READ_FILE }, { "/proc/meminfo", LL_FS_READ_FILE },
		{ "/proc/stat", LL_FS_READ_FILE }, { "/proc/loadavg", LL_FS_READ_FILE },
		{ "/proc/uptime", LL_FS_READ_FILE }, { "/sys/devices/system/cpu", LL_R },
	};
	static const uint64_t how[] = {
		[SANDBOX_R] = LL_R, [SANDBOX_RX] = LL_RX, [SANDBOX_RW] = LL_RW,
	};
	struct ll_ruleset_attr attr;
	const char *ld;
	long abi;
	int fd, rc = 0, e;
	size_t i;

	*abip = 0;
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_VERSION);
	if (abi < 0) {
		if (errno == ENOSYS || errno == EOPNOTSUPP) {
			err_set(EX_SOFTWARE, "%s", errno == ENOSYS ? "this kernel has no Landlock" :
			    "Landlock is disabled at boot");
			return SANDBOX_UNAVAILABLE;
		}
		return err_set(EX_SOFTWARE, "landlock:");
	}
	*abip = (int)abi;
	memset(&attr, 0, sizeof attr);
	attr.handled_access_fs = fs_rights((int)abi);
	if (!net && abi >= 4)
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
	/* No signals to, and no abstract sockets of, processes outside the sandbox. */
	if (abi >= 6)
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
	/* Older kernels accept the larger struct as long as the fields they do not
	 * know are zero, which the ABI checks above ensure. */
	if ((fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0)) < 0)
		return err_set(EX_SOFTWARE, "landlock: create ruleset:");
	/* exec_only: the system directories are read, not executed: a shared object
	 * is mmap()ed, which Landlock does not check; only execve is. */
	for (i = 0; i < sizeof sysdir / sizeof sysdir[0] && !rc; i++)
		rc = ll_allow(fd, sysdir[i], p->exec_only ? LL_R : LL_RX, attr.handled_access_fs,
		    1);
	for (i = 0; i < sizeof sys / sizeof sys[0] && !rc; i++)
		rc = ll_allow(fd, sys[i].path, sys[i].access, attr.handled_access_fs, 1);
	if (!rc && (ld = loader()))
		rc = ll_allow(fd, ld, LL_RX, attr.handled_access_fs, 1);
	for (i = 0; i < p->n && !rc; i++)
		rc = ll_rule(fd, p->g[i].fd, p->g[i].path, how[p->g[i].how],
		    attr.handled_access_fs);
	if (!rc && syscall(SYS_landlock_restrict_self, fd, 0) < 0)
		rc = err_set(EX_SOFTWARE, "landlock: restrict:");
	e = errno;
	close(fd);
	errno = e;
	return rc;
}
