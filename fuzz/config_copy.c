/* fuzz/config_copy: the reader of claw.db-config, the copy of config that claw
 * config get believes while the store's token matches.  Whatever the bytes, it
 * answers -1, 0 or 1, and a value it finds lies inside the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "store/config.h"

static void
lookups(const char *text, size_t size)
{
	const char *keys[] = { "model", "thinking", "", "skills.a.b" }, *v;
	size_t i, vn;
	int token, r;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		v = NULL;
		vn = 0;
		r = config_copy_lookup(text, size, keys[i], &token, &v, &vn);
		if (r < -1 || r > 1)
			__builtin_trap();
		if (r == 1 && (v < text || v + vn > text + size))
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (!(text = copy_text(data, size)))
		return 0;
	lookups(text, size);
	/* and the bytes as the records of a copy whose header is right, so that the
	 * records' parser is reached past the hash */
	lookups(text, copy_behind_head(text, data, size, "claw-config 1", 7));
	free(text);
	return 0;
}
