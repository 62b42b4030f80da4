/* tests/unit/node.c: lib/node/wire.c — the handshake in both modes between two
 * processes, every byte of each handshake message flipped in transit and refused,
 * frames sealed and opened, and the frame decoder's length vectors. */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "node/wire.h"
#include "tap.h"

static struct node_id cid, sid;
static struct node_invite inv;
static long tmo = 5000;       /* ms: shorter for the flipped sessions, which may wait */

static int
no_invite(void *ctx, const unsigned char id[8], struct node_invite *out, char *why, size_t n)
{
	if (memcmp(id, inv.id, 8)) {
		snprintf(why, n, "wrong code");
		return EX_NOPERM;
	}
	*out = inv;
	return 0;
}

static void no_proof(void *ctx, const unsigned char id[8]) { }

/* The server in a child: handshake, then echo each stdin frame back as stdout
 * and end with an exit frame.  Exits 0 when all went as a server should. */
static void
server(int fd)
{
	struct node_server_ops ops = { no_invite, no_proof, NULL };
	struct node_chan c;
	struct buf payload = BUF_INIT;
	struct node_invite got;
	const unsigned char *d;
	size_t n;
	int mode, kind;

	alarm(10);
	if (node_chan_init(&c, fd, fd, 1)
	    || node_hs_server(&c, &sid, &ops, &mode, &got, &payload, clock_mono_ms() + tmo))
		_exit(3);
	if (memcmp(c.peer, cid.pk, 32))
		_exit(4);
	node_send(&c, NODE_F_WELCOME, "{\"type\":\"welcome\"}", 18, 0);
	if (mode == NODE_PAIR && (payload.len != 2 || memcmp(payload.p, "{}", 2)))
		_exit(5);
	while (node_recv_wait(&c, &kind, &d, &n, clock_mono_ms() + tmo) > 0) {
		if (kind == NODE_F_STDIN)
			node_send(&c, NODE_F_STDOUT, d, n, 0);
		if (kind == NODE_F_EOF && c.rx_final) {
			node_send(&c, NODE_F_EXIT, "{\"exit\":0}", 10, 1);
			node_flush_all(&c, clock_mono_ms() + tmo);
			_exit(0);
		}
	}
	_exit(6);
}

/* A relay between a and b that flips the byte at offset at of one direction
 * (s2c: from b to a), or none when at < 0. */
static void
relay(int a, int b, long at, int s2c)
{
	long n[2] = { 0, 0 };
	char buf[65536];

	alarm(10);
	for (;;) {
		struct pollfd f[2] = { { a, POLLIN, 0 }, { b, POLLIN, 0 } };
		int i;
		if (poll(f, 2, -1) < 0)
			_exit(1);
		for (i = 0; i < 2; i++) {
			ssize_t r, k;
			int dir = i == 1;        /* 1: b to a, server to client */
			if (!f[i].revents)
				continue;
			if ((r = read(i ? b : a, buf, sizeof buf)) <= 0)
				_exit(0);
			if (at >= 0 && dir == s2c && n[dir] <= at && at < n[dir] + r)
				buf[at - n[dir]] ^= 0x20;
			n[dir] += r;
			for (k = 0; k < r;) {
				ssize_t w = write(i ? a : b, buf + k, (size_t)(r - k));
				if (w <= 0)
					_exit(0);
				k += w;
			}
		}
	}
}

/* One session: client here, server in a child, through a relay child flipping
 * byte at (or none).  Returns the client's result: 0 when the whole exchange
 * worked; *srv gets the server's exit status. */
