/* discord_gw: the Discord Gateway over WebSocket with libwebsockets — hello, identify,
 * heartbeat at the interval given, resume after a drop, MESSAGE_CREATE into messages.
 * libwebsockets (and the OpenSSL it pulls in) is dlopen'd on the first Gateway poll, the
 * way net/fetch_curl.c loads libcurl: linked, it cost every connector ~2 MB of RSS. */
#include <dlfcn.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "channel/discord.h"
#include "channel/jpath.h"

#define DC_GATEWAY "wss://gateway.discord.gg/?v=10&encoding=json"
/* GUILD_MESSAGES | DIRECT_MESSAGES | MESSAGE_CONTENT */
#define DC_INTENTS ((1 << 9) | (1 << 12) | (1 << 15))
#define DC_FRAME_MAX (CHAN_UPDATE_MAX + 65536)

#define LWS_SONAME "libwebsockets.so.17"
#define SSL_SONAME "libssl.so.3"          /* what libwebsockets17 links: loaded with it */

/* The functions used, looked up by name; the header gives their types. */
static struct {
	__typeof__(lws_set_log_level) *set_log_level;
	__typeof__(lws_create_context) *create_context;
	__typeof__(lws_client_connect_via_info) *client_connect_via_info;
	__typeof__(lws_service) *service;
	__typeof__(lws_sul_schedule) *sul_schedule;
	__typeof__(lws_parse_uri) *parse_uri;
	__typeof__(lws_write) *write;
	__typeof__(lws_callback_on_writable) *callback_on_writable;
	__typeof__(lws_is_final_fragment) *is_final_fragment;
	__typeof__(lws_remaining_packet_payload) *remaining_packet_payload;
	__typeof__(lws_close_reason) *close_reason;
	__typeof__(lws_set_timeout) *set_timeout;
	int ok;
	/* OpenSSL's, for the CA lookup: the roots read one by one as a chain needs them */
	int (*load_verify_dir)(void *ctx, const char *dir);
	int (*default_verify_paths)(void *ctx);
	const char *(*cert_dir)(void), *(*cert_dir_env)(void);
} W;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
load(void)
{
	void *lib = dlopen(LWS_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!lib)
		return;
#define SYM(field) if (!(*(void **)&W.field = dlsym(lib, "lws_" #field))) return
	SYM(set_log_level);
	SYM(create_context);
	SYM(client_connect_via_info);
	SYM(service);
	SYM(sul_schedule);
	SYM(parse_uri);
	SYM(write);
	SYM(callback_on_writable);
	SYM(is_final_fragment);
	SYM(remaining_packet_payload);
	SYM(close_reason);
	SYM(set_timeout);
#undef SYM
	W.ok = 1;
	if ((lib = dlopen(SSL_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD))) {
		*(void **)&W.load_verify_dir = dlsym(lib, "SSL_CTX_load_verify_dir");
		*(void **)&W.default_verify_paths = dlsym(lib, "SSL_CTX_set_default_verify_paths");
		*(void **)&W.cert_dir = dlsym(lib, "X509_get_default_cert_dir");
		*(void **)&W.cert_dir_env = dlsym(lib, "X509_get_default_cert_dir_env");
	}
}

/* The client's trusted roots.  libwebsockets would load OpenSSL's default paths, which
 * parses the whole CA bundle (~140 certificates, 1.5 MB of RSS kept for the connection's
 * life); the hashed directory ($SSL_CERT_DIR, else OpenSSL's default: /etc/ssl/certs on
 * Debian) is read only for the roots a chain names.  No such directory: the defaults. */
static int
trust(void *ssl_ctx)
{
	const char *dir = W.cert_dir_env && W.cert_dir_env() ? getenv(W.cert_dir_env()) : NULL;

	if (!dir || !*dir)
		dir = W.cert_dir ? W.cert_dir() : NULL;
	if (W.load_verify_dir && dir && W.load_verify_dir(ssl_ctx, dir) == 1)
		return 0;
	return W.default_verify_paths && W.default_verify_paths(ssl_ctx) == 1 ? 0 : 1;
}

