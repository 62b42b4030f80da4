/* tcp: getaddrinfo, bind and listen; a non-blocking connect polled to a deadline. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/addr.h"
#include "base/clock.h"
#include "base/err.h"
#include "net/tcp.h"

static int
is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	return sa->sa_family == AF_INET6
	    && IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

int
tcp_split(const char *spec, char *host, size_t hn, char *port, size_t pn)
{
	char why[128];
	unsigned n;

	if (addr_split(spec, host, hn, &n, why, sizeof why))
		return err_set(EX_CONFIG, "%s: %s", spec, why);
	snprintf(port, pn, "%u", n);
	return 0;
}

int
tcp_listen(const char *spec, char *bound, size_t n, int *exposed)
{
	char host[256], port[16], a[INET6_ADDRSTRLEN];
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICSERV | AI_PASSIVE }, *ai = NULL;
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	int fd, one = 1, e;

	if (tcp_split(spec, host, sizeof host, port, sizeof port))
		return -1;
	if ((e = getaddrinfo(host, port, &hints, &ai)) || !ai)
		return err_set(EX_CONFIG, "%s: %s", spec, gai_strerror(e)), -1;
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		freeaddrinfo(ai);
		return err_set(EX_UNAVAILABLE, "socket:"), -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 511) < 0) {
		e = errno;
		close(fd);
		freeaddrinfo(ai);
		errno = e;
		return err_set(e == EACCES ? EX_NOPERM : EX_UNAVAILABLE, "%s:", spec), -1;
	}
	freeaddrinfo(ai);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	if (sa.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, a, sizeof a);
		snprintf(bound, n, "[%s]:%u", a, ntohs(((struct sockaddr_in6 *)&sa)->sin6_port));
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, a, sizeof a);
		snprintf(bound, n, "%s:%u", a, ntohs(((struct sockaddr_in *)&sa)->sin_port));
	}
	*exposed = !is_loopback((struct sockaddr *)&sa);
	return fd;
}

int
tcp_connect_any(const struct addrinfo *res, long long deadline, int *err)
{
	const struct addrinfo *ai;
	int fd = -1, rc, one = 1;

	*err = ECONNREFUSED;
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd pfd;
		socklen_t len = sizeof *err;
		long long left;
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol)) < 0) {
			*err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			left = deadline - clock_mono_ms();
			rc = poll(&pfd, 1, left > 0 ? (int)left : 0);
			if (rc > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &len) == 0 && !*err)
				break;
			if (rc == 0)
				*err = ETIMEDOUT;
		} else
			*err = errno;
		close(fd);
		fd = -1;
	}
	if (fd >= 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	}
	return fd;
}

int
tcp_dial(const char *host, const char *port, int timeout_ms)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res;
	int fd, rc, err;

	if ((rc = getaddrinfo(host, port, &hints, &res)))
		return err_set(EX_UNAVAILABLE, "%s: %s", host, gai_strerror(rc)), -1;
	fd = tcp_connect_any(res, clock_mono_ms() + timeout_ms, &err);
	freeaddrinfo(res);
	if (fd < 0) {
		errno = err;
		return err_set(err == ETIMEDOUT ? EX_TEMPFAIL : EX_UNAVAILABLE, "%s port %s:", host,
		    port), -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}
