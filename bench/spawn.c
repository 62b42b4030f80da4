/* spawn: the bench's stopwatch.  Runs one command once and prints
 * "WALL_NS MAXRSS_KIB STATUS".  It is a tiny C program because the kernel folds
 * the parent's memory into the child's ru_maxrss at exec: a Python parent would
 * hide every child under its own ~10 MB. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

int
main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	struct timespec t0, t1;
	struct rusage ru;
	pid_t pid;
	int st, e;

	if (argc < 4 || strcmp(argv[2], "--")) {
		fputs("usage: spawn STDIN-FILE -- PROG [ARG...]\n", stderr);
		return 64;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, argv[1], O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((e = posix_spawn(&pid, argv[3], &fa, NULL, argv + 3, environ))) {
		fprintf(stderr, "spawn: %s: %s\n", argv[3], strerror(e));
		return 69;
	}
	if (wait4(pid, &st, 0, &ru) < 0) {
		perror("spawn: wait4");
		return 70;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%lld %ld %d\n",
	    (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec),
	    ru.ru_maxrss, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}
