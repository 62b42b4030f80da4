/* claw-node: identity, pinned peers, pairing, the node server and remote runs.
 * The protocol is lib/node/wire.c, sessions serve.c, runs client.c, strategies
 * pick.c, the peers table peer.c, fan-out fanout.c; this file is the verbs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/clock.h"
#include "base/daemon.h"
#include "base/err.h"
#include "node/client.h"
#include "node/fanout.h"
#include "node/ident.h"
#include "node/peer.h"
#include "node/pick.h"
#include "node/serve.h"
#include "store/config.h"
#include "store/store.h"
#include "store/telemetry.h"

static const char usage[] =
    "usage: claw-node init\n"
    "       claw-node id\n"
    "       claw-node add --name=NAME --host=HOST[:PORT] [--key=KEY] [--weight=N]\n"
    "       claw-node list [--json]\n"
    "       claw-node remove NAME\n"
    "       claw-node allow NAME [PROGRAM ...]\n"
    "       claw-node invite [--ttl DURATION]\n"
    "       claw-node connect --master=NAME [--host=HOST[:PORT]] [--code=CODE]\n"
    "       claw-node serve [--listen ADDR:PORT | --stdio]\n"
    "       claw-node exec [--node NAME | --strategy STRATEGY] [--requests] -- PROGRAM [ARG ...]\n"
    "       claw-node ping [NAME | --all] [--json]\n"
    "       claw-node cluster status [--json] | balance --strategy=STRATEGY\n"
    "       claw-node help | --help | --version\n";

static sqlite3 *db;
static struct node_id me;
static int have_me;

static int
open_store(void)
{
	return db || store_open(&db) == 0 ? 0 : diag_err();
}

static int
load_me(void)
{
	int created;

	if (have_me)
		return 0;
	if (ident_load(&me, &created))
		return diag_err();
	have_me = 1;
	return 0;
}

/* A config value (default included) into dst. */
static void
conf(const char *key, char *dst, size_t n)
{
	char *v = NULL;

	dst[0] = '\0';
	if (config_get(db, key, &v, NULL) == 0 && v)
		snprintf(dst, n, "%s", v);
	free(v);
}

static int
timeout_ms(void)
{
	char v[16];

	conf("node.timeout", v, sizeof v);
	return (atoi(v) > 0 ? atoi(v) : 10) * 1000;
}

static void
node_name(char *dst, size_t n)
{
	conf("node.name", dst, n);
	if (!dst[0] && gethostname(dst, n) < 0)
		snprintf(dst, n, "node");
	dst[n - 1] = '\0';
	if (!peer_name_ok(dst))
		snprintf(dst, n, "node");
}

/* --NAME=VALUE or --NAME VALUE at argv[*i]: the value (and *i past it), or NULL. */
static const char *
opt(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n))
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

/* --- identity and peers --- */

static int
cmd_init(int argc, char **argv)
{
	char key[NODE_KEYTEXT], fp[NODE_FPTEXT];
	int created;

	if (argc != 1)
		return cli_usage_error(usage);
	if (ident_load(&me, &created))
		return diag_err();
	have_me = 1;
	ident_key_text(me.pk, key);
	ident_fingerprint(me.pk, fp);
	if (!created)
		diag("an identity exists already: kept");
	printf("%s %s\n", key, fp);
	return out_finish();
}

static int
cmd_id(int argc, char **argv)
{
	char key[NODE_KEYTEXT], fp[NODE_FPTEXT];
	int rc;

	if (argc != 1)
		return cli_usage_error(usage);
	if ((rc = load_me()))
		return rc;
	ident_key_text(me.pk, key);
	ident_fingerprint(me.pk, fp);
	printf("%s %s\n", key, fp);
	return out_finish();
}

static int
cmd_add(int argc, char **argv)
{
	const char *name = NULL, *host = NULL, *key = NULL, *weight = "1", *v;
	unsigned char pk[32];
	int i, rc;

	for (i = 1; i < argc; i++) {
		if ((v = opt(argc, argv, &i, "--name")))
			name = v;
		else if ((v = opt(argc, argv, &i, "--host")))
			host = v;
		else if ((v = opt(argc, argv, &i, "--key")))
			key = v;
		else if ((v = opt(argc, argv, &i, "--weight")))
			weight = v;
		else
			return cli_usage_error(usage);
	}
	if (!name || !host)
		return cli_usage_error(usage);
	if (!peer_name_ok(name))
		return diag("%s: a peer name is letters, digits, '.', '_' and '-'", name), EX_USAGE;
	if (key && ident_key_parse(key, pk))
		return diag("%s: not a node key (claw-node id prints one)", key), EX_DATAERR;
	if (strspn(weight, "0123456789") != strlen(weight) || !*weight || strlen(weight) > 6)
		return diag("--weight=%s: want a whole number", weight), EX_USAGE;
	if ((rc = open_store()))
		return rc;
	if (peer_add(db, name, host, key ? pk : NULL, atoi(weight)))
		return diag_err();
	if (!key)
		diag("%s: no key pinned yet: run claw-node invite there, then "
		    "claw-node connect --master=%s here", name, name);
	return 0;
}

