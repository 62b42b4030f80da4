/* seccomp: the system calls a sandboxed process may not make, as a BPF filter compiled
 * by libseccomp (only sandbox/ uses it) and loaded by the process before it execs. */
#ifndef CLAW_SECCOMP_H
#define CLAW_SECCOMP_H
#include <stddef.h>

#include "sandbox/sandbox.h"

/* seccomp-bpf: default allow; EPERM for the system calls that reach outside the
 * sandbox (ptrace, mount, bpf, kexec, keyrings, namespaces, io_uring, inotify,
 * chmod/chown/xattrs by path, ioctl TIOCSTI and TIOCLINUX...), and without net
 * for socket() in every family, connect(), sendto() with an address and
 * socketpair() but of AF_UNIX streams and seqpackets.  With display, connect()
 * is sent to a listener instead (SECCOMP_RET_USER_NOTIF: the display broker,
 * display.h), and without net socket() of AF_UNIX streams is let through so
 * there is something to connect.  Inherited across execve.
 * In two steps, so one process can compile while another sets up the rest:
 * build gives the BPF program (malloc'd, *len bytes, at most BPF_MAXINSNS
 * instructions), load installs it (it needs no_new_privs) and, when listener is
 * not NULL, gives the descriptor its notifications come on (a filter built with
 * display needs one).  sandbox_seccomp() does both, without the display. */
int sandbox_seccomp_build(int net, int display, void **prog, size_t *len);
int sandbox_seccomp_load(const void *prog, size_t len, int *listener);
int sandbox_seccomp(int net);

/* "libseccomp X.Y.Z", the library this filter is compiled with, into dst. */
void sandbox_seccomp_lib(char *dst, size_t n);
#endif
