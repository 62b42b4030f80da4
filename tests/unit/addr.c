/* Unit tests for lib/base/addr.c: the one ADDR:PORT parser of --listen and
 * gateway.listen, its vectors accepted and refused. */
#include <string.h>

#include "tap.h"
#include "base/addr.h"

static const struct {
	const char *spec, *host;
	unsigned port;
} good[] = {
	{ "127.0.0.1:3000", "127.0.0.1", 3000 }, { "0.0.0.0:0", "0.0.0.0", 0 },
	{ "127.0.0.1:65535", "127.0.0.1", 65535 }, { "[::1]:3000", "::1", 3000 },
	{ "[::]:80", "::", 80 }, { "localhost:41000", "localhost", 41000 },
	{ "gw-1.example.org:443", "gw-1.example.org", 443 },
	{ "127.0.0.1:00080", "127.0.0.1", 80 },
};

static const char *const bad[] = {
	"", ":", "3000", ":3000", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999",
	"127.0.0.1:65536", "127.0.0.1:4294967297", "127.0.0.1:-1", "127.0.0.1:+80",
	"127.0.0.1:http", "127.0.0.1: 80", "999.1.1.1:41000", "1.2.3:80", "1.2.3.4.5:80",
	"::1:3000", "[::1:3000", "[]:80", "[1.2.3.4]:80", "[::1]x:80", "host_name:80",
	"-host:80", "host-:80", "a..b:80", ".a:80", "a.:80", "sp ace:80", "[::1]", "[::1]80",
	"[:3000",
};

int
main(void)
{
	char host[256], why[128];
	unsigned port;
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		int rc = addr_split(good[i].spec, host, sizeof host, &port, why, sizeof why);
		ok(rc == 0 && strcmp(host, good[i].host) == 0 && port == good[i].port,
		    "%s: %s port %u", good[i].spec, good[i].host, good[i].port);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		ok(addr_split(bad[i], host, sizeof host, &port, why, sizeof why) == -1 && *why,
		    "refused: '%s' (%s)", bad[i], why);
	}
	memset(host, 'a', 200);
	strcpy(host + 200, ":80");
	ok(addr_split(host, why, 64, &port, why + 64, 64) == -1, "a host longer than its room");
	return done_testing();
}
