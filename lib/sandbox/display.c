/* display: the broker behind claw-sandbox -D.  The filter sends every connect(2) of the
 * sandboxed programs here (SECCOMP_RET_USER_NOTIF); we read the address, and for one of
 * the display's sockets connect a socket of our own, outside Landlock and seccomp, and put
 * it in place of theirs (SECCOMP_IOCTL_NOTIF_ADDFD).  The kernel never connects theirs, so
 * the address they change after we read it changes nothing. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/err.h"
#include "sandbox/display.h"

#define X11_DIR "/tmp/.X11-unix/X"

/* ":N[.S]" or "unix:N[.S]", the local displays; N into *n. */
static int
local_display(const char *s, unsigned long *n)
{
	char *end;

	if (!strncmp(s, "unix:", 5))
		s += 4;
	if (*s++ != ':' || !isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	*n = strtoul(s, &end, 10);
	if (errno || *n > 65535)
		return 0;
	if (*end == '.' && isdigit((unsigned char)end[1]))
		for (end++; isdigit((unsigned char)*end); end++)
			;
	return *end == '\0';
}

int
sandbox_display_parse(struct sandbox_display *d)
{
	const char *x = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
	const char *run = getenv("XDG_RUNTIME_DIR");
	unsigned long n;
	int len = 0;

	memset(d, 0, sizeof *d);
	if (x && *x) {
		if (!local_display(x, &n))
			return err_set(EX_USAGE, "-D: DISPLAY=%s is no local X display (:N):"
			    " one over the network needs the network", x);
		snprintf(d->x11, sizeof d->x11, X11_DIR "%lu", n);
	}
	if (w && *w) {
		if (*w == '/')
			len = snprintf(d->wayland, sizeof d->wayland, "%s", w);
		else if (run && *run == '/')
			len = snprintf(d->wayland, sizeof d->wayland, "%s/%s", run, w);
		if (len >= (int)sizeof d->wayland)
			return err_set(EX_USAGE, "-D: WAYLAND_DISPLAY=%s: its socket's path is"
			    " too long", w);
	}
	return 0;
}

const char *
sandbox_display_wanted(const struct sandbox_display *d, const void *addr, size_t n)
{
	size_t len, off = offsetof(struct sockaddr_un, sun_path);
	struct sockaddr_un a;
	const char *p = a.sun_path;

	if (n <= off || n > sizeof a)
		return NULL;
	memcpy(&a, addr, n);
	if (a.sun_family != AF_UNIX)
		return NULL;
	n -= off;
	if (*p == '\0') {
		len = strlen(d->x11);
		return len && n == len + 1 && !memcmp(p + 1, d->x11, len) ? d->x11 : NULL;
	}
	len = strnlen(p, n);
	if (*d->x11 && len == strlen(d->x11) && !memcmp(p, d->x11, len))
		return d->x11;
	if (*d->wayland && len == strlen(d->wayland) && !memcmp(p, d->wayland, len))
		return d->wayland;
	return NULL;
}

/* A socket of ours connected to path, by its file, else (the X server's) by its
 * abstract name: -errno when neither would. */
static int
dial(const char *path, const struct sandbox_display *d)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t n = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return -errno;
	memcpy(a.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&a, n) == 0)
		return fd;
	e = errno;
	if (path == d->x11 && (e == ENOENT || e == ECONNREFUSED)) {
		memmove(a.sun_path + 1, a.sun_path, strlen(path) + 1);
		a.sun_path[0] = '\0';
		if (connect(fd, (struct sockaddr *)&a, n) == 0)
			return fd;
	}
	close(fd);
	return -e;
}

/* The file flags of their descriptor fd, O_CLOEXEC and O_NONBLOCK of them, to give
 * ours; O_CLOEXEC when they cannot be read. */
static int
their_flags(pid_t pid, unsigned long long fd, int *nonblock)
{
	char path[64], line[128];
	unsigned long flags = O_CLOEXEC;
	FILE *f;

	*nonblock = 0;
	snprintf(path, sizeof path, "/proc/%d/fdinfo/%llu", (int)pid, fd);
	if (!(f = fopen(path, "re")))
		return O_CLOEXEC;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "flags: %lo", &flags) == 1)
			break;
	fclose(f);
	*nonblock = !!(flags & O_NONBLOCK);
	return flags & O_CLOEXEC ? O_CLOEXEC : 0;
}

/* Their connect(2), answered: 0 with ours in place, or -errno. */
static int
answer(int listener, const struct seccomp_notif *req, const struct sandbox_display *d,
    int net, int *cont)
{
	struct sockaddr_un a;
	struct seccomp_notif_addfd add;
	struct iovec local, remote;
	unsigned long long len = req->data.args[2];
	const char *path;
	static int told;
	int fd, nonblock, flags, e;
	ssize_t r;

	*cont = 0;
	memset(&a, 0, sizeof a);
	local.iov_base = &a;
	local.iov_len = remote.iov_len = len < sizeof a ? (size_t)len : sizeof a;
	remote.iov_base = (void *)(uintptr_t)req->data.args[1];
	r = syscall(SYS_process_vm_readv, req->pid, &local, 1UL, &remote, 1UL, 0UL);
	if (len > sizeof a || r < 0 || (size_t)r != local.iov_len
	    || !(path = sandbox_display_wanted(d, &a, local.iov_len))) {
		if (r < 0 && errno == EPERM && !told++)
			diag("display broker: cannot read the caller's address (ptrace"
			    " rules?): its connect(2) is refused");
		*cont = net;
		return net ? 0 : -EPERM;
	}
	flags = their_flags(req->pid, req->data.args[0], &nonblock);
	/* Still the same call of the same process, not a pid since reused. */
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0)
		return -ENOENT;
	if ((fd = dial(path, d)) < 0)
		return fd;
	if (nonblock)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	memset(&add, 0, sizeof add);
	add.id = req->id;
	add.flags = SECCOMP_ADDFD_FLAG_SETFD;
	add.srcfd = (unsigned)fd;
	add.newfd = (unsigned)req->data.args[0];
	add.newfd_flags = (unsigned)flags;
	r = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
	e = errno;
	close(fd);
	return r < 0 ? -e : 0;
}

void
sandbox_display_broker(int listener, const struct sandbox_display *d, int net)
{
	struct pollfd p = { listener, POLLIN, 0 };
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	int rc, cont;

	for (;;) {
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(EX_SOFTWARE);
		}
		if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
			_exit(0);          /* no process under the filter is left */
		memset(&req, 0, sizeof req);
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;  /* it died, or a signal took it off the call */
			_exit(EX_SOFTWARE);
		}
		cont = 0;
		rc = req.data.nr == SYS_connect ? answer(listener, &req, d, net, &cont) : -ENOSYS;
		memset(&resp, 0, sizeof resp);
		resp.id = req.id;
		resp.error = cont ? 0 : rc;
		resp.flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
		(void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}

int
sandbox_fd_send(int sock, int fd)
{
	char byte = 0, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
		.msg_controllen = sizeof cbuf };
	struct cmsghdr *c;

	memset(cbuf, 0, sizeof cbuf);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	if (sendmsg(sock, &m, MSG_NOSIGNAL) != 1)
		return err_set(EX_SOFTWARE, "send the listener:");
	return 0;
}

int
sandbox_fd_recv(int sock)
{
	char byte, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
		.msg_controllen = sizeof cbuf };
	struct cmsghdr *c;
	ssize_t r;
	int fd;

	while ((r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (r != 1 || !(c = CMSG_FIRSTHDR(&m)) || c->cmsg_level != SOL_SOCKET
	    || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}
