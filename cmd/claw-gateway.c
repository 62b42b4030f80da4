/* claw-gateway: the HTTP API.  With no arguments it serves one connection on
 * stdin/stdout, as inetd, tcpserver and systemd's Accept=yes run it; `start`
 * listens itself, as a daemon.  Both are lib/gateway on net/server's loop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "base/addr.h"
#include "base/buf.h"
#include "base/cli.h"
#include "base/clock.h"
#include "base/daemon.h"
#include "base/err.h"
#include "base/utf8.h"
#include "gateway/conn.h"
#include "gateway/gateway.h"
#include "net/jwt.h"
#include "store/config.h"
#include "store/store.h"

static const char usage[] =
    "usage: claw-gateway\n"
    "       claw-gateway start [--listen ADDR:PORT] [--foreground]\n"
    "       claw-gateway stop\n"
    "       claw-gateway status [--json]\n"
    "       claw-gateway token [--sub NAME] [--scope SCOPES] [--ttl DURATION]\n"
    "       claw-gateway --help | --version\n";

#define STOP_MS 10000             /* stop waits this long for the gateway to exit */

static struct gw_conn gw;

static int
inetd(void)
{
	const char *peer = getenv("TCPREMOTEIP");
	struct stat s0, s2;

	if (!peer || !*peer)
		peer = getenv("REMOTE_ADDR");
	/* inetd hands the socket over as stderr too: diagnostics there would be read as
	 * the answer. */
	if (fstat(0, &s0) == 0 && fstat(2, &s2) == 0 && S_ISSOCK(s0.st_mode)
	    && s0.st_ino == s2.st_ino && s0.st_dev == s2.st_dev) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0 && fd != 2) {
			dup2(fd, 2);
			close(fd);
		}
	}
	return gw_conn_inetd(&gw, peer) ? diag_err() : 0;
}

/* --- start, stop, status --- */

static int
cmd_status(int argc, char **argv)
{
	char addr[256] = "-";
	pid_t pid;
	int json = argc == 2 && strcmp(argv[1], "--json") == 0, rc;

	if (argc > 2 || (argc == 2 && !json))
		return cli_usage_error(usage);
	rc = daemon_running("gateway", &pid, addr, sizeof addr);
	if (rc && rc != EX_NORESULT)
		return diag_err();
	if (json)
		rc ? printf("{\"running\":false}\n")
		    : printf("{\"running\":true,\"pid\":%ld,\"listen\":\"%s\"}\n", (long)pid, addr);
	else
		rc ? printf("not running\n") : printf("running pid %ld on %s\n", (long)pid, addr);
	return rc ? rc : out_finish();
}

static int
cmd_stop(int argc, char **argv)
{
	if (argc > 1)
		return cli_usage_error(usage);
	return daemon_stop("gateway", STOP_MS) ? diag_err() : 0;
}

/* What must work before `start` says it does: the pidfile's lock, the socket,
 * a secret.  The pidfile then says who listens where. */
static int
prepare(struct daemon *d, const char *spec, char *bound, size_t n)
{
	char *secret = NULL;
	int rc, made, exposed;

	if ((rc = daemon_lock(d, "gateway"))
	    || (rc = gw_conn_listen(&gw, spec, bound, n, &exposed)))
		return rc;
	if (exposed)
		diag("warning: %s is not a loopback address: the API is reachable from the network",
		    bound);
	if ((rc = gw_secret(&secret, &made)))
		return rc;
	if (made)
		diag("generated gateway.jwt_secret (stored sealed); mint a token with: "
		    "claw-gateway token --scope chat");
	sodium_memzero(secret, strlen(secret));
	free(secret);
	gw_conn_hide(&gw, d->pidfd);
	return daemon_write(d, bound);
}

static int
cmd_start(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "foreground", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 } };
	char *spec = NULL, bound[300], msg[512], host[256], why[128];
	struct daemon d;
	unsigned port;
	int c, fg = 0, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		switch (c) {
		case 'l': free(spec); spec = strdup(optarg); break;
		case 'f': fg = 1; break;
		default: return free(spec), cli_usage_error(usage);
		}
	if (optind != argc)
		return free(spec), cli_usage_error(usage);
	if (spec && addr_split(spec, host, sizeof host, &port, why, sizeof why)) {
		diag("--listen %s: %s", spec, why);
		return free(spec), EX_USAGE;
	}
	if (!spec) {
		sqlite3 *db;
		if ((rc = store_open(&db)))
			return diag_err();
		rc = config_get(db, "gateway.listen", &spec, NULL);
		store_close(db);
		if (rc)
			return diag_err();
	}
	daemon_init(&d);
	/* Detached, `start` answers only once the socket listens: a first request may
	 * follow at once. */
	if (!fg && (rc = daemon_detach(&d, msg, sizeof msg)) != DAEMON_CHILD) {
		free(spec);
		diag("%s", msg);
		return rc;
	}
	if ((rc = prepare(&d, spec, bound, sizeof bound))) {
		free(spec);
		if (fg)
			return diag_err();
		daemon_fail(&d, rc);
		_exit(rc);
	}
	free(spec);
	snprintf(msg, sizeof msg, "listening on %s (pid %ld)", bound, (long)getpid());
	if (fg)
		diag("%s", msg);
	daemon_ready(&d, "log/gateway.log", msg);
	rc = gw_conn_run(&gw);
	if (rc)
		diag("%s", err_msg());
	if (!fg)
		_exit(rc);
	daemon_free(&d);
	return rc;
}

