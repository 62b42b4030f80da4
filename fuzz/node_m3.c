/* fuzz/node_m3: a client's hello and identity (M1 || M3 ...) as a server reads
 * them.  The server's ephemeral key is fresh, so no M3 made in advance can open:
 * every input must be refused, cleanly, and the invite lookup must only ever see
 * a pairing hello. */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "node/wire.h"

static struct node_id me;
static int ready;

static int
invite(void *ctx, const unsigned char id[8], struct node_invite *inv, char *why, size_t n)
{
	if (id[0] & 1) {
		snprintf(why, n, "wrong code");
		return EX_NOPERM;
	}
	memcpy(inv->id, id, 8);
	memset(inv->key, 7, 32);
	return 0;
}

static void bad_proof(void *ctx, const unsigned char id[8]) { }

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct node_server_ops ops = { invite, bad_proof, NULL };
	struct node_invite inv;
	struct buf payload = BUF_INIT;
	struct node_chan c;
	int sv[2], mode;

	if (!ready) {
		crypto_sign_keypair(me.pk, me.sk);
		ready = 1;
	}
	if (size > 60000 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 0;
	if (size && write(sv[1], data, size) != (ssize_t)size)
		return 0;
	shutdown(sv[1], SHUT_WR);
	if (node_chan_init(&c, sv[0], sv[0], 1) == 0) {
		if (node_hs_server(&c, &me, &ops, &mode, &inv, &payload,
		    clock_mono_ms() + 1000) == 0)
			/* accepted an identity made without our key */
			__builtin_trap();
		node_chan_free(&c);
	}
	buf_free(&payload);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