static void
print_peer_json(const struct peer *p, int status)
{
	char key[NODE_KEYTEXT] = "", fp[NODE_FPTEXT] = "";
	struct buf b = BUF_INIT;

	if (p->has_key) {
		ident_key_text(p->key, key);
		ident_fingerprint(p->key, fp);
	}
	buf_adds(&b,
	    status ? "{\"type\":\"peer_status\",\"name\":" : "{\"type\":\"peer\",\"name\":");
	buf_add_json_str(&b, p->name, strlen(p->name));
	buf_adds(&b, ",\"host\":");
	buf_add_json_str(&b, p->host, strlen(p->host));
	buf_printf(&b, ",\"key\":%s%s%s,\"fingerprint\":%s%s%s,\"weight\":%d", *key ? "\"" : "",
	    *key ? key : "null", *key ? "\"" : "", *fp ? "\"" : "", *fp ? fp : "null",
	    *fp ? "\"" : "", p->weight);
	if (status) {
		buf_printf(&b, ",\"healthy\":%s,\"last_seen\":%lld,\"fails\":%d",
		    p->healthy ? "true" : "false", p->last_seen, p->fails);
		if (p->load >= 0)
			buf_printf(&b, ",\"load\":%.2f", p->load);
		if (p->jobs >= 0)
			buf_printf(&b, ",\"jobs\":%d", p->jobs);
		if (p->rtt_ms >= 0)
			buf_printf(&b, ",\"rtt_ms\":%d", p->rtt_ms);
		if (p->error[0]) {
			buf_adds(&b, ",\"error\":");
			buf_add_json_str(&b, p->error, strlen(p->error));
		}
	} else {
		buf_adds(&b, ",\"allow\":");
		buf_add_json_lines(&b, p->allow[0] ? p->allow : PEER_ALLOW_DEFAULT);
	}
	buf_addc(&b, '}');
	if (!b.oom)
		puts(b.p);
	buf_free(&b);
}

static int
list_peers(int argc, char **argv, int status)
{
	struct peers ps;
	int i, json = 0, rc;
	char fp[NODE_FPTEXT], seen[32], load[16], jobs[16], rtt[16];

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else
			return cli_usage_error(usage);
	if ((rc = open_store()))
		return rc;
	if (peer_list(db, &ps))
		return peers_free(&ps), diag_err();
	if (!json && status)
		printf("%-16s %-19s %-24s %-7s %-8s %-5s %-4s %s\n", "NAME", "FINGERPRINT",
		    "ADDRESS", "HEALTHY", "SEEN", "LOAD", "JOBS", "RTT");
	for (i = 0; i < ps.n; i++) {
		struct peer *p = &ps.v[i];
		if (json) {
			print_peer_json(p, status);
			continue;
		}
		if (p->has_key)
			ident_fingerprint(p->key, fp);
		else
			snprintf(fp, sizeof fp, "(not pinned)");
		if (!status) {
			printf("%-16s %-19s %s\n", p->name, fp, p->host);
			continue;
		}
		if (p->last_seen)
			snprintf(seen, sizeof seen, "%llds",
			    (clock_wall_ms() - p->last_seen) / 1000);
		else
			snprintf(seen, sizeof seen, "never");
		snprintf(load, sizeof load, p->load >= 0 ? "%.2f" : "-", p->load);
		snprintf(jobs, sizeof jobs, p->jobs >= 0 ? "%d" : "-", p->jobs);
		snprintf(rtt, sizeof rtt, p->rtt_ms >= 0 ? "%dms" : "-", p->rtt_ms);
		printf("%-16s %-19s %-24s %-7s %-8s %-5s %-4s %s\n", p->name, fp, p->host,
		    p->healthy ? "yes" : "no", seen, load, jobs, rtt);
	}
	peers_free(&ps);
	return out_finish();
}

