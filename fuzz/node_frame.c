/* fuzz/node_frame: the node frame decoder.  Mode 0: the input is the peer's byte
 * stream after a good stream header — nothing in it may open as a frame, and a
 * length over the cap must be refused from its four bytes.  Mode 1: the input is
 * cut into frames that are sealed properly; each must come back whole, in order,
 * and the last one final. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "node/wire.h"

static unsigned char key[32] = "fuzz-key-fuzz-key-fuzz-key-fuzz";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	crypto_secretstream_xchacha20poly1305_state tx;
	struct node_chan rx, txc;
	unsigned char header[24];
	const unsigned char *p;
	size_t n, off, cuts[64];
	int sv[2], kind, r, k = 0, ncut = 0, mode;

	if (size < 1 || size > 60000 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 0;
	mode = data[0] & 1;
	data++, size--;
	if (node_chan_init(&rx, sv[0], sv[0], 0))
		return 0;
	crypto_secretstream_xchacha20poly1305_init_push(&tx, header, key);
	memcpy(rx.skey, key, 32);
	rx.rx_ready = -1;
	if (write(sv[1], header, 24) != 24)
		abort();
	if (mode == 0) {
		if (size && write(sv[1], data, size) != (ssize_t)size)
			abort();
		if (size >= 4 && node_frame_need(data, size) < 0
		    && (node_recv(&rx, &kind, &p, &n) != -1 || !strstr(rx.why, "cap")))
			__builtin_trap();     /* an over-long length must be refused at once */
	} else {
		/* the same key for a sending channel: frames sealed as a peer seals them */
		memset(&txc, 0, sizeof txc);
		txc.tx = tx;
		txc.sb = malloc(NODE_FRAME_MAX);
		for (off = 0; off < size && ncut < 64; ncut++) {
			size_t len = data[off] % 200;
			if (len > size - off - 1)
				len = size - off - 1;
			cuts[ncut] = off + 1;
			off += 1 + len;
			node_send(&txc, NODE_F_STDOUT, data + cuts[ncut], len,
			    off >= size || ncut == 63);
			cuts[ncut] |= len << 20;
		}
		if (txc.tx_q.len && write(sv[1], txc.tx_q.p, txc.tx_q.len) != (ssize_t)txc.tx_q.len)
			abort();
		free(txc.sb);
		buf_free(&txc.tx_q);
	}
	shutdown(sv[1], SHUT_WR);
	while ((r = node_recv(&rx, &kind, &p, &n)) > 0) {
		if (mode == 0)
			__builtin_trap();         /* a forged frame opened */
		if (k >= ncut || n != cuts[k] >> 20 || memcmp(p, data + (cuts[k] & 0xfffff), n))
			__builtin_trap();         /* not what was sealed */
		if (rx.rx_final != (k == ncut - 1))
			__builtin_trap();
		k++;
	}
	if (mode == 1 && (k != ncut || (ncut && !rx.eof)))
		__builtin_trap();                 /* a sealed frame lost, or a clean end missed */
	node_chan_free(&rx);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
