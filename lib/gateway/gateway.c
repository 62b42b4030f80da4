/* gateway: the gateway.* keys, the secret, the store opened on first need, and
 * the telemetry rows of requests, through store/telemetry. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "base/clock.h"
#include "base/err.h"
#include "gateway/gateway.h"
#include "store/config.h"
#include "store/store.h"

/* In a job's child: the loop's SQLite connection, kept (not leaked) until the
 * child exits, never used: closing it would touch it from another process. */
static sqlite3 *volatile loop_db;

/* A whole-number key within [lo, hi]; out of range or malformed (the
 * environment is not validated as `claw config set` is) means its default. */
static long
conf_long(sqlite3 *db, const char *key, long lo, long hi)
{
	const char *v = config_default(key);
	char *set = NULL, *end;
	long n = strtol(v, NULL, 10);

	if (config_get(db, key, &set, NULL) == 0 && set) {
		errno = 0;
		n = strtol(set, &end, 10);
		if (errno || end == set || *end || n < lo || n > hi)
			n = strtol(v, NULL, 10);
	}
	free(set);
	return n;
}

/* The gateway.* keys: from the environment and defaults until the store is open,
 * then from the store as well. */
static void
load(struct gw *g)
{
	g->rate = conf_long(g->db, "gateway.rate", 0, 1000000000L);
	g->max_body = conf_long(g->db, "gateway.max_body", 0, 1L << 30);
	g->head_timeout = (int)conf_long(g->db, "gateway.head_timeout", 1, 3600);
	g->body_timeout = (int)conf_long(g->db, "gateway.body_timeout", 1, 3600);
	g->max_children = (int)conf_long(g->db, "gateway.max_children", 1, 4096);
	g->max_per_peer = (int)conf_long(g->db, "gateway.max_per_peer", 1, 1024);
}

int
gw_store(struct gw *g)
{
	int rc;

	if (g->db)
		return 0;
	static int logged;

	if ((rc = store_open(&g->db))) {
		if (g->inetd && rc != EX_TEMPFAIL && !logged++)  /* stderr is inetd's log */
			fprintf(stderr, "claw-gateway: %s\n", err_msg());
		return rc;
	}
	if (!g->inetd)
		store_busy(g->db, 250);   /* the loop answers 503 rather than stall */
	load(g);
	if (!g->secret) {                  /* as gw_secret: the store, then JWT_SECRET */
		char *s = NULL;
		const char *env = getenv("JWT_SECRET");
		if (config_get(g->db, "gateway.jwt_secret", &s, NULL) == 0 && s && *s)
			g->secret = s;
		else if (free(s), env && *env)
			g->secret = strdup(env);
	}
	return 0;
}

static void
forget_secret(struct gw *g)
{
	if (g->secret) {
		sodium_memzero(g->secret, strlen(g->secret));
		free(g->secret);
	}
	g->secret = NULL;
}

void
gw_reload(struct gw *g)
{
	const char *env = getenv("CLAW_GATEWAY_JWT_SECRET");

	forget_secret(g);
	g->secret = env && *env ? strdup(env) : NULL;
	if (g->db) {
		store_close(g->db);
		g->db = NULL;
	}
	load(g);
	gw_store(g);
}

void
gw_init(struct gw *g, int inetd, const char *listen)
{
	const char *env;

	memset(g, 0, sizeof *g);
	g->inetd = inetd;
	g->listen = listen;
	g->started = clock_wall_ms();
	g->flushed = clock_mono_ms();
	g->minute = clock_wall_ms() / 60000;
	telemetry_init(&g->tel, "claw-gateway");
	load(g);
	/* A secret from the environment spares opening the store to check a token. */
	if ((env = getenv("CLAW_GATEWAY_JWT_SECRET")) && *env)
		g->secret = strdup(env);
}

void
gw_free(struct gw *g)
{
	gw_flush(g, 1);
	forget_secret(g);
	telemetry_free(&g->tel);
	if (g->db)
		store_close(g->db);
	g->db = NULL;
}

void
gw_forked(struct gw *g)
{
	loop_db = g->db;
	g->db = NULL;
	g->inetd = 1;
	telemetry_free(&g->tel);           /* the loop's rows are the loop's to write */
	telemetry_init(&g->tel, "claw-gateway");   /* and its CPU count: the child's is its own */
}

