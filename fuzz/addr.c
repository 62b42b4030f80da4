/* fuzz/addr: the ADDR:PORT parser of --listen and gateway.listen.  What it
 * accepts has a host that fits and a port of 0 to 65535, and parses the same
 * when written back; what it refuses, it says why. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/addr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char spec[512], host[256], again[256], back[600], why[128];
	unsigned port, port2;

	if (size >= sizeof spec || memchr(data, '\0', size))
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	why[0] = '\0';
	if (addr_split(spec, host, sizeof host, &port, why, sizeof why)) {
		if (!*why)
			__builtin_trap();
		return 0;
	}
	if (port > 65535 || strlen(host) >= sizeof host)
		__builtin_trap();
	snprintf(back, sizeof back, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
	if (addr_split(back, again, sizeof again, &port2, why, sizeof why) || port2 != port
	    || strcmp(again, host))
		__builtin_trap();
	return 0;
}
