/* landlock: the file-system walls of a sandboxed process (and, without the network, its
 * TCP walls), as Landlock rules the process puts on itself before it execs. */
#ifndef CLAW_LANDLOCK_H
#define CLAW_LANDLOCK_H
#include <stddef.h>

#include "sandbox/sandbox.h"

struct sandbox_paths {
	char **ro, **rx, **rw;  /* absolute paths: read; read and execute; read and write */
	size_t nro, nrx, nrw;
};

/* Landlock: read and execute the system directories (/usr, /bin, /lib, /lib64),
 * read /etc and /proc/self, read-write /dev/null; then the caller's paths.
 * Everything else is denied.  Without net, TCP bind and connect are denied too
 * (ABI >= 4).  *abi is the kernel's Landlock ABI (0 when there is none). */
int sandbox_landlock(const struct sandbox_paths *p, int net, int *abi);
int sandbox_landlock_abi(void);

#endif
