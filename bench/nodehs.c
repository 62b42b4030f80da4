/* nodehs: bench/node's stopwatch for the node handshake alone: N handshakes
 * (ephemeral X25519, two Ed25519 signatures and checks, the key schedule) between
 * two processes over a socketpair, each timed by the client: the median in ms. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "node/wire.h"

static int no_invite(void *c, const unsigned char id[8], struct node_invite *i, char *w, size_t n)
{
	return 77;
}

static void no_proof(void *c, const unsigned char id[8]) { }

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200, i;
	struct node_id c, s;
	double *ms = calloc((size_t)n, sizeof *ms);

	if (sodium_init() < 0 || !ms)
		return 70;
	crypto_sign_keypair(c.pk, c.sk);
	crypto_sign_keypair(s.pk, s.sk);
	for (i = 0; i < n; i++) {
		struct node_server_ops ops = { no_invite, no_proof, NULL };
		struct node_chan cc, sc;
		struct buf pl = BUF_INIT;
		struct node_invite inv;
		int sv[2], mode, kind, st;
		const unsigned char *d;
		size_t dn;
		long long t0;
		pid_t pid;

		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		if ((pid = fork()) == 0) {
			close(sv[0]);
			node_chan_init(&sc, sv[1], sv[1], 1);
			if (node_hs_server(&sc, &s, &ops, &mode, &inv, &pl, clock_mono_ms() + 5000))
				_exit(1);
			node_send(&sc, NODE_F_WELCOME, "{}", 2, 1);
			node_flush_all(&sc, clock_mono_ms() + 5000);
			_exit(0);
		}
		close(sv[1]);
		node_chan_init(&cc, sv[0], sv[0], 0);
		t0 = clock_mono_ms();
		{
			struct timespec a, b;
			clock_gettime(CLOCK_MONOTONIC, &a);
			if (node_hs_client(&cc, &c, s.pk, NULL, NULL, 0, t0 + 5000)
			    || node_recv_wait(&cc, &kind, &d, &dn, t0 + 5000) < 0)
				return fprintf(stderr, "nodehs: handshake failed\n"), 70;
			clock_gettime(CLOCK_MONOTONIC, &b);
			ms[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
		}
		node_chan_free(&cc);
		close(sv[0]);
		waitpid(pid, &st, 0);
	}
	qsort(ms, (size_t)n, sizeof *ms, cmp);
	printf("%.3f\n", ms[n / 2]);
	free(ms);
	return 0;
}