/* One connection, kept between polls: the session resumes after a drop. */
static struct gw {
	struct lws_context *ctx;
	struct lws *wsi;
	struct chan *c;
	chan_msg_fn *fn;
	void *fnctx;
	struct buf in, out;           /* a message being read; frames waiting to be written */
	char session[128], resume[512];
	long long seq, hb_ms, next_hb, retry_at;
	int acked, connected, got, rc, backoff, closing, resume_ok;
	int late;                     /* a beat is due and its ack missing: read once more */
	char why[200];
} G;

/* lws_service sleeps until an event of its own: the next beat, the poll's end or a
 * reconnect is one, scheduled, so that idle costs no wakeups between beats. */
static lws_sorted_usec_list_t wake;

static void
woken(lws_sorted_usec_list_t *sul)
{
	(void)sul;
}

static void
queue_frame(const char *json, size_t n)
{
	/* Frames queued NUL-separated, written one per writeable callback. */
	buf_add(&G.out, json, n);
	buf_addc(&G.out, '\0');
	if (G.wsi)
		W.callback_on_writable(G.wsi);
}

static void
heartbeat(void)
{
	char hb[64];

	if (G.seq > 0)
		snprintf(hb, sizeof hb, "{\"op\":1,\"d\":%lld}", G.seq);
	else
		snprintf(hb, sizeof hb, "{\"op\":1,\"d\":null}");
	queue_frame(hb, strlen(hb));
	G.acked = 0;
	G.late = 0;
	G.next_hb = clock_mono_ms() + G.hb_ms;
}

static void
identify(void)
{
	struct buf b = BUF_INIT;
	const char *tok = G.c->token ? G.c->token : "";

	if (G.session[0] && G.resume_ok) {
		buf_adds(&b, "{\"op\":6,\"d\":{\"token\":");
		buf_add_json_str(&b, tok, strlen(tok));
		buf_adds(&b, ",\"session_id\":");
		buf_add_json_str(&b, G.session, strlen(G.session));
		buf_printf(&b, ",\"seq\":%lld}}", G.seq);
	} else {
		G.session[0] = '\0';
		G.seq = 0;
		buf_adds(&b, "{\"op\":2,\"d\":{\"token\":");
		buf_add_json_str(&b, tok, strlen(tok));
		buf_printf(&b, ",\"intents\":%d,\"properties\":{\"os\":\"linux\","
		    "\"browser\":\"claw\",\"device\":\"claw\"}}}", DC_INTENTS);
	}
	queue_frame(b.p, b.len);
	sodium_memzero(b.p, b.len);
	buf_free(&b);
}