int
gw_secret(char **secret, int *made)
{
	unsigned char raw[32];
	char text[64];
	const char *env;
	sqlite3 *db;
	int rc;

	*made = 0;
	*secret = NULL;
	if ((rc = store_open(&db)))
		return rc;
	rc = config_get(db, "gateway.jwt_secret", secret, NULL);
	if (rc == 0 && *secret && **secret)
		goto out;
	free(*secret);
	*secret = NULL;
	if (rc && rc != EX_NORESULT)
		goto out;
	rc = 0;
	if ((env = getenv("JWT_SECRET")) && *env) {
		if (!(*secret = strdup(env)))
			rc = err_set(EX_SOFTWARE, "out of memory");
		goto out;
	}
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(text, sizeof text, raw, sizeof raw,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	if (!(rc = config_set(db, "gateway.jwt_secret", text))) {
		*made = 1;
		if (!(*secret = strdup(text)))
			rc = err_set(EX_SOFTWARE, "out of memory");
	}
	sodium_memzero(text, sizeof text);
out:
	store_close(db);
	return rc;
}

/* The counts of the minute that ended (all of them when force) as "requests" rows. */
static void
summarize(struct gw *g, int force)
{
	long long minute = clock_wall_ms() / 60000;
	char d[96];

	if (!force && minute == g->minute)
		return;
	if (g->healthz) {
		snprintf(d, sizeof d, "{\"route\":\"/healthz\",\"minute\":%lld,\"count\":%ld}",
		    g->minute * 60, g->healthz);
		telemetry_add(&g->tel, "requests", -1, 1, d);
	}
	if (g->unrecorded) {
		snprintf(d, sizeof d, "{\"refused\":%ld,\"minute\":%lld}", g->unrecorded,
		    g->minute * 60);
		telemetry_add(&g->tel, "requests", -1, 0, d);
	}
	g->healthz = g->unrecorded = 0;
	g->minute = minute;
}

/* A refused request from peer in this minute: 1 when it is still to be recorded. */
static int
refusal_recorded(struct gw *g, const char *peer)
{
	size_t i, h = 5381;
	const char *p;

	for (p = peer; *p; p++)
		h = h * 33 + (unsigned char)*p;
	for (i = 0; i < GW_PEERSLOTS; i++) {
		struct gw_peer *s = &g->refused[(h + i) % GW_PEERSLOTS];
		if (s->window == g->minute && strcmp(s->addr, peer) == 0)
			return ++s->count <= GW_REFUSED_ROWS;
		if (s->window != g->minute) {   /* free, or a past minute's: take it */
			snprintf(s->addr, sizeof s->addr, "%s", peer);
			s->window = g->minute;
			s->count = 1;
			return 1;
		}
	}
	return 0;                              /* more peers than slots: counted only */
}

long long
gw_summary_due(const struct gw *g)
{
	if (!g->healthz && !g->unrecorded)
		return -1;
	return clock_mono_ms() + 60000 - clock_wall_ms() % 60000;
}

/* Under inetd a request that never opened the store (a /healthz) spools its row:
 * opening SQLite would cost more than the whole answer.  The next gateway with
 * the store open folds the spool in, and so does this one once it has grown. */
void
gw_record(struct gw *g, const char *method, const char *route, int status, long long ms,
    const char *peer)
{
	struct buf d = BUF_INIT;
	int big, healthz = strcmp(route, "/healthz") == 0 && status < 400;

	if (!g->inetd) {
		summarize(g, 0);
		if (healthz) {
			g->healthz++;
			return;
		}
		if (status >= 400 && status < 500 && !refusal_recorded(g, peer ? peer : "-")) {
			g->unrecorded++;
			return;
		}
	} else if (healthz)
		return;                        /* nobody could count it: a row each is a flood */
	buf_adds(&d, "{\"method\":");
	buf_add_json_str(&d, method, strlen(method));
	buf_adds(&d, ",\"route\":");
	buf_add_json_str(&d, route, strlen(route));
	buf_printf(&d, ",\"status\":%d,\"peer\":", status);
	buf_add_json_str(&d, peer ? peer : "-", peer ? strlen(peer) : 1);
	buf_addc(&d, '}');
	if (!d.oom)
		telemetry_add(&g->tel, "request", ms, status < 500, d.p);
	buf_free(&d);
	if (g->inetd && !g->db) {
		if (telemetry_spool(&g->tel, &big) == 0 && big && gw_store(g) == 0)
			telemetry_flush(&g->tel, g->db);
	} else if (g->inetd)
		gw_flush(g, 1);
}

void
gw_flush(struct gw *g, int force)
{
	long long now = clock_mono_ms();
	size_t lost = g->tel.dropped;

	if (g->inetd && !g->db)
		return;                        /* it spools; the store is not worth opening */
	if (!g->inetd)
		summarize(g, force);
	if (!force && now - g->flushed < 1000 && g->tel.n < 512)
		return;
	g->flushed = now;
	g->spooled = 0;
	if ((g->tel.n || telemetry_spooled()) && gw_store(g) == 0
	    && telemetry_flush(&g->tel, g->db) == 0 && lost)
		fprintf(stderr, "claw-gateway: the store was busy: %zu telemetry rows dropped\n",
		    lost);
}
