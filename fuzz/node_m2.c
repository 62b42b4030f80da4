/* fuzz/node_m2: the server's answer as a client reads it (M2, a refusal, what
 * follows).  No input can pass: it would need the pinned server key's signature
 * over a transcript holding our fresh ephemeral key.  It must fail cleanly. */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "node/wire.h"

static struct node_id me;
static unsigned char pin[32];
static int ready;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct node_invite inv = { "12345678", "0123456789abcdef0123456789abcdef" };
	struct node_chan c;
	int sv[2], rc;

	if (!ready) {
		unsigned char other[crypto_sign_SECRETKEYBYTES];
		crypto_sign_keypair(me.pk, me.sk);
		crypto_sign_keypair(pin, other);          /* the pin: some other node's key */
		ready = 1;
	}
	if (size < 1 || size > 60000 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 0;
	if (size > 1 && write(sv[1], data + 1, size - 1) != (ssize_t)size - 1)
		return 0;
	shutdown(sv[1], SHUT_WR);
	if (node_chan_init(&c, sv[0], sv[0], 0) == 0) {
		rc = node_hs_client(&c, &me, data[0] & 1 ? NULL : pin, data[0] & 1 ? &inv : NULL,
		    "{}", 2, clock_mono_ms() + 1000);
		if (rc == 0)
			__builtin_trap();             /* forged a server */
		node_chan_free(&c);
	}
	close(sv[0]);
	close(sv[1]);
	return 0;
}
