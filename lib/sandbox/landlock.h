/* landlock: the file-system walls of a sandboxed process (and, without the network, its
 * TCP walls), as Landlock rules the process puts on itself before it execs. */
#ifndef CLAW_LANDLOCK_H
#define CLAW_LANDLOCK_H
#include <stddef.h>

#include "sandbox/sandbox.h"

enum sandbox_how { SANDBOX_R, SANDBOX_RX, SANDBOX_RW };

struct sandbox_grant {
	const char *path;       /* as given */
	char canon[4096];       /* where it led, with no symlink (sandbox_path_open) */
	int fd;                 /* O_PATH descriptor of it */
	enum sandbox_how how;   /* read; read and execute; read and write */
};

struct sandbox_paths {
	struct sandbox_grant *g;
	size_t n;
	int exec_only;          /* execute only beneath SANDBOX_RX grants and the loader */
};

/* Open path (absolute) for a rule, component by component, never following a
 * symlink the sandboxed program or its user could have made: a symlink is
 * followed only when root owns it and the directory holding it (not writable by
 * group or others), and it does not lie beneath one of the nwr canonical paths
 * in wr (what the sandbox may write).  Any other symlink, and a .. component,
 * is refused with EX_NOPERM; a path that cannot be opened, EX_USAGE.  On 0, *fd
 * is an O_PATH descriptor and canon (n bytes) the path it names, with no
 * symlink. */
int sandbox_path_open(const char *path, char *const wr[], size_t nwr, int *fd, char *canon,
    size_t n);

/* 1 when path (canonical) is dir or beneath it. */
int sandbox_path_beneath(const char *path, const char *dir);

/* Landlock: read the system directories (/usr, /bin, /lib, /lib64) and, unless
 * exec_only, execute there too; execute the dynamic loader; read /etc and
 * /proc/self, read-write /dev/null; then the caller's paths (by their
 * descriptors).  Everything else is denied.  Without net, TCP bind and connect
 * are denied too (ABI >= 4).  *abi is the kernel's Landlock ABI (0 when there is
 * none). */
int sandbox_landlock(const struct sandbox_paths *p, int net, int *abi);
int sandbox_landlock_abi(void);

#endif
