/* channel_hook: refuse before anything runs — no secret configured, a header that
 * does not match — and only then start the connector (in a job's child, off the
 * loop), which stores the update before it exits 0: the 200 is sent after the
 * store, never before. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "base/path.h"
#include "base/proc.h"
#include "gateway/channel_hook.h"
#include "gateway/reply.h"
#include "store/config.h"
#include "store/secret.h"

#define INGEST_TIMEOUT_MS 30000

/* A channel secret from the store, or NULL (the caller answers). */
static char *
secret_of(struct gw *g, const char *key)
{
	char *v = NULL;

	if (gw_store(g) || config_get(g->db, key, &v, NULL) || !v || !*v) {
		if (v)
			secret_free(v);
		return NULL;
	}
	return v;
}

/* Equal in time that depends on neither value: their hashes compared. */
static int
same(const char *a, size_t an, const char *b, size_t bn)
{
	unsigned char ha[32], hb[32];

	crypto_generichash(ha, sizeof ha, (const unsigned char *)a, an, NULL, 0);
	crypto_generichash(hb, sizeof hb, (const unsigned char *)b, bn, NULL, 0);
	return sodium_memcmp(ha, hb, sizeof ha) == 0;
}

/* In the job's child: the connector stores the update, then the answer; Discord's
 * /ask is deferred (type 5) once stored. */
static void
ingest_now(struct gw *g, struct gw_out *o)
{
	char prog[4096], *argv[] = { prog, "ingest", o->name, NULL };
	const char *ok = strcmp(o->name, "discord") ? "{\"ok\":true}" : "{\"type\":5}";
	struct buf out = BUF_INIT;
	int st;

	if (path_find_prog("claw-channel", prog, sizeof prog)) {
		gw_error(o, 503, "claw-channel is not installed");
		return;
	}
	st = proc_run(argv, NULL, o->arg.p, o->arg.len, &out, 4096, INGEST_TIMEOUT_MS);
	if (st == 0)
		gw_answer(o, 200, ok, strlen(ok), NULL);
	else if (st == EX_DATAERR)
		gw_error(o, 400, "not an update this channel understands");
	else if (st == EX_NOINPUT)
		gw_error(o, 404, "no such channel");
	else                    /* not stored: the service sends it again */
		gw_error_extra(o, 503, "the update could not be stored", "Retry-After: 5\r\n");
	buf_free(&out);
}

/* The checks passed: the ingest runs as a job, off the loop. */
static void
ingest(struct gw *g, const char *name, const char *body, size_t n, struct gw_out *o)
{
	snprintf(o->name, sizeof o->name, "%s", name);
	buf_reset(&o->arg);
	buf_add(&o->arg, body, n);
	if (o->arg.oom) {
		gw_error_extra(o, 503, "the update could not be stored", "Retry-After: 5\r\n");
		return;
	}
	o->job = GW_CHILD;
	o->child = ingest_now;
}

void
gw_hook_telegram(struct gw *g, const struct http_req *r, const char *body, size_t n,
    struct gw_out *o)
{
	char *secret = secret_of(g, "channels.telegram.webhook_secret");
	const char *h;
	size_t hl;

	if (!secret) {
		gw_error(o, 403, "no webhook secret is set (claw channel webhook telegram URL)");
		return;
	}
	h = http_header(r, "X-Telegram-Bot-Api-Secret-Token", &hl);
	if (!h || !same(h, hl, secret, strlen(secret)))
		gw_error(o, 401, "bad secret token");
	else
		ingest(g, "telegram", body, n, o);
	secret_free(secret);
}

void
gw_hook_whatsapp(struct gw *g, const struct http_req *r, const char *body, size_t n,
    struct gw_out *o)
{
	char *secret = secret_of(g, "channels.whatsapp.app_secret");
	unsigned char mac[crypto_auth_hmacsha256_BYTES], want[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	const char *h;
	size_t hl, got = 0;

	if (!secret) {
		gw_error(o, 403, "no app secret is set"
		    " (claw config set channels.whatsapp.app_secret -)");
		return;
	}
	h = http_header(r, "X-Hub-Signature-256", &hl);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, n);
	crypto_auth_hmacsha256_final(&st, mac);
	secret_free(secret);
	if (!h || hl != 7 + 2 * sizeof want || memcmp(h, "sha256=", 7) != 0
	    || sodium_hex2bin(want, sizeof want, h + 7, hl - 7, NULL, &got, NULL) != 0
	    || got != sizeof want || sodium_memcmp(mac, want, sizeof mac) != 0) {
		gw_error(o, 401, "bad signature");
		return;
	}
	ingest(g, "whatsapp", body, n, o);
}

