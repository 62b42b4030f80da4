/* seccomp: the BPF filter that keeps a sandboxed process from the system calls that reach
 * outside, compiled with libseccomp: the one file that includes <seccomp.h>. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/err.h"
#include "base/file.h"
#include "sandbox/seccomp.h"

/* Calls that reach outside the sandbox or into the kernel's riskier corners.
 * By name: one this libseccomp does not know is skipped. */
static const char *const denied[] = {
	"ptrace", "process_vm_readv", "process_vm_writev", "kexec_load", "kexec_file_load",
	"bpf", "mount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick",
	"move_mount", "open_tree", "mount_setattr", "swapon", "swapoff", "reboot",
	"init_module", "finit_module", "delete_module", "keyctl", "add_key", "request_key",
	"unshare", "setns", "userfaultfd", "perf_event_open", "open_by_handle_at",
	/* io_uring can open sockets and files without the system calls filtered here. */
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	"iopl", "ioperm", "acct", "quotactl", "syslog",
	/* Another process's descriptors. */
	"pidfd_getfd",
	/* Landlock does not cover watching: a watch on $CLAW_HOME saw the keys opened. */
	"inotify_init", "inotify_init1", "fanotify_init",
	/* Landlock has no right for modes, owners or ACLs (xattrs), and these take a
	 * path, so reach any file: a skill made the store world-readable.  fchmod(2)
	 * stays, on a descriptor Landlock let it open (node's fs.copyFile needs it). */
	"chmod", "fchmodat", "chown", "lchown", "fchown", "fchownat",
	"setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr",
};

/* Calls newer than libseccomp 2.5.4, by number: one number on every
 * architecture but alpha since Linux 5.1. */
static const int denied_new[] = {
#ifndef __alpha__
	452,    /* fchmodat2 (6.6) */
	463,    /* setxattrat (6.13) */
	466,    /* removexattrat (6.13) */
#endif
};

/* A sandboxed program has the caller's terminal as standard error: it may
 * neither type into it (TIOCSTI: the shell would run what it typed) nor work
 * the console (TIOCLINUX).  ioctl(2) takes the request as an int: compare the
 * low 32 bits only, or a request with junk above them would get through. */
static const unsigned long ioctls[] = { TIOCSTI, TIOCLINUX };

static int
deny_personality(scmp_filter_ctx ctx)
{
	/* personality(0xffffffff) only asks; any other value with bit 31 set still
	 * sets the low bits, so those are refused too (one rule per clear bit: this
	 * libseccomp allows one comparison per argument and rule). */
	static const unsigned long flags[] = { ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC,
	    MMAP_PAGE_ZERO };
	int nr = SCMP_SYS(personality), rc = 0, i;

	for (i = 0; i < 3 && !rc; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, flags[i] | 0x80000000UL, flags[i]));
	for (i = 0; i < 31 && !rc; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, 0x80000000UL | (1UL << i), 0x80000000UL));
	return rc;
}

/* Refuse call nr (socket or socketpair) but for AF_UNIX of type stream, or
 * seqpacket too.  The type's low 4 bits (SOCK_TYPE_MASK); the rest are
 * SOCK_NONBLOCK and SOCK_CLOEXEC. */
static int
unix_streams_only(scmp_filter_ctx ctx, int nr, int seqpacket)
{
	int rc, t;

	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX));
	for (t = 0; t < 16 && !rc; t++)
		if (t != SOCK_STREAM && (t != SOCK_SEQPACKET || !seqpacket))
			rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
			    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, t));
	return rc;
}

/* Without net.  socket(2) in every family, AF_UNIX included: Landlock (ABI <= 7)
 * does not cover connect(2) to a socket file, and those lead out — the session
 * bus to systemd-run, ssh-agent, docker.sock.  socketpair(2) stays, for AF_UNIX
 * streams and seqpackets only: a datagram socket (SOCK_RAW is one in AF_UNIX)
 * could sendto(2) any socket file, the journal's too, while a stream or
 * seqpacket socket ignores or refuses an address, in sendmsg(2) as well.
 * connect(2) and sendto(2) with an address are refused all the same.  With the
 * display, socket(2) of AF_UNIX streams stays, and connect(2) goes to the broker
 * (display.c), which opens only the display's sockets. */
