/* chan: the connector table, a channel's settings from its channels.NAME.* keys,
 * and the one way a connector talks HTTP (net/fetch: libcurl for https only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "channel/chan.h"
#include "net/fetch.h"
#include "store/config.h"
#include "store/secret.h"
#include "store/store.h"

extern const struct chan_conn chan_telegram, chan_whatsapp, chan_signal, chan_discord;

static const struct chan_conn *const conns[] = {
	&chan_telegram, &chan_whatsapp, &chan_signal, &chan_discord,
};
#define NCONNS (sizeof conns / sizeof conns[0])

const struct chan_conn *
chan_conn(const char *kind)
{
	size_t i;

	for (i = 0; i < NCONNS; i++)
		if (strcmp(conns[i]->kind, kind) == 0)
			return conns[i];
	return NULL;
}

const char *
chan_kinds(void)
{
	return "telegram, whatsapp, signal, discord";
}

void
chan_key(const struct chan *c, const char *key, char *dst, size_t n)
{
	char k[128], *v = NULL;

	snprintf(k, sizeof k, "channels.%s.%s", c->name, key);
	dst[0] = '\0';
	if (config_get(c->db, k, &v, NULL) == 0 && v)
		snprintf(dst, n, "%s", v);
	if (v && config_is_secret(k))
		secret_free(v);
	else
		free(v);
}

static long
key_long(const struct chan *c, const char *key, long dflt, long lo, long hi)
{
	char v[32], *end;
	long x;

	chan_key(c, key, v, sizeof v);
	if (!v[0])
		return dflt;
	x = strtol(v, &end, 10);
	return *end || x < lo || x > hi ? dflt : x;
}

int
chan_open(struct chan *c, sqlite3 *db, const char *name, int need_token)
{
	char v[64], k[128];
	sqlite3_stmt *st;
	int rc, step;

	memset(c, 0, sizeof *c);
	c->db = db;
	snprintf(c->name, sizeof c->name, "%s", name);
	if ((rc = store_prepare(db, &st, "SELECT kind, bot FROM channels WHERE name = ?")))
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		c->conn = chan_conn((const char *)sqlite3_column_text(st, 0));
		snprintf(c->bot, sizeof c->bot, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && (rc = store_step_done(db, step, "channels")))
		return rc;
	if (step != SQLITE_ROW)
		return err_set(EX_NOINPUT, "%s: no such channel (claw channel add %s)", name, name);
	if (!c->conn)
		return err_set(EX_DATAERR, "%s: unknown kind in the store", name);
	snprintf(k, sizeof k, "channels.%s.token", name);
	if (config_get(db, k, &c->token, NULL) != 0)
		c->token = NULL;
	if (need_token && !c->conn->no_token && (!c->token || !*c->token))
		return err_set(EX_CONFIG, "%s: no token (claw config set %s -)", name, k);
	if (c->token && strchr(c->token, ':'))
		snprintf(c->botid, sizeof c->botid, "%.*s", (int)strcspn(c->token, ":"), c->token);
	chan_key(c, "base_url", c->base_url, sizeof c->base_url);
	if (!c->base_url[0])
		snprintf(c->base_url, sizeof c->base_url, "%s", c->conn->base_url);
	while (c->base_url[0] && c->base_url[strlen(c->base_url) - 1] == '/')
		c->base_url[strlen(c->base_url) - 1] = '\0';
	chan_key(c, "dm_policy", v, sizeof v);
	c->policy = strcmp(v, "open") == 0 ? CHAN_OPEN
	    : strcmp(v, "allowlist") == 0 ? CHAN_ALLOWLIST : CHAN_PAIRING;
	chan_key(c, "stream", v, sizeof v);
	c->stream_edit = strcmp(v, "edit") == 0;
	chan_key(c, "voice_reply", v, sizeof v);
	c->voice_reply = strcmp(v, "always") == 0 ? VOICE_ALWAYS
	    : strcmp(v, "never") == 0 ? VOICE_NEVER : VOICE_AUTO;
	c->max_attempts = key_long(c, "max_attempts", 5, 1, 100);
	c->media_max = key_long(c, "media_max", CHAN_MEDIA_MAX, 0, 1L << 30);
	c->parallel = key_long(c, "parallel", 8, 1, 64);
	c->poll_timeout = key_long(c, "poll_timeout", 25, 0, 600);
	chan_key(c, "phone_number_id", c->phone_id, sizeof c->phone_id);
	chan_key(c, "api_version", c->version, sizeof c->version);
	if (!c->version[0])
		snprintf(c->version, sizeof c->version, "v23.0");
	telemetry_init(&c->tel, "claw-channel");
	if (!(c->http = fetch_handle()))
		return err_set(EX_SOFTWARE, "out of memory");
	return 0;
}

void
chan_close(struct chan *c)
{
	if (c->db)
		telemetry_flush(&c->tel, c->db);
	telemetry_free(&c->tel);
	fetch_handle_free(c->http);
	if (c->token)
		secret_free(c->token);
	c->token = NULL;
	c->http = NULL;
}

void
chan_msg_init(struct chan_msg *m)
{
	memset(m, 0, sizeof *m);
}

void
chan_msg_free(struct chan_msg *m)
{
	buf_free(&m->text);
	buf_free(&m->media);
	chan_msg_init(m);
}

struct sink {
	struct buf *out;
	size_t max;
	int big;
};

static int
collect(const char *p, size_t n, void *ctx)
{
	struct sink *s = ctx;

	if (s->out->len + n > s->max) {
		s->big = 1;
		return 1;
	}
	buf_add(s->out, p, n);
	return 0;
}

long
chan_http(struct chan *c, const char *method, const char *url, const char *auth,
    const char *body, size_t len, struct buf *out, size_t max, long timeout, int *big,
    long *retry_after)
{
	return chan_http_type(c, method, url, auth, "Content-Type: application/json", body, len,
	    out, max, timeout, big, retry_after);
}

long
chan_http_type(struct chan *c, const char *method, const char *url, const char *auth,
    const char *ctype, const char *body, size_t len, struct buf *out, size_t max,
    long timeout, int *big, long *retry_after)
{
	const char *hdr[3] = { ctype, NULL, NULL };
	struct sink s = { out, max, 0 };
	struct fetch f = { 0 };
	long status;

	if (auth)
		hdr[body ? 1 : 0] = auth;
	if (!body && !auth)
		hdr[0] = NULL;
	f.url = url;
	f.method = method;
	f.user_agent = c->conn->user_agent;
	f.headers = hdr;
	f.body = body ? body : "";
	f.len = body ? len : 0;
	f.connect_timeout = 10;
	f.idle_timeout = timeout;
	f.fn = collect;
	f.ctx = &s;
	f.header = c->on_header;
	f.hctx = c->hdr_ctx;
	if (big)
		*big = 0;
	if (retry_after)
		*retry_after = -1;
	if (fetch_post(c->http, &f) != 0 && !f.stopped) {
		/* Never the URL: a Telegram URL holds the token. */
		err_set(EX_UNAVAILABLE, "%s: %s", c->name, f.error);
		buf_free(&f.errbody);
		return 0;
	}
	status = f.status;
	if (f.errbody.len)
		buf_add(out, f.errbody.p, f.errbody.len);
	if (big)
		*big = s.big;
	if (retry_after)
		*retry_after = f.retry_after;
	buf_free(&f.errbody);
	return status;
}