/* The query parameter name, percent-decoded into dst: 1, or 0 when absent. */
static int
param(const struct http_req *r, const char *name, char *dst, size_t n)
{
	const char *p = r->query, *end = r->query ? r->query + r->qlen : NULL;
	size_t nl = strlen(name), k;

	while (p && p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *stop = amp ? amp : end;
		if ((size_t)(stop - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=') {
			for (p += nl + 1, k = 0; p < stop && k + 1 < n; p++) {
				unsigned v;
				if (*p == '%' && stop - p >= 3 && sscanf(p + 1, "%2x", &v) == 1)
					dst[k++] = (char)v, p += 2;
				else
					dst[k++] = *p == '+' ? ' ' : *p;
			}
			dst[k] = '\0';
			return strlen(dst) == k;
		}
		p = amp ? amp + 1 : end;
	}
	return 0;
}

void
gw_hook_verify(struct gw *g, const struct http_req *r, const char *body, size_t n,
    struct gw_out *o)
{
	char mode[32], token[512], challenge[300];
	char *secret = secret_of(g, "channels.whatsapp.verify_token");
	size_t cl;

	if (!secret) {
		gw_error(o, 403, "no verify token is set");
		return;
	}
	if (!param(r, "hub.mode", mode, sizeof mode) || strcmp(mode, "subscribe")
	    || !param(r, "hub.verify_token", token, sizeof token)
	    || !same(token, strlen(token), secret, strlen(secret))
	    || !param(r, "hub.challenge", challenge, sizeof challenge)
	    || !(cl = strlen(challenge)) || cl > 256
	    || strspn(challenge, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-")
	    != cl)
		gw_error(o, 403, "verification refused");
	else {
		buf_reset(&o->resp);
		gw_head(&o->resp, 200, "text/plain", (long long)cl,
		    o->close ? 1 : o->http10 ? 2 : 0, NULL);
		buf_add(&o->resp, challenge, cl);
		o->status = 200;
	}
	sodium_memzero(token, sizeof token);
	secret_free(secret);
}

/* Discord's interactions: Ed25519 over timestamp + raw body with the application's
 * public key; a PING answered PONG, a command deferred (type 5) once it is stored,
 * its answer sent later to the interaction's webhook from the egress queue. */
void
gw_hook_discord(struct gw *g, const struct http_req *r, const char *body, size_t n,
    struct gw_out *o)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sig[crypto_sign_BYTES];
	const char *hs, *ht;
	size_t sl, tl, got = 0;
	struct buf msg = BUF_INIT;
	const char *t, *none = "{\"type\":4,\"data\":{\"content\":\"Only /ask is understood.\","
	    "\"flags\":64}}";
	char *hex = NULL, cmd[32];
	size_t tn = 0;
	int ok;

	if (gw_store(g) || config_get(g->db, "channels.discord.public_key", &hex, NULL) || !hex
	    || sodium_hex2bin(pk, sizeof pk, hex, strlen(hex), NULL, &got, NULL)
	    || got != sizeof pk) {
		free(hex);
		gw_error(o, 403, "no public key is set"
		    " (claw config set channels.discord.public_key HEX)");
		return;
	}
	free(hex);
	hs = http_header(r, "X-Signature-Ed25519", &sl);
	ht = http_header(r, "X-Signature-Timestamp", &tl);
	ok = hs && ht && sl == 2 * sizeof sig
	    && sodium_hex2bin(sig, sizeof sig, hs, sl, NULL, &got, NULL) == 0 && got == sizeof sig;
	if (ok) {
		buf_add(&msg, ht, tl);
		buf_add(&msg, body, n);
		ok = !msg.oom && crypto_sign_verify_detached(sig, (const unsigned char *)msg.p,
		    msg.len, pk) == 0;
	}
	buf_free(&msg);
	if (!ok) {                    /* Discord sends these on purpose: nothing happens */
		gw_error(o, 401, "invalid request signature");
		return;
	}
	if (!json_valid(body, n, NULL, 0) || *body != '{'
	    || !json_member(body, n, "type", &t, &tn) || tn != 1)
		gw_error(o, 400, "not an interaction");
	else if (*t == '1')           /* PING */
		gw_answer(o, 200, "{\"type\":1}", 10, NULL);
	else if (*t == '2' && json_member(body, n, "data", &t, &tn) && *t == '{'
	    && json_member_str(t, tn, "name", cmd, sizeof cmd) && strcmp(cmd, "ask") == 0)
		/* /ask: stored, then "thinking…" until the follow-up */
		ingest(g, "discord", body, n, o);
	else
		gw_answer(o, 200, none, strlen(none), NULL);
}
