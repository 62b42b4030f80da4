/* Unit tests for lib/net/server.c's listen address: ADDR:PORT and [V6]:PORT,
 * what is a config error, the address actually bound, and which are exposed. */
#include <string.h>

#include "base/err.h"
#include "net/server.h"
#include "tap.h"

static const struct server_ops none;
static const struct server_limits lim = { .keys = "test" };

static int
try(const char *spec, char *bound, size_t n, int *exposed)
{
	static struct server s;
	int rc;

	server_init(&s, &none, NULL, &lim);
	rc = server_listen(&s, spec, bound, n);
	*exposed = s.exposed;
	server_free(&s);
	return rc;
}

int
main(void)
{
	static const char *const bad[] = {
		"nonsense", ":3000", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:3000x", "[::1]",
	};
	char bound[128];
	size_t i;
	int exposed;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		is_int(try(bad[i], bound, sizeof bound, &exposed), EX_CONFIG, "%s: a config error",
		    bad[i]);
	ok(strstr(err_msg(), "want ADDR:PORT") != NULL, "saying what it wants: %s", err_msg());
	is_int(try("127.0.0.1:0", bound, sizeof bound, &exposed), 0, "loopback, any port");
	ok(strncmp(bound, "127.0.0.1:", 10) == 0 && strcmp(bound, "127.0.0.1:0") != 0,
	    "the port bound is said: %s", bound);
	is_int(exposed, 0, "loopback is not exposed");
	if (try("[::1]:0", bound, sizeof bound, &exposed) == 0) {
		ok(strncmp(bound, "[::1]:", 6) == 0, "IPv6 in brackets: %s", bound);
		is_int(exposed, 0, "::1 is not exposed");
	} else
		note("no IPv6 loopback here: %s", err_msg());
	is_int(try("0.0.0.0:0", bound, sizeof bound, &exposed), 0, "all addresses");
	is_int(exposed, 1, "are exposed");
	return done_testing();
}
