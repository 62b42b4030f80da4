/* fuzz/node_m1: the client's hello as a server reads it.  Accepted only when it is
 * exactly 42 bytes in run mode or 50 when pairing, with the magic and version. */
#include <stdint.h>
#include <string.h>

#include "node/wire.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *e, *id;
	const char *why;
	int mode;

	if (node_m1_parse(data, size, &mode, &e, &id, &why) == 0) {
		if (memcmp(data, NODE_MAGIC, 8) || data[8] != NODE_VERSION
		    || size != (size_t)(mode == NODE_PAIR ? 50 : 42) || e != data + 10
		    || (mode == NODE_PAIR) != (id != NULL))
			__builtin_trap();
	} else if (!why)
		__builtin_trap();                 /* refused without a reason */
	return 0;
}
