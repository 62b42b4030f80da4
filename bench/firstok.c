/* firstok: bench/gateway's stopwatch for a start.  Runs PROG (claw-gateway
 * start ...), and from the same instant asks GET /healthz of 127.0.0.1:PORT
 * every 0.5 ms until the answer is 200.  Prints "US_TO_200 US_TO_EXIT STATUS":
 * microseconds to the first 200, to PROG's own exit, and its exit status.  A
 * tiny C program because a curl process per try would cost more than what is
 * measured. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* The status of one GET /healthz, or -1 when nothing answers yet. */
static int
probe(int port)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	struct timeval tv = { .tv_sec = 2 };
	char buf[64];
	size_t have = 0;
	ssize_t n;
	int fd, status = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1))
		goto out;
	while (have < 12 && (n = read(fd, buf + have, sizeof buf - 1 - have)) > 0)
		have += (size_t)n;
	buf[have] = '\0';
	if (have >= 12 && !strncmp(buf, "HTTP/1.", 7))
		status = atoi(buf + 9);
out:
	close(fd);
	return status;
}

int
main(int argc, char **argv)
{
	struct timespec gap = { .tv_nsec = 500000 };
	long long t0, ok = -1, done = -1;
	pid_t pid;
	int port, st = 0, e;

	if (argc < 4 || strcmp(argv[2], "--") || (port = atoi(argv[1])) <= 0 || port > 65535) {
		fputs("usage: firstok PORT -- PROG [ARG...]\n", stderr);
		return 64;
	}
	t0 = now_us();
	if ((e = posix_spawn(&pid, argv[3], NULL, NULL, argv + 3, environ))) {
		fprintf(stderr, "firstok: %s: %s\n", argv[3], strerror(e));
		return 69;
	}
	while (ok < 0) {
		if (done < 0 && waitpid(pid, &st, WNOHANG) == pid) {
			done = now_us() - t0;
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				break;
		}
		if (probe(port) == 200)
			ok = now_us() - t0;
		else if (now_us() - t0 > 10000000)
			break;
		else
			nanosleep(&gap, NULL);
	}
	if (done < 0) {
		waitpid(pid, &st, 0);
		done = now_us() - t0;
	}
	st = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (ok < 0) {
		fprintf(stderr, "firstok: no 200 from 127.0.0.1:%d in %.1f s (%s exited %d)\n",
		    port, (now_us() - t0) / 1e6, argv[3], st);
		return 1;
	}
	printf("%lld %lld %d\n", ok, done, st);
	return 0;
}
