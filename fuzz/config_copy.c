/* fuzz/config_copy: the reader of claw.db-config, the copy of config that claw
 * config get believes while the store's token matches.  Whatever the bytes, it
 * answers -1, 0 or 1, and a value it finds lies inside the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/config.h"
#include "store/copy.h"

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
	char *text, head[96];
	size_t hn;

	if (!(text = malloc(size + sizeof head)))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	lookups(text, size);
	/* and the bytes as the records of a copy whose header is right, so that the
	 * records' parser is reached past the hash */
	hn = store_copy_head(head, sizeof head, "claw-config 1", 7, (const char *)data, size);
	memcpy(text, head, hn);
	memcpy(text + hn, data, size);
	text[hn + size] = '\0';
	lookups(text, hn + size);
	free(text);
	return 0;
}
