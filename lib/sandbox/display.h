/* display: the one way out claw-sandbox -D opens, to the sockets of the user's X server
 * and Wayland compositor, by answering the program's connect(2) calls (a seccomp user
 * notification) from outside every layer.  See claw-sandbox(8), DISPLAY. */
#ifndef CLAW_DISPLAY_H
#define CLAW_DISPLAY_H
#include <sys/un.h>

#include "sandbox/sandbox.h"

struct sandbox_display {
	char x11[sizeof ((struct sockaddr_un *)0)->sun_path];     /* "" when none */
	char wayland[sizeof ((struct sockaddr_un *)0)->sun_path]; /* "" when none */
};

/* The sockets of DISPLAY (":N[.S]" or "unix:N[.S]": /tmp/.X11-unix/XN) and
 * WAYLAND_DISPLAY (a name in XDG_RUNTIME_DIR, or a path) from our environment: 0,
 * or EX_USAGE with err set for a DISPLAY that is no local one (a host's is the
 * network) or a socket path too long. */
int sandbox_display_parse(struct sandbox_display *d);

/* Which of d's sockets the address of connect(2) (n bytes) names: d->x11 or
 * d->wayland, or NULL for none.  The X server's abstract name (what libxcb tries
 * first) is its path after a NUL. */
const char *sandbox_display_wanted(const struct sandbox_display *d, const void *addr,
    size_t n);

/* Answer each connect(2) the programs under listener make until none is left:
 * one to a socket of d (the X server's by its file or its abstract name, which
 * libxcb tries first and Landlock scopes away) gets a connection of ours in
 * place of its socket; any other EPERM, or, when net, goes on to the other
 * layers.  Never returns. */
void sandbox_display_broker(int listener, const struct sandbox_display *d, int net)
    __attribute__((noreturn));

/* One descriptor over a Unix socket, SCM_RIGHTS: send gives 0 or an exit code with
 * err set; recv the descriptor (close-on-exec), or -1 at end of file or on error. */
int sandbox_fd_send(int sock, int fd);
int sandbox_fd_recv(int sock);
#endif
