/* hide: a directory taken out of the sandbox's sight whatever it may reach ($CLAW_HOME,
 * its store and sealing key), by an empty read-only tmpfs in a mount namespace of its own. */
#ifndef CLAW_HIDE_H
#define CLAW_HIDE_H
#include <stddef.h>

#include "sandbox/sandbox.h"

/* In a new mount namespace (ours: after sandbox_unshare, or as root), mount an
 * empty read-only tmpfs over dir, then bind each of keep (canonical paths; those
 * beneath dir) back in its place.  0 when hidden, SANDBOX_UNAVAILABLE when no
 * mount namespace can be had here (err says why), or an exit code. */
int sandbox_hide(const char *dir, char *const keep[], size_t n);
#endif
