/* addr: strict on purpose: a port that strtol would wrap or a dotted quad
 * that getaddrinfo would not take is refused here, where the user typed it. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "base/addr.h"

/* A host name as RFC 1123 spells one; all digits and dots is an IPv4 address. */
static int
host_ok(const char *h)
{
	struct in_addr a;
	size_t label = 0;
	const char *p;

	if (strspn(h, "0123456789.") == strlen(h))
		return inet_pton(AF_INET, h, &a) == 1;
	for (p = h; *p; p++) {
		if (*p == '.') {
			if (!label || p[-1] == '-')
				return 0;
			label = 0;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
		    || (*p >= '0' && *p <= '9') || (*p == '-' && label))
			label++;
		else
			return 0;
		if (label > 63)
			return 0;
	}
	return label && p[-1] != '-';
}

int
addr_split(const char *spec, char *host, size_t hn, unsigned *port, char *why, size_t wn)
{
	const char *colon, *d, *close = spec[0] == '[' ? strchr(spec, ']') : NULL;
	struct in6_addr a6;
	unsigned long n = 0;
	size_t hl;

	colon = spec[0] == '[' ? (close && close[1] == ':' ? close + 1 : NULL) : strrchr(spec, ':');
	if (!colon || colon == spec || !colon[1]) {
		snprintf(why, wn, "want ADDR:PORT (e.g. 127.0.0.1:3000 or [::1]:3000)");
		return -1;
	}
	for (d = colon + 1; *d; d++) {
		if (*d < '0' || *d > '9' || (n = n * 10 + (unsigned long)(*d - '0')) > 65535) {
			snprintf(why, wn, "%s: want a port number from 0 to 65535", colon + 1);
			return -1;
		}
	}
	hl = (size_t)(colon - spec);
	if (close)
		spec++, hl -= 2;
	else if (memchr(spec, ':', hl)) {
		snprintf(why, wn, "an IPv6 address goes in brackets: [ADDR]:PORT");
		return -1;
	}
	if (hl >= hn || hl > 253) {
		snprintf(why, wn, "address too long");
		return -1;
	}
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (close ? inet_pton(AF_INET6, host, &a6) != 1 : !host_ok(host)) {
		snprintf(why, wn, "%s: not an IP address or host name", host);
		return -1;
	}
	*port = (unsigned)n;
	return 0;
}