/* One whole Gateway payload {op, d, s, t}. */
static void
payload(const char *p, size_t n)
{
	long long op = -1, s, iv;
	const char *d;
	size_t dn;
	char t[48] = "";

	if (!json_valid(p, n, NULL, 0) || !jp_int(p, n, "op", &op))
		return;
	if (jp_int(p, n, "s", &s) && s > G.seq)
		G.seq = s;
	switch (op) {
	case 10:                      /* HELLO: the first beat after interval * jitter */
		if (!jp_int(p, n, "d.heartbeat_interval", &iv) || iv < 100)
			iv = 41250;
		G.hb_ms = iv;
		G.next_hb = clock_mono_ms() + (long long)randombytes_uniform((uint32_t)iv);
		G.acked = 1;
		identify();
		break;
	case 11:
		G.acked = 1;
		break;
	case 1:
		heartbeat();
		break;
	case 7:                       /* RECONNECT: close, then resume */
		G.resume_ok = 1;
		G.closing = 1;
		snprintf(G.why, sizeof G.why, "the Gateway asked to reconnect");
		break;
	case 9:                       /* INVALID SESSION: d says whether to resume */
		G.resume_ok = jp_get(p, n, "d", &d, &dn) && dn == 4 && memcmp(d, "true", 4) == 0;
		if (!G.resume_ok)
			G.session[0] = '\0';
		G.closing = 1;
		snprintf(G.why, sizeof G.why, "invalid session");
		break;
	case 0:
		jp_str(p, n, "t", t, sizeof t);
		if (!jp_get(p, n, "d", &d, &dn) || *d != '{')
			break;
		if (strcmp(t, "READY") == 0) {
			jp_str(d, dn, "session_id", G.session, sizeof G.session);
			jp_str(d, dn, "resume_gateway_url", G.resume, sizeof G.resume);
			jp_str(d, dn, "user.username", G.c->bot, sizeof G.c->bot);
			jp_str(d, dn, "user.id", G.c->botid, sizeof G.c->botid);
			G.backoff = 0;
			G.resume_ok = 1;
		} else if (strcmp(t, "RESUMED") == 0)
			G.backoff = 0;
		else if (strcmp(t, "MESSAGE_CREATE") == 0 && !G.rc) {
			int r = G.c->conn->parse(G.c, d, dn, G.fn, G.fnctx);
			if (r == EX_DATAERR)
				fprintf(stderr, "claw-channel: %s\n", err_msg());
			else if (r)
				G.rc = r;
			else
				G.got++;
		}
		break;
	}
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	(void)user;
	switch (reason) {
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS:
		return trust(user);
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		G.connected = 1;
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (G.in.len + len > DC_FRAME_MAX) {
			snprintf(G.why, sizeof G.why, "a Gateway message over %u bytes",
			    DC_FRAME_MAX);
			return -1;
		}
		buf_add(&G.in, in, len);
		if (W.is_final_fragment(wsi) && !W.remaining_packet_payload(wsi)) {
			buf_addc(&G.in, '\0');
			payload(G.in.p, G.in.len - 1);
			buf_reset(&G.in);
		}
		if (G.closing) {
			W.close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
			return -1;
		}
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (G.out.len) {
			size_t k = strlen(G.out.p);
			unsigned char *f = malloc(LWS_PRE + k + 1);
			if (!f)
				return -1;
			memcpy(f + LWS_PRE, G.out.p, k);
			if (W.write(wsi, f + LWS_PRE, k, LWS_WRITE_TEXT) < (int)k) {
				free(f);
				return -1;
			}
			free(f);
			memmove(G.out.p, G.out.p + k + 1, G.out.len - k - 1);
			G.out.len -= k + 1;
			if (G.out.len)
				W.callback_on_writable(wsi);
		}
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2) {
			unsigned code = ((unsigned char *)in)[0] << 8 | ((unsigned char *)in)[1];
			snprintf(G.why, sizeof G.why, "the Gateway closed with %u", code);
			if (code == 4004)
				G.rc = err_set(EX_NOPERM, "%s: the Gateway refused the token"
				    " (4004)", G.c->name);
			else if (code >= 4010 && code <= 4014)
				G.rc = err_set(EX_CONFIG, "%s: the Gateway closed with %u (intents"
				    " or shard not allowed: turn on MESSAGE CONTENT for the bot)",
				    G.c->name, code);
			else if (code == 4007 || code == 4009)
				G.resume_ok = 0;
		}
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		snprintf(G.why, sizeof G.why, "cannot connect to the Gateway%s%.*s",
		    in ? ": " : "", in ? (int)len : 0, in ? (const char *)in : "");
		G.wsi = NULL;
		G.connected = 0;
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		G.wsi = NULL;
		G.connected = 0;
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "discord", callback, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static int
connect_to(const char *url)
{
	struct lws_client_connect_info ci;
	char u[600], *prot = NULL, *path = NULL;
	const char *ads = NULL, *pp = NULL;
	static char pathbuf[600];
	int port = 0;

	snprintf(u, sizeof u, "%s", url);
	if (W.parse_uri(u, (const char **)&prot, &ads, &port, &pp))
		return err_set(EX_CONFIG, "%s: %s: not a ws:// or wss:// URL", G.c->name, url);
	path = (char *)pp;
	while (path && *path == '/')
		path++;
	/* lws_parse_uri drops the leading '/'; a resume URL has no query: ours added */
	snprintf(pathbuf, sizeof pathbuf, "/%s%s", path ? path : "",
	    strchr(url, '?') ? "" : "?v=10&encoding=json");
	memset(&ci, 0, sizeof ci);
	ci.context = G.ctx;
	ci.address = ads;
	ci.port = port;
	ci.path = pathbuf;
	ci.host = ads;
	ci.origin = ads;
	ci.protocol = NULL;
	ci.local_protocol_name = "discord";
	ci.ssl_connection = strcmp(prot, "wss") == 0 ? LCCSCF_USE_SSL : 0;
	if (strcmp(prot, "wss") && strcmp(prot, "ws"))
		return err_set(EX_CONFIG, "%s: %s: not a ws:// or wss:// URL", G.c->name, url);
	buf_reset(&G.in);
	buf_reset(&G.out);
	G.closing = 0;
	G.why[0] = '\0';
	if (!(G.wsi = W.client_connect_via_info(&ci)))
		return err_set(EX_TEMPFAIL, "%s: cannot connect to the Gateway", G.c->name);
	return 0;
}

int
dc_poll(struct chan *c, const char *cursor, int timeout, chan_msg_fn *fn, void *ctx,
    char *next, size_t nextlen)
{
	struct lws_context_creation_info info;
	char url[512];
	long long now, end = clock_mono_ms() + (long long)timeout * 1000;
	int rc;

	snprintf(next, nextlen, "%s", cursor);
	G.c = c;
	G.fn = fn;
	G.fnctx = ctx;
	G.got = 0;
	G.rc = 0;
	pthread_once(&once, load);
	if (!W.ok)
		return err_set(EX_UNAVAILABLE, "%s: %s cannot be loaded: install libwebsockets17",
		    c->name, LWS_SONAME);
	if (!G.ctx) {
		W.set_log_level(0, NULL);
		memset(&info, 0, sizeof info);
		info.port = CONTEXT_PORT_NO_LISTEN;
		info.protocols = protocols;
		info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		if (W.load_verify_dir || W.default_verify_paths)
			info.options |= LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;   /* trust() */
		info.gid = -1;
		info.uid = -1;
		if (!(G.ctx = W.create_context(&info)))
			return err_set(EX_SOFTWARE, "%s: libwebsockets: no context", c->name);
	}
	if (timeout < 1)
		end = clock_mono_ms() + 2000;   /* --once: what the Gateway has now */
	for (;;) {
		now = clock_mono_ms();
		if (!G.wsi && now >= G.retry_at) {
			chan_key(c, "gateway_url", url, sizeof url);
			if (G.resume[0] && G.session[0] && G.resume_ok)
				snprintf(url, sizeof url, "%s", G.resume);
			else if (!url[0])
				snprintf(url, sizeof url, "%s", DC_GATEWAY);
			if ((rc = connect_to(url)))
				return rc;
			/* the next attempt after a drop: 1, 2, 4 … 60 s */
			G.backoff = G.backoff ? (G.backoff * 2 > 60 ? 60 : G.backoff * 2) : 1;
			G.retry_at = now + G.backoff * 1000LL;
		}
		if (G.connected && G.hb_ms && now >= G.next_hb) {
			if (!G.acked && !G.late)
				G.late = 1;   /* the ack may wait unread after a long turn */
			else if (!G.acked) {  /* no ack since the last beat: a dead link */
				snprintf(G.why, sizeof G.why, "no heartbeat ack");
				G.resume_ok = 1;
				W.set_timeout(G.wsi, PENDING_TIMEOUT_CLOSE_SEND,
				    LWS_TO_KILL_ASYNC);
			} else
				heartbeat();
		}
		if (G.rc || (G.got && G.out.len == 0) || now >= end)
			break;
		if (G.late)
			W.sul_schedule(G.ctx, 0, &wake, woken, 50 * LWS_US_PER_MS);
		else {
			long long at = end;
			if (G.connected && G.hb_ms && G.next_hb < at)
				at = G.next_hb;
			if (!G.wsi && G.retry_at < at)
				at = G.retry_at;
			W.sul_schedule(G.ctx, 0, &wake, woken,
			    (at > now ? at - now : 1) * LWS_US_PER_MS);
		}
		W.service(G.ctx, 0);
		if (!G.wsi && !G.rc && G.why[0] && !G.got) {
			/* said once a drop, the service loop keeps going */
			fprintf(stderr, "claw-channel: %s: %s; reconnecting\n", c->name, G.why);
			G.why[0] = '\0';
		}
	}
	if (G.rc)
		return G.rc;
	if (!G.got && !G.connected && G.why[0])     /* said by status, retried by the loop */
		return err_set(EX_TEMPFAIL, "%s: %s", c->name, G.why);
	return 0;
}