static int cmd_list(int argc, char **argv) { return list_peers(argc, argv, 0); }

static int
cmd_remove(int argc, char **argv)
{
	int rc;

	if (argc != 2)
		return cli_usage_error(usage);
	if ((rc = open_store()))
		return rc;
	return peer_remove(db, argv[1]) ? diag_err() : 0;
}

static int
cmd_allow(int argc, char **argv)
{
	struct buf b = BUF_INIT;
	struct peer p;
	int i, rc;

	if (argc < 2)
		return cli_usage_error(usage);
	if ((rc = open_store()))
		return rc;
	if (argc == 2) {
		if (peer_get(db, argv[1], &p))
			return diag_err();
		puts(p.allow[0] ? p.allow : PEER_ALLOW_DEFAULT);
		return out_finish();
	}
	for (i = 2; i < argc; i++) {
		if (strncmp(argv[i], "claw-", 5) || strchr(argv[i], '/') || strchr(argv[i], '\n')) {
			buf_free(&b);
			return diag("%s: only claw programs may be allowed (claw-NAME [ARG...])",
			    argv[i]), EX_USAGE;
		}
		buf_printf(&b, "%s%s", i > 2 ? "\n" : "", argv[i]);
	}
	rc = b.len >= sizeof p.allow ? (diag("allowlist too long"), EX_USAGE)
	    : peer_allow(db, argv[1], b.p) ? diag_err() : 0;
	buf_free(&b);
	return rc;
}

/* --- pairing --- */

static long long
duration_s(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (end == s || v <= 0 || v > 7 * 86400)
		return -1;
	if (!*end || !strcmp(end, "s"))
		return v;
	if (!strcmp(end, "m"))
		return v * 60;
	if (!strcmp(end, "h"))
		return v * 3600;
	return -1;
}

static int
cmd_invite(int argc, char **argv)
{
	struct node_invite inv;
	char code[20], norm[17];
	const char *v;
	long long ttl = 600;
	int i, rc;

	for (i = 1; i < argc; i++)
		if ((v = opt(argc, argv, &i, "--ttl")) && (ttl = duration_s(v)) > 0)
			continue;
		else
			return cli_usage_error(usage);
	if ((rc = load_me()) || (rc = open_store()))
		return rc;
	node_code_make(code);
	node_code_norm(code, norm);
	node_code_keys(norm, &inv);
	if (invite_add(db, &inv, ttl))
		return diag_err();
	printf("%s\n", code);
	if (isatty(2))
		diag("on the other device, within %llds: claw-node connect --master=NAME "
		    "--host=THIS_HOST --code=%s", ttl, code);
	return out_finish();
}

static int
cmd_connect(int argc, char **argv)
{
	const char *master = NULL, *host = NULL, *code = NULL, *v;
	char line[128], norm[17], name[PEER_NAMEMAX], listen[128], fp[NODE_FPTEXT];
	unsigned char key[32];
	struct node_invite inv;
	struct buf payload = BUF_INIT;
	struct peer p;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if ((v = opt(argc, argv, &i, "--master")))
			master = v;
		else if ((v = opt(argc, argv, &i, "--host")))
			host = v;
		else if ((v = opt(argc, argv, &i, "--code")))
			code = v;
		else
			return cli_usage_error(usage);
	}
	if (!master)
		return cli_usage_error(usage);
	if (!peer_name_ok(master))
		return diag("%s: a peer name is letters, digits, '.', '_' and '-'", master),
		    EX_USAGE;
	if ((rc = load_me()) || (rc = open_store()))
		return rc;
	if (!host) {
		if (peer_get(db, master, &p))
			return diag("%s: unknown: give --host=HOST (or claw-node add it first)",
			    master), EX_USAGE;
		host = p.host;
	}
	if (!code) {
		/* the code is a secret: asked for, never required in argv */
		if (isatty(0))
			fprintf(stderr, "code shown by claw-node invite on %s: ", master);
		if (!fgets(line, sizeof line, stdin))
			return diag("no code: run claw-node invite on %s and give --code=CODE",
			    master), EX_USAGE;
		line[strcspn(line, "\r\n")] = '\0';
		code = line;
	}
	if (node_code_norm(code, norm))
		return diag("%s: not a code (16 letters and digits, as claw-node invite "
		    "prints)", code), EX_USAGE;
	node_code_keys(norm, &inv);
	node_name(name, sizeof name);
	conf("node.listen", listen, sizeof listen);
	buf_adds(&payload, "{\"name\":");
	buf_add_json_str(&payload, name, strlen(name));
	buf_adds(&payload, ",\"listen\":");
	buf_add_json_str(&payload, listen, strlen(listen));
	buf_addc(&payload, '}');
	rc = node_pair(&me, host, &inv, payload.p, timeout_ms(), key);
	buf_free(&payload);
	sodium_memzero(&inv, sizeof inv);
	if (rc)
		return diag_err();
	if (peer_pin(db, master, host, key))
		return diag_err();
	ident_fingerprint(key, fp);
	printf("%s %s %s\n", master, fp, host);
	return out_finish();
}

