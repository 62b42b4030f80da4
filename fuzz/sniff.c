/* fuzz/sniff: media types by first bytes.  Checks the header's promise: a prefix never
 * gets a type the whole would not, and every type has an extension. */
#include <stdint.h>
#include <string.h>

#include "base/sniff.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *whole = sniff_type(data, size), *t;
	size_t n;

	for (n = 0; n <= size && n <= SNIFF_HEAD; n++)
		if ((t = sniff_type(data, n)) && (!whole || strcmp(t, whole)))
			__builtin_trap();
	if (whole && (strncmp(whole, "image/", 6) && strncmp(whole, "audio/", 6)))
		__builtin_trap();
	if (whole && !strcmp(sniff_ext(whole), "bin"))
		__builtin_trap();
	return 0;
}