/* --- token --- */

static long long
duration(const char *s)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || end == s || n <= 0)
		return -1;
	switch (*end ? *end++ : 's') {
	case 's': break;
	case 'm': n *= 60; break;
	case 'h': n *= 3600; break;
	case 'd': n *= 86400; break;
	default: return -1;
	}
	return *end || n > 366LL * 86400 ? -1 : n;
}

static int
scopes_ok(const char *s)
{
	char copy[256], *w, *save = NULL;

	if (strlen(s) >= sizeof copy || !*s)
		return 0;
	snprintf(copy, sizeof copy, "%s", s);
	for (w = strtok_r(copy, " ,", &save); w; w = strtok_r(NULL, " ,", &save))
		if (strcmp(w, "chat") && strcmp(w, "skills") && strcmp(w, "admin"))
			return 0;
	return 1;
}

static int
cmd_token(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sub", required_argument, NULL, 's' }, { "scope", required_argument, NULL, 'c' },
		{ "ttl", required_argument, NULL, 't' }, { NULL, 0, NULL, 0 } };
	const char *sub = getenv("USER"), *scope = "chat skills", *ttl = "1h";
	struct buf payload = BUF_INIT, tok = BUF_INIT;
	unsigned char jti[12];
	char *secret = NULL, hex[25], sc[256];
	long long now = clock_wall_ms() / 1000, life;
	int c, rc, made;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		switch (c) {
		case 's': sub = optarg; break;
		case 'c': scope = optarg; break;
		case 't': ttl = optarg; break;
		default: return cli_usage_error(usage);
		}
	if (optind != argc)
		return cli_usage_error(usage);
	if (!scopes_ok(scope))
		return diag("--scope %s: want chat, skills or admin, separated by spaces or commas",
		    scope), EX_USAGE;
	if ((life = duration(ttl)) < 0)
		return diag("--ttl %s: want N, Ns, Nm, Nh or Nd, at most 366d", ttl), EX_USAGE;
	if (!sub || !*sub)
		sub = "claw";
	/* The gateway reads sub into 127 bytes (net/jwt.h); invalid UTF-8 would
	 * grow on the way, each bad byte becoming U+FFFD. */
	if (strlen(sub) >= sizeof ((struct jwt_claims *)0)->sub)
		return diag("--sub: at most %zu bytes", sizeof ((struct jwt_claims *)0)->sub - 1),
		    EX_USAGE;
	if (!utf8_valid(sub, strlen(sub)))
		return diag("--sub: not UTF-8"), EX_USAGE;
	snprintf(sc, sizeof sc, "%s", scope);
	for (c = 0; sc[c]; c++)
		if (sc[c] == ',')
			sc[c] = ' ';
	if ((rc = gw_secret(&secret, &made)))
		return diag_err();
	if (made)
		diag("generated gateway.jwt_secret (stored sealed)");
	randombytes_buf(jti, sizeof jti);
	sodium_bin2hex(hex, sizeof hex, jti, sizeof jti);
	buf_adds(&payload, "{\"sub\":");
	buf_add_json_str(&payload, sub, strlen(sub));
	buf_adds(&payload, ",\"scope\":");
	buf_add_json_str(&payload, sc, strlen(sc));
	buf_printf(&payload, ",\"iat\":%lld,\"exp\":%lld,\"jti\":\"%s\"}", now, now + life, hex);
	rc = payload.oom ? err_set(EX_SOFTWARE, "out of memory")
	    : jwt_sign(secret, strlen(secret), payload.p, payload.len, &tok);
	sodium_memzero(secret, strlen(secret));
	free(secret);
	if (!rc)
		printf("%s\n", tok.p);
	buf_free(&payload);
	buf_free(&tok);
	return rc ? diag_err() : out_finish();
}

static const struct cli_verb verbs[] = {
	{ "start", cmd_start },
	{ "stop", cmd_stop },
	{ "status", cmd_status },
	{ "token", cmd_token },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	diag_init("claw-gateway");
	signal(SIGPIPE, SIG_IGN);
	/* inetd mode starts libsodium for the first request that needs it (route.c). */
	if (argc < 2)
		return inetd();
	if (sodium_init() < 0)
		return diag("libsodium cannot start"), EX_SOFTWARE;
	return cli_dispatch(argc, argv, usage, verbs);
}