/* --- serving --- */

static void
log_line(const char *line)
{
	diag("%s", line);
}

/* serve --listen: run/node.pid says who listens where (and its RSS at start), for
 * claw status; a second server in the same home goes without one. */
static struct daemon pidfile;

static void
ready(const char *bound)
{
	if (pidfile.pidfd >= 0)
		daemon_write(&pidfile, bound);
	printf("listening on %s\n", bound);
	fflush(stdout);
}

static int
cmd_serve(int argc, char **argv)
{
	char listen[128], name[PEER_NAMEMAX], mc[16], peer[64];
	const char *spec = NULL, *v, *addr;
	struct node_serve s = { 0 };
	int i, stdio = 0, rc;

	for (i = 1; i < argc; i++) {
		if ((v = opt(argc, argv, &i, "--listen")))
			spec = v;
		else if (strcmp(argv[i], "--stdio") == 0)
			stdio = 1;
		else
			return cli_usage_error(usage);
	}
	if (stdio && spec)
		return cli_usage_error(usage);
	if ((rc = load_me()) || (rc = open_store()))
		return rc;
	node_name(name, sizeof name);
	conf("node.max_children", mc, sizeof mc);
	conf("node.listen", listen, sizeof listen);
	s.name = name;
	s.timeout_ms = timeout_ms();
	s.max_children = atoi(mc) > 0 ? atoi(mc) : 32;
	s.log = log_line;
	/* each session opens its own store connection, after the fork */
	store_close(db);
	db = NULL;
	if (stdio) {
		/* under ssh the client's address is SSH_CLIENT's first word */
		if (!(addr = getenv("TCPREMOTEIP")))
			addr = getenv("REMOTE_ADDR");
		if (!addr && (addr = getenv("SSH_CLIENT"))) {
			snprintf(peer, sizeof peer, "%.*s", (int)strcspn(addr, " "), addr);
			addr = peer;
		}
		if (!addr)
			addr = "-";
		return node_session(&s, 0, 1, addr);
	}
	daemon_init(&pidfile);
	daemon_lock(&pidfile, "node");
	rc = node_listen(&s, spec ? spec : listen, ready) ? diag_err() : 0;
	daemon_free(&pidfile);
	return rc;
}

/* --- runs --- */

static void
note(const char *why)
{
	diag("%s; trying the next peer", why);
}

static int
cmd_exec(int argc, char **argv)
{
	char strategy[32];
	const char *node = NULL, *v, *st = NULL;
	struct peers ps = { 0 };
	struct node_result res = { .note = note };
	struct telemetry tel;
	int i, requests = 0, order[PEER_MAXPEERS], n = 0, rc;
	long long t0 = clock_mono_ms();
	char detail[256];

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if ((v = opt(argc, argv, &i, "--node")))
			node = v;
		else if ((v = opt(argc, argv, &i, "--strategy")))
			st = v;
		else if (strcmp(argv[i], "--requests") == 0)
			requests = 1;
		else
			return cli_usage_error(usage);
	}
	if (i + 1 >= argc || (node && st))
		return cli_usage_error(usage);
	argv += i + 1;
	if ((rc = load_me()) || (rc = open_store()))
		return rc;
	if (st)
		snprintf(strategy, sizeof strategy, "%s", st);
	else
		conf("cluster.strategy", strategy, sizeof strategy);
	if (pick_check(strategy))
		return diag_err();
	if (peer_list(db, &ps))
		return peers_free(&ps), diag_err();
	if (node) {
		for (i = 0; i < ps.n && strcmp(ps.v[i].name, node); i++)
			;
		if (i == ps.n)
			return peers_free(&ps), diag("%s: no such peer", node), EX_NOINPUT;
		order[n++] = i;
	} else if (pick_order(db, strategy, &ps, order, &n))
		return peers_free(&ps), diag_err();
	if (requests)
		rc = fanout_run(db, &me, &ps, order, n, argv, timeout_ms(), note);
	else
		rc = node_exec(db, &me, ps.v, order, n, argv, timeout_ms(), &res);
	if (rc && (requests || res.ours))
		diag_err();
	telemetry_init(&tel, "claw-node");
	snprintf(detail, sizeof detail, "{\"peer\":\"%s\",\"program\":\"%.64s\",\"exit\":%d,"
	    "\"tries\":%d,\"strategy\":\"%s\"}", res.peer, strrchr(argv[0], '/') ?
	    strrchr(argv[0], '/') + 1 : argv[0], rc, res.tries, node ? "node" : strategy);
	telemetry_add(&tel, "exec", clock_mono_ms() - t0, rc == 0, detail);
	telemetry_flush(&tel, db);
	telemetry_free(&tel);
	peers_free(&ps);
	return rc;
}