static int
session(int pair, const unsigned char *pin, long at, int s2c, int *srv)
{
	int cs[2], ss[2], rc = 0, kind, st;
	pid_t sp, rp;
	struct node_chan c;
	const unsigned char *d;
	size_t n;

	socketpair(AF_UNIX, SOCK_STREAM, 0, cs);
	socketpair(AF_UNIX, SOCK_STREAM, 0, ss);
	if ((sp = fork()) == 0) {
		close(cs[0]), close(cs[1]), close(ss[0]);
		server(ss[1]);
	}
	if ((rp = fork()) == 0) {
		close(cs[0]), close(ss[1]);
		relay(cs[1], ss[0], at, s2c);
	}
	close(cs[1]), close(ss[0]), close(ss[1]);
	node_chan_init(&c, cs[0], cs[0], 0);
	if (node_hs_client(&c, &cid, pair ? NULL : pin, pair ? &inv : NULL, pair ? "{}" : NULL,
	    pair ? 2 : 0, clock_mono_ms() + tmo))
		rc = 1;
	if (!rc) {
		node_send(&c, NODE_F_STDIN, "ping", 4, 0);
		node_send(&c, NODE_F_EOF, "", 0, 1);
		if (node_recv_wait(&c, &kind, &d, &n, clock_mono_ms() + tmo) < 0
		    || kind != NODE_F_WELCOME)
			rc = 2;
		else if (node_recv_wait(&c, &kind, &d, &n, clock_mono_ms() + tmo) < 0
		    || kind != NODE_F_STDOUT || n != 4 || memcmp(d, "ping", 4))
			rc = 3;
		else if (node_recv_wait(&c, &kind, &d, &n, clock_mono_ms() + tmo) < 0
		    || kind != NODE_F_EXIT || !c.rx_final)
			rc = 4;
	}
	node_chan_free(&c);
	close(cs[0]);
	waitpid(sp, &st, 0);
	*srv = WIFEXITED(st) ? WEXITSTATUS(st) : 99;
	kill(rp, SIGKILL);
	waitpid(rp, NULL, 0);
	return rc;
}

int
main(void)
{
	unsigned char other[32];
	unsigned char hdr[4];
	char code[20], norm[17];
	long at;
	int srv, bad;

	crypto_sign_keypair(cid.pk, cid.sk);
	crypto_sign_keypair(sid.pk, sid.sk);
	randombytes_buf(other, sizeof other);
	node_code_make(code);
	ok(node_code_norm(code, norm) == 0 && strlen(code) == 19, "a code: %s", code);
	node_code_keys(norm, &inv);
	ok(node_code_norm("K3VQ-8MZT-0A2C-9FXO", norm) == 0 && !strcmp(norm, "k3vq8mzt0a2c9fx0"),
	    "codes are read loosely: case, dashes, o for 0");
	ok(node_code_norm("k3vq-8mzt-0a2c-9fxu", norm) < 0, "u is not in the alphabet");
	ok(node_code_norm("k3vq-8mzt", norm) < 0, "a short code is not one");

	is_int(session(0, sid.pk, -1, 0, &srv), 0, "run mode: handshake, frames, final tags");
	is_int(srv, 0, "and the server saw the client's key and a clean end");
	is_int(session(0, other, -1, 0, &srv), 1, "another pinned key: the client stops at M2");
	ok(srv != 0, "and the server never gets M3");
	is_int(session(1, NULL, -1, 0, &srv), 0, "pairing mode: both sides prove the code");
	is_int(srv, 0, "and the server got the payload");

	tmo = 400;
	/* Every byte of M2 (and the stream header and first frame after it) flipped. */
	for (bad = 0, at = 0; at < NODE_M1 + NODE_M2_CT(NODE_RUN) + 24 + 40; at++)
		if (session(0, sid.pk, at, 1, &srv) == 0)
			bad++, note("s2c byte %ld flipped and accepted", at);
	is_int(bad, 0, "every server-to-client byte flipped is refused");
	/* Every byte of M1, M3 (its header included) and the first frames. */
	for (bad = 0, at = 0; at < NODE_M1 + 2 + 112 + 24 + 30; at++)
		if (session(0, sid.pk, at, 0, &srv) == 0 && srv == 0)
			bad++, note("c2s byte %ld flipped and accepted", at);
	is_int(bad, 0, "every client-to-server byte flipped is refused");

	memcpy(hdr, "\xff\xff\xff\xff", 4);
	is_int((int)node_frame_need(hdr, 4), -1, "a 4 GiB length is refused from its 4 bytes");
	is_int((int)node_frame_need(hdr, 3), 0, "3 bytes are not yet a length");
	memcpy(hdr, "\0\0\0\x11", 4);
	is_int((int)node_frame_need(hdr, 4), -1, "17: shorter than a sealed kind byte");
	memcpy(hdr, "\0\0\0\x12", 4);
	is_int((int)node_frame_need(hdr, 4), 22, "18: an empty frame, 22 bytes in all");
	memcpy(hdr, "\0\x10\0\x11", 4);
	is_int((int)node_frame_need(hdr, 4), (1 << 20) + 17 + 4, "the largest frame");
	memcpy(hdr, "\0\x10\0\x12", 4);
	is_int((int)node_frame_need(hdr, 4), -1, "one byte more is refused");
	return done_testing();
}
