/* landlock: the file-system and network walls of a sandboxed process, by syscall() (Debian
 * 12's headers stop at ABI 2, so the newer constants are ours and the header is not included). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
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

/* Allow access beneath path.  A system path this machine lacks (/lib64 on
 * arm64) is skipped when optional. */
static int
ll_allow(int ruleset, const char *path, uint64_t access, uint64_t handled, int optional)
{
	struct ll_path_beneath_attr pb;
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC), e;

	if (fd < 0) {
		if (optional && (errno == ENOENT || errno == ENOTDIR || errno == EACCES))
			return 0;
		return err_set(EX_SOFTWARE, "landlock: %s:", path);
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return err_set(EX_SOFTWARE, "landlock: %s:", path);
	}
	if (!S_ISDIR(st.st_mode))
		access &= LL_FILE;
	pb.allowed_access = access & handled;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH, &pb, 0) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return err_set(EX_SOFTWARE, "landlock: %s:", path);
	}
	close(fd);
	return 0;
}

int
sandbox_landlock(const struct sandbox_paths *p, int net, int *abip)
{
	static const struct {
		const char *path;
		uint64_t access;
	} sys[] = {
		{ "/usr", LL_RX }, { "/bin", LL_RX }, { "/sbin", LL_RX }, { "/lib", LL_RX },
		{ "/lib64", LL_RX }, { "/etc", LL_R }, { "/proc/self", LL_R },
		{ "/dev/null", LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_TRUNCATE },
		{ "/dev/zero", LL_FS_READ_FILE }, { "/dev/urandom", LL_FS_READ_FILE },
		{ "/dev/random", LL_FS_READ_FILE },
		/* What runtimes read to size themselves (node's os.cpus(), nproc). */
		{ "/proc/cpuinfo", LL_FS_READ_FILE }, { "/proc/meminfo", LL_FS_READ_FILE },
		{ "/proc/stat", LL_FS_READ_FILE }, { "/proc/loadavg", LL_FS_READ_FILE },
		{ "/proc/uptime", LL_FS_READ_FILE }, { "/sys/devices/system/cpu", LL_R },
	};
	struct ll_ruleset_attr attr;
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
	for (i = 0; i < sizeof sys / sizeof sys[0] && !rc; i++)
		rc = ll_allow(fd, sys[i].path, sys[i].access, attr.handled_access_fs, 1);
	for (i = 0; i < p->nro && !rc; i++)
		rc = ll_allow(fd, p->ro[i], LL_R, attr.handled_access_fs, 0);
	for (i = 0; i < p->nrx && !rc; i++)
		rc = ll_allow(fd, p->rx[i], LL_RX, attr.handled_access_fs, 0);
	for (i = 0; i < p->nrw && !rc; i++)
		rc = ll_allow(fd, p->rw[i], LL_RW, attr.handled_access_fs, 0);
	if (!rc && syscall(SYS_landlock_restrict_self, fd, 0) < 0)
		rc = err_set(EX_SOFTWARE, "landlock: restrict:");
	e = errno;
	close(fd);
	errno = e;
	return rc;
}