static int
cmd_ping(int argc, char **argv)
{
	struct peers ps;
	const char *only = NULL;
	int i, json = 0, rc, worst = 0;
	double rtt = 0;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--all") == 0 && !only)
			only = NULL;
		else if (argv[i][0] != '-' && !only)
			only = argv[i];
		else
			return cli_usage_error(usage);
	if ((rc = load_me()) || (rc = open_store()))
		return rc;
	if (peer_list(db, &ps))
		return peers_free(&ps), diag_err();
	for (i = 0; i < ps.n; i++) {
		struct peer *p = &ps.v[i];
		if (only && strcmp(only, p->name))
			continue;
		if (!only && (!p->has_key || !p->host[0]))
			continue;
		if (node_ping(db, &me, p, timeout_ms(), &rtt)) {
			if (json)
				printf("{\"type\":\"ping\",\"name\":\"%s\",\"ok\":false}\n",
				    p->name);
			diag_err();
			worst = worst ? worst : err_code();
		} else if (json)
			printf("{\"type\":\"ping\",\"name\":\"%s\",\"ok\":true,\"rtt_ms\":%.1f,"
			    "\"load\":%.2f,\"jobs\":%d}\n", p->name, rtt, p->load, p->jobs);
		else
			printf("%s: ok %.1f ms, load %.2f, %d jobs\n", p->name, rtt, p->load,
			    p->jobs);
		if (only)
			break;
	}
	if (only && i == ps.n)
		worst = (diag("%s: no such peer", only), EX_NOINPUT);
	peers_free(&ps);
	rc = out_finish();
	return worst ? worst : rc;
}

static int
cmd_cluster(int argc, char **argv)
{
	const char *v;
	int i = 2, rc;

	if ((rc = cli_front(argc, argv, usage)) >= 0)    /* claw help cluster */
		return rc;
	if (argc >= 2 && strcmp(argv[1], "status") == 0)
		return list_peers(argc - 1, argv + 1, 1);
	if (argc != 3 || strcmp(argv[1], "balance") || !(v = opt(argc, argv, &i, "--strategy")))
		return cli_usage_error(usage);
	if (pick_check(v))
		return diag_err();
	if ((rc = open_store()))
		return rc;
	if (config_set(db, "cluster.strategy", v))
		return diag_err();
	printf("cluster.strategy=%s\n", v);
	return out_finish();
}

static const struct cli_verb verbs[] = {
	{ "init", cmd_init }, { "id", cmd_id }, { "add", cmd_add }, { "list", cmd_list },
	{ "remove", cmd_remove }, { "allow", cmd_allow }, { "invite", cmd_invite },
	{ "connect", cmd_connect }, { "serve", cmd_serve }, { "exec", cmd_exec },
	{ "ping", cmd_ping }, { "cluster", cmd_cluster }, { NULL, NULL },
};

int
main(int argc, char **argv)
{
	int i, rc;

	diag_init(argv[0]);
	/* The seed's "–name" (U+2013) or "—name" (U+2014), pasted from a document. */
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strncmp(argv[i], "\xe2\x80\x93", 3) || !strncmp(argv[i], "\xe2\x80\x94", 3)) {
			diag("%s: a typographic dash: write --%.*s", argv[i],
			    (int)strcspn(argv[i] + 3, "="), argv[i] + 3);
			return EX_USAGE;
		}
	rc = cli_dispatch(argc, argv, usage, verbs);
	if (have_me)
		ident_wipe(&me);
	store_close(db);
	return rc;
}
