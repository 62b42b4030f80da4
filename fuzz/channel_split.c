/* fuzz/channel_split: an answer cut into parts.  Every part holds at most the limit,
 * the parts and the blank space dropped between them give back the whole text, and
 * valid UTF-8 stays valid in every part (no character is cut). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "channel/split.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;
	size_t max, n, off = 0, len, skip, k;
	int valid;

	if (size < 1)
		return 0;
	max = 2 + data[0] % 64;
	n = size - 1;
	valid = utf8_valid(s, n);
	while (off < n) {
		len = split_next(s + off, n - off, max, &skip);
		if (len == 0 && skip == 0)
			__builtin_trap();                 /* no progress */
		if (off + len + skip > n || split_units(s + off, len) > max)
			__builtin_trap();
		if (valid && !utf8_valid(s + off, len))
			__builtin_trap();
		for (k = 0; k < skip; k++)
			if (!s[off + len + k] || !strchr(" \t\r\n", s[off + len + k]))
				__builtin_trap();
		off += len + skip;
	}
	return 0;
}