static int
deny_sockets(scmp_filter_ctx ctx, int display)
{
	int rc;

	rc = display ? unix_streams_only(ctx, SCMP_SYS(socket), 0)
	    : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 0);
	if (!rc)
		rc = unix_streams_only(ctx, SCMP_SYS(socketpair), 1);
	if (!rc)
		rc = seccomp_rule_add(ctx, display ? SCMP_ACT_NOTIFY : SCMP_ACT_ERRNO(EPERM),
		    SCMP_SYS(connect), 0);
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(sendto), 1,
		    SCMP_A4(SCMP_CMP_NE, 0));
	return rc;
}

int
sandbox_seccomp_build(int net, int display, void **prog, size_t *len)
{
	static const unsigned long nsflags[] = { CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS,
		CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET };
	struct buf b = BUF_INIT;
	scmp_filter_ctx ctx;
	size_t i;
	int rc = 0, nr, fd;

	*prog = NULL;
	*len = 0;
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL) {
		err_set(EX_SOFTWARE, "this kernel has no seccomp");
		return SANDBOX_UNAVAILABLE;
	}
	if (!(ctx = seccomp_init(SCMP_ACT_ALLOW)))
		return err_set(EX_SOFTWARE, "seccomp: init failed");
	/* A system call of another ABI (int 0x80 on x86_64) would pass every rule
	 * below: kill it, the whole process where the kernel can (Linux >= 4.14),
	 * else the thread, which is libseccomp's default. */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	for (i = 0; i < sizeof denied / sizeof denied[0] && !rc; i++)
		if ((nr = seccomp_syscall_resolve_name(denied[i])) != __NR_SCMP_ERROR)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	for (i = 0; i < sizeof denied_new / sizeof denied_new[0] && !rc; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), denied_new[i], 0);
	for (i = 0; i < sizeof ioctls / sizeof ioctls[0] && !rc; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
		    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, ioctls[i]));
#if !defined(__s390__) && !defined(__s390x__)
	/* clone(2) with a namespace flag is unshare(2) by another name.  clone3 takes
	 * its flags in memory no filter can read: ENOSYS sends glibc back to clone. */
	for (i = 0; i < sizeof nsflags / sizeof nsflags[0] && !rc; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, nsflags[i], nsflags[i]));
	if (!rc && (nr = seccomp_syscall_resolve_name("clone3")) != __NR_SCMP_ERROR)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
#endif
	if (!rc)
		rc = deny_personality(ctx);
	if (!rc && !net)
		rc = deny_sockets(ctx, display);
	else if (!rc && display)
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(connect), 0);
	if (rc) {
		seccomp_release(ctx);
		errno = -rc;
		return err_set(EX_SOFTWARE, "seccomp: rule:");
	}
	/* libseccomp 2.5 exports only to a file descriptor. */
	if ((fd = memfd_create("seccomp", MFD_CLOEXEC)) < 0) {
		seccomp_release(ctx);
		return err_set(EX_SOFTWARE, "seccomp: memfd:");
	}
	rc = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	if (rc || lseek(fd, 0, SEEK_SET) < 0 ||
	    file_read_fd(fd, "seccomp", BPF_MAXINSNS * sizeof(struct sock_filter), &b) ||
	    b.len == 0) {
		close(fd);
		buf_free(&b);
		return err_set(EX_SOFTWARE, "seccomp: export failed");
	}
	close(fd);
	*len = b.len;
	*prog = buf_steal(&b);
	return 0;
}

int
sandbox_seccomp_load(const void *prog, size_t len, int *listener)
{
	struct sock_fprog f;
	long fd;

	f.len = (unsigned short)(len / sizeof(struct sock_filter));
	f.filter = (struct sock_filter *)prog;
	if (len == 0 || len % sizeof(struct sock_filter) ||
	    len / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return err_set(EX_SOFTWARE, "seccomp: a filter of %zu bytes", len);
	if (!listener) {
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &f, 0, 0) < 0)
			return err_set(EX_SOFTWARE, "seccomp: load:");
		return 0;
	}
	if ((fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
	    &f)) < 0)
		return err_set(EX_SOFTWARE, "seccomp: load with a listener:");
	*listener = (int)fd;
	return 0;
}

int
sandbox_seccomp(int net)
{
	void *prog;
	size_t len;
	int rc;

	if ((rc = sandbox_seccomp_build(net, 0, &prog, &len)))
		return rc;
	rc = sandbox_seccomp_load(prog, len, NULL);
	free(prog);
	return rc;
}

void
sandbox_seccomp_lib(char *dst, size_t n)
{
	const struct scmp_version *v = seccomp_version();

	snprintf(dst, n, "libseccomp %u.%u.%u", v->major, v->minor, v->micro);
}
