/* gateway: routes, auth, rate limits, telemetry, and the chat and skill jobs that
 * run claw-chat and claw-skill as children.  No libjq and no network client here:
 * request bodies are read with lib/json.c and answers written with buf_add_json_str. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "base/clock.h"
#include "store/config.h"
#include "base/err.h"
#include "store/telemetry.h"
#include "gateway/gateway.h"
#include "base/json.h"
#include "net/jwt.h"
#include "base/path.h"
#include "base/proc.h"
#include "skill/index.h"
#include "store/store.h"

#define SSE_KEEPALIVE_MS 15000
#define JOB_MAXOUT (4u << 20)     /* what a skill run may answer */

/* --- configuration --- */

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
}

int
gw_store(struct gw *g)
{
	int rc;

	if (g->db)
		return 0;
	if ((rc = store_open(&g->db)))
		return rc;
	if (!g->inetd)
		sqlite3_busy_timeout(g->db, 250);   /* the loop answers 503 rather than stall */
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

void
gw_reload(struct gw *g)
{
	const char *env = getenv("CLAW_GATEWAY_JWT_SECRET");

	if (g->secret) {
		sodium_memzero(g->secret, strlen(g->secret));
		free(g->secret);
	}
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
	load(g);
	/* A secret from the environment spares opening the store to check a token. */
	if ((env = getenv("CLAW_GATEWAY_JWT_SECRET")) && *env)
		g->secret = strdup(env);
}

void
gw_free(struct gw *g)
{
	gw_flush(g, 1);
	if (g->secret) {
		sodium_memzero(g->secret, strlen(g->secret));
		free(g->secret);
	}
	buf_free(&g->events);
	if (g->db)
		store_close(g->db);
	g->db = NULL;
}

int
gw_secret(sqlite3 *db, char **secret, int *made)
{
	unsigned char raw[32];
	char text[64];
	const char *env;
	int rc;

	*made = 0;
	*secret = NULL;
	rc = config_get(db, "gateway.jwt_secret", secret, NULL);
	if (rc == 0 && *secret && **secret)
		return 0;
	free(*secret);
	*secret = NULL;
	if (rc && rc != EX_NORESULT)
		return rc;
	if ((env = getenv("JWT_SECRET")) && *env)
		return (*secret = strdup(env)) ? 0 : err_set(EX_SOFTWARE, "out of memory");
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(text, sizeof text, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	if ((rc = config_set(db, "gateway.jwt_secret", text)))
		return rc;
	*made = 1;
	*secret = strdup(text);
	sodium_memzero(text, sizeof text);
	return *secret ? 0 : err_set(EX_SOFTWARE, "out of memory");
}

/* --- answers --- */

static const char *
type_of(int status)
{
	switch (status) {
	case 400: case 411: case 417: case 501: case 505: return "bad_request";
	case 401: return "unauthorized";
	case 403: return "forbidden";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 408: case 504: return "timeout";
	case 413: case 414: case 431: return "too_large";
	case 422: return "skill_error";
	case 429: return "rate_limited";
	case 502: return "upstream_error";
	case 503: return "unavailable";
	default: return status >= 500 ? "internal" : "bad_request";
	}
}

/* The date an origin server must send (RFC 9110 §6.6.1), formatted once a
 * second, by hand: strftime would read /etc/localtime at every inetd start. */
static const char *
http_date(void)
{
	static const char days[] = "SunMonTueWedThuFriSat", months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static char text[40];
	static time_t last;
	time_t now = time(NULL);
	struct tm tm;

	if (now != last && gmtime_r(&now, &tm)) {
		snprintf(text, sizeof text, "%.3s, %02d %.3s %04d %02d:%02d:%02d GMT", days + 3 * tm.tm_wday,
		    tm.tm_mday, months + 3 * tm.tm_mon, tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
		last = now;
	}
	return text;
}

/* A status line and the headers every answer carries; extra is more "Name: value\r\n" lines. */
static void
head(struct buf *b, int status, const char *ctype, long long length, int close, const char *extra)
{
	buf_printf(b, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: claw-gateway\r\n", status, http_reason(status),
	    http_date());
	if (ctype)
		buf_printf(b, "Content-Type: %s\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n", ctype);
	if (length >= 0)
		buf_printf(b, "Content-Length: %lld\r\n", length);
	if (close == 1)
		buf_adds(b, "Connection: close\r\n");
	else if (close == 2)
		buf_adds(b, "Connection: keep-alive\r\n");   /* HTTP/1.0 assumes close otherwise */
	if (extra)
		buf_adds(b, extra);
	buf_adds(b, "\r\n");
}

static void
answer(struct gw_out *o, int status, const char *json, size_t n, const char *extra)
{
	o->status = status;
	buf_reset(&o->resp);
	head(&o->resp, status, "application/json", (long long)n + 1, o->close ? 1 : o->http10 ? 2 : 0, extra);
	buf_add(&o->resp, json, n);
	buf_addc(&o->resp, '\n');
}

/* A 200 with the JSON built in b, or a 500 when building it ran out of memory. */
static void
answer_ok(struct gw_out *o, const struct buf *b)
{
	if (b->oom || !b->p)
		gw_error(o, 500, "out of memory");
	else
		answer(o, 200, b->p, b->len, NULL);
}

static void
error_body(struct buf *b, int status, const char *message)
{
	buf_adds(b, "{\"error\":{\"message\":");
	buf_add_json_str(b, message, strlen(message));
	buf_printf(b, ",\"type\":\"%s\"}}", type_of(status));
}

void
gw_error_extra(struct gw_out *o, int status, const char *message, const char *extra)
{
	struct buf b = BUF_INIT;

	error_body(&b, status, message);
	/* After an error the rest of the bytes cannot be trusted to frame a request. */
	if (status == 400 || status == 408 || status == 411 || status == 413 || status == 414
	    || status == 417 || status == 431 || status == 505 || status >= 500)
		o->close = 1;
	answer(o, status, b.p ? b.p : "{}", b.p ? b.len : 2, extra);
	buf_free(&b);
}

void
gw_error(struct gw_out *o, int status, const char *message)
{
	gw_error_extra(o, status, message, NULL);
}

void
gw_out_free(struct gw_out *o)
{
	buf_free(&o->resp);
	buf_free(&o->arg);
}

/* --- auth and rate --- */

static int
bearer(const struct http_req *r, const char **tok, size_t *n)
{
	size_t vlen;
	const char *v = http_header(r, "authorization", &vlen);

	if (!v)
		return 0;
	if (vlen < 7 || strncasecmp(v, "bearer ", 7) != 0)
		return -1;
	v += 7, vlen -= 7;
	while (vlen && *v == ' ')
		v++, vlen--;
	*tok = v;
	*n = vlen;
	return vlen ? 1 : -1;
}

/* Fixed one-minute windows; the count of a token in the current one, after this request. */
static long
count_memory(struct gw *g, const unsigned char key[16], long long window)
{
	size_t i, h = ((size_t)key[0] | (size_t)key[1] << 8) % GW_RATESLOTS, victim = h;

	for (i = 0; i < GW_RATESLOTS; i++) {
		struct gw_rate *s = &g->rates[(h + i) % GW_RATESLOTS];
		if (memcmp(s->key, key, 16) == 0 && s->window == window)
			return ++s->count;
		if (s->window != window) {       /* free, or a past minute's: take it */
			victim = (h + i) % GW_RATESLOTS;
			break;
		}
	}
	memcpy(g->rates[victim].key, key, 16);
	g->rates[victim].window = window;
	return g->rates[victim].count = 1;
}

static long
count_store(struct gw *g, const unsigned char key[16], long long window)
{
	sqlite3_stmt *st;
	long n = -1;

	if (store_prepare(g->db, &st,
	    "INSERT INTO gateway_rate(key, window, count) VALUES(?1, ?2, 1)"
	    " ON CONFLICT(key) DO UPDATE SET count = CASE WHEN window = ?2 THEN count + 1 ELSE 1 END,"
	    " window = ?2 RETURNING count"))
		return -1;
	sqlite3_bind_blob(st, 1, key, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, window);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* 0 when the request may go on, else the answer is in o. */
static int
authorize(struct gw *g, const struct http_req *r, const char *scope, struct gw_out *o)
{
	struct jwt_claims c;
	const char *tok = NULL, *why;
	unsigned char key[16];
	long long now = clock_wall_ms() / 1000;
	size_t n = 0;
	long count;
	int b;

	if (!g->secret && (gw_store(g) || !g->secret)) {   /* the store may not have been open yet */
		gw_error(o, 503, g->db ? "no gateway.jwt_secret: run claw-gateway start once, or claw config set gateway.jwt_secret=SECRET"
		    : "the store cannot be opened to read gateway.jwt_secret: try again");
		return -1;
	}
	if ((b = bearer(r, &tok, &n)) == 0) {
		gw_error_extra(o, 401, "missing bearer token: send Authorization: Bearer TOKEN (claw-gateway token mints one)",
		    "WWW-Authenticate: Bearer\r\n");
		return -1;
	}
	if (b < 0) {
		gw_error_extra(o, 401, "malformed Authorization header: want Bearer TOKEN",
		    "WWW-Authenticate: Bearer error=\"invalid_request\"\r\n");
		return -1;
	}
	if (jwt_verify(g->secret, strlen(g->secret), tok, n, now, &c, &why)) {
		gw_error_extra(o, 401, why, "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n");
		return -1;
	}
	if (!jwt_scope(&c, scope)) {
		char m[96];
		snprintf(m, sizeof m, "this token's scope does not include %s", scope);
		gw_error_extra(o, 403, m, "WWW-Authenticate: Bearer error=\"insufficient_scope\"\r\n");
		return -1;
	}
	if (g->inetd && gw_store(g)) {             /* the stored gateway.rate, and its counts */
		gw_error(o, 503, "the store cannot be opened: try again");
		return -1;
	}
	if (g->rate <= 0)
		return 0;
	crypto_generichash(key, sizeof key, (const unsigned char *)tok, n, NULL, 0);
	if (g->inetd) {
		if ((count = count_store(g, key, now / 60)) < 0) {
			gw_error(o, 503, "the store is busy: try again");
			return -1;
		}
	} else
		count = count_memory(g, key, now / 60);
	if (count > g->rate) {
		char extra[48], m[96];
		snprintf(extra, sizeof extra, "Retry-After: %lld\r\n", 60 - now % 60);
		snprintf(m, sizeof m, "over %ld requests a minute for this token (gateway.rate)", g->rate);
		gw_error_extra(o, 429, m, extra);
		return -1;
	}
	return 0;
}

/* --- reading request bodies --- */

static int
member_true(const char *body, size_t n, const char *key)
{
	const char *v;
	size_t vn;

	return json_member(body, n, key, &v, &vn) && vn == 4 && memcmp(v, "true", 4) == 0;
}

/* The body must be one JSON object: 0, or the answer is in o. */
static int
want_object(const char *body, size_t n, struct gw_out *o)
{
	char why[96], m[128];

	if (!n) {
		gw_error(o, 400, "want a JSON object body");
		return -1;
	}
	if (!json_valid(body, n, why, sizeof why)) {
		snprintf(m, sizeof m, "body is not JSON: %s", why);
		gw_error(o, 400, m);
		return -1;
	}
	while (n && strchr(" \t\r\n", *body))
		body++, n--;
	if (*body != '{') {
		gw_error(o, 400, "want a JSON object body");
		return -1;
	}
	return 0;
}

/* A model as the client names it: "", "claw" or "default" mean the configured chain. */
static int
model_arg(const char *body, size_t n, struct gw_out *o, struct buf *req)
{
	struct buf m = BUF_INIT;
	int r = json_member_text(body, n, "model", &m);

	if (r < 0) {
		gw_error(o, 400, "model: want a string");
		return -1;
	}
	if (r > 0 && m.len && strcmp(m.p, "claw") && strcmp(m.p, "default")) {
		if (config_check("model", m.p)) {
			gw_error(o, 400, err_msg());
			buf_free(&m);
			return -1;
		}
		buf_adds(req, ",\"model\":");
		buf_add_json_str(req, m.p, m.len);
		snprintf(o->name, sizeof o->name, "%s", m.p);
	}
	buf_free(&m);
	return 0;
}

/* --- routes --- */

static void
r_healthz(struct gw *g, const struct http_req *r, const char *body, size_t n, struct gw_out *o)
{
	answer(o, 200, "{\"ok\":true}", 11, NULL);
}

static void
r_models(struct gw *g, const struct http_req *r, const char *body, size_t n, struct gw_out *o)
{
	struct buf b = BUF_INIT;
	char *chain = NULL, *p, *save = NULL;
	int first = 1;

	gw_store(g);
	config_get(g->db, "model", &chain, NULL);
	buf_adds(&b, "{\"object\":\"list\",\"data\":[");
	for (p = chain ? strtok_r(chain, ",", &save) : NULL; p; p = strtok_r(NULL, ",", &save)) {
		const char *slash = strchr(p, '/');
		buf_adds(&b, first ? "{\"id\":" : ",{\"id\":");
		buf_add_json_str(&b, p, strlen(p));
		buf_adds(&b, ",\"object\":\"model\",\"created\":0,\"owned_by\":");
		buf_add_json_str(&b, p, slash ? (size_t)(slash - p) : strlen(p));
		buf_addc(&b, '}');
		first = 0;
	}
	buf_adds(&b, "]}");
	answer_ok(o, &b);
	buf_free(&b);
	free(chain);
}

static void
r_skills(struct gw *g, const struct http_req *r, const char *body, size_t n, struct gw_out *o)
{
	struct skills all = { 0 };
	struct buf b = BUF_INIT;
	size_t i;
	int rc;

	if ((rc = gw_store(g)) || (rc = skill_index(g->db, &all))) {
		gw_error(o, rc == EX_TEMPFAIL ? 503 : 500, err_msg());
		return;
	}
	buf_adds(&b, "{\"skills\":[");
	for (i = 0; i < all.n; i++) {
		if (i)
			buf_addc(&b, ',');
		skill_json(g->db, &all.v[i], &b);
	}
	buf_adds(&b, "]}");
	answer_ok(o, &b);
	buf_free(&b);
	skills_free(&all);
}

static void
r_sessions(struct gw *g, const struct http_req *r, const char *body, size_t n, struct gw_out *o)
{
	struct buf b = BUF_INIT;
	sqlite3_stmt *st;
	int rc, first = 1;

	if ((rc = gw_store(g)) || (rc = store_prepare(g->db, &st,
	    "SELECT s.name, s.created, s.updated, count(m.id), coalesce(sum(m.tokens), 0)"
	    " FROM sessions s LEFT JOIN messages m ON m.session = s.id GROUP BY s.id ORDER BY s.updated"))) {
		gw_error(o, 500, err_msg());
		return;
	}
	buf_adds(&b, "{\"sessions\":[");
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		buf_adds(&b, first ? "{\"name\":" : ",{\"name\":");
		buf_add_json_str(&b, name ? name : "", name ? strlen(name) : 0);
		buf_printf(&b, ",\"created\":%lld,\"updated\":%lld,\"messages\":%lld,\"tokens\":%lld}",
		    (long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 2),
		    (long long)sqlite3_column_int64(st, 3), (long long)sqlite3_column_int64(st, 4));
		first = 0;
	}
	sqlite3_finalize(st);
	buf_adds(&b, "]}");
	answer_ok(o, &b);
	buf_free(&b);
}

static long long
count_rows(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long n = -1;

	if (store_prepare(db, &st, sql))
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
r_status(struct gw *g, const struct http_req *r, const char *body, size_t n, struct gw_out *o)
{
	struct buf b = BUF_INIT;
	char *model = NULL;

	if (gw_store(g)) {
		gw_error(o, 500, err_msg());
		return;
	}
	config_get(g->db, "model", &model, NULL);
	buf_printf(&b, "{\"version\":\"%s\",\"pid\":%ld,\"mode\":\"%s\",\"listen\":", CLAW_VERSION, (long)getpid(),
	    g->inetd ? "inetd" : "start");
	if (g->listen)
		buf_add_json_str(&b, g->listen, strlen(g->listen));
	else
		buf_adds(&b, "null");
	buf_printf(&b, ",\"uptime_s\":%lld,\"requests\":%lld,\"children\":%d,\"model\":",
	    (clock_wall_ms() - g->started) / 1000, g->requests, g->children);
	buf_add_json_str(&b, model ? model : "", model ? strlen(model) : 0);
	buf_printf(&b, ",\"sessions\":%lld,\"skills\":%lld,\"store_version\":%d}",
	    count_rows(g->db, "SELECT count(*) FROM sessions"),
	    count_rows(g->db, "SELECT count(DISTINCT name) FROM skills"), store_version());
	answer_ok(o, &b);
	buf_free(&b);
	free(model);
}

/* POST /api/v1/chat: {"message" or "prompt", "session", "model", "system", "stream"}.
 * The claw-chat request is built here from those fields alone: a client never
 * names files ("attachments") on this machine. */
static void
r_chat(struct gw *g, const struct http_req *r, const char *body, size_t n, struct gw_out *o)
{
	static const struct { const char *name; size_t max; } fields[] = {
		{ "session", 120 }, { "system", 1u << 20 } };
	struct buf text = BUF_INIT, v = BUF_INIT;
	size_t i;
	int k;

	if (want_object(body, n, o))
		return;
	if ((k = json_member_text(body, n, "message", &text)) == 0)
		k = json_member_text(body, n, "prompt", &text);
	if (k <= 0 || !text.len) {
		gw_error(o, 400, k < 0 ? "message: want a string" : "want \"message\": the text to send");
		goto out;
	}
	buf_adds(&o->arg, "{\"prompt\":");
	buf_add_json_str(&o->arg, text.p, text.len);
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		buf_reset(&v);
		if ((k = json_member_text(body, n, fields[i].name, &v)) < 0 || (k && (!v.len || v.len > fields[i].max))) {
			char m[64];
			snprintf(m, sizeof m, "%s: want a string of 1 to %zu bytes", fields[i].name, fields[i].max);
			gw_error(o, 400, m);
			goto out;
		}
		if (k) {
			buf_printf(&o->arg, ",\"%s\":", fields[i].name);
			buf_add_json_str(&o->arg, v.p, v.len);
		}
	}
	if (model_arg(body, n, o, &o->arg))
		goto out;
	buf_adds(&o->arg, "}\n");
	o->stream = member_true(body, n, "stream");
	o->job = GW_CHAT;
out:
	buf_free(&text);
	buf_free(&v);
}

/* POST /v1/chat/completions: OpenAI's request; the messages go to claw-chat as they are. */
static void
r_completions(struct gw *g, const struct http_req *r, const char *body, size_t n, struct gw_out *o)
{
	const char *m, *so;
	size_t mn, son;

	if (want_object(body, n, o))
		return;
	if (!json_member(body, n, "messages", &m, &mn) || *m != '[' || mn < 3) {
		gw_error(o, 400, "messages: want a non-empty array of {role, content}");
		return;
	}
	buf_adds(&o->arg, "{\"messages\":");
	json_compact(m, mn, &o->arg);
	if (model_arg(body, n, o, &o->arg))
		return;
	buf_adds(&o->arg, "}\n");
	o->stream = member_true(body, n, "stream");
	if (json_member(body, n, "stream_options", &so, &son) && *so == '{')
		o->usage_chunk = member_true(so, son, "include_usage");
	if (!o->name[0])
		snprintf(o->name, sizeof o->name, "claw");
	o->job = GW_COMPLETIONS;
}

static int
skill_name_ok(const char *p, size_t n)
{
	size_t i;

	if (!n || n >= 64 || *p == '.' || *p == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!(p[i] >= 'a' && p[i] <= 'z') && !(p[i] >= 'A' && p[i] <= 'Z')
		    && !(p[i] >= '0' && p[i] <= '9') && !strchr("._-", p[i]))
			return 0;
	return 1;
}

/* POST /api/v1/skills/NAME/run: the body is the arguments object (or nothing). */
static void
r_skillrun(struct gw *g, const struct http_req *r, const char *body, size_t n, struct gw_out *o)
{
	const char *name = r->path + 15;            /* after "/api/v1/skills/" */
	size_t nn = r->plen - 15 - 4;               /* before "/run" */

	if (!skill_name_ok(name, nn)) {
		gw_error(o, 404, "no such skill");
		return;
	}
	memcpy(o->name, name, nn);
	o->name[nn] = '\0';
	if (n && want_object(body, n, o))
		return;
	if (n)
		json_compact(body, n, &o->arg);
	else
		buf_adds(&o->arg, "{}");
	buf_addc(&o->arg, '\n');
	o->job = GW_SKILL;
}

typedef void route_fn(struct gw *, const struct http_req *, const char *, size_t, struct gw_out *);

static const struct route {
	const char *method, *path, *scope;
	route_fn *fn;
} routes[] = {
	{ "GET", "/healthz", NULL, r_healthz },
	{ "GET", "/v1/models", "chat", r_models },
	{ "POST", "/v1/chat/completions", "chat", r_completions },
	{ "POST", "/api/v1/chat", "chat", r_chat },
	{ "GET", "/api/v1/skills", "skills", r_skills },
	{ "POST", "/api/v1/skills/NAME/run", "skills", r_skillrun },
	{ "GET", "/api/v1/sessions", "admin", r_sessions },
	{ "GET", "/api/v1/status", "admin", r_status },
};

static int
path_is(const struct route *rt, const struct http_req *r)
{
	const char *name = strstr(rt->path, "NAME");
	size_t pre, post;

	if (!name)
		return r->plen == strlen(rt->path) && memcmp(r->path, rt->path, r->plen) == 0;
	pre = (size_t)(name - rt->path);
	post = strlen(name + 4);
	return r->plen > pre + post && memcmp(r->path, rt->path, pre) == 0
	    && memcmp(r->path + r->plen - post, name + 4, post) == 0
	    && !memchr(r->path + pre, '/', r->plen - pre - post);
}

static int
method_is(const char *m, const struct http_req *r)
{
	return r->mlen == strlen(m) && memcmp(r->method, m, r->mlen) == 0;
}

/* The route for a path, and whether the method is one it takes (HEAD with GET). */
static const struct route *
route_of(const struct http_req *r, int *method_ok)
{
	const struct route *rt = NULL;
	size_t i;

	*method_ok = 0;
	for (i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (path_is(&routes[i], r)) {
			rt = &routes[i];
			if (method_is(rt->method, r) || (method_is("HEAD", r) && strcmp(rt->method, "GET") == 0)) {
				*method_ok = 1;
				break;
			}
		}
	return rt;
}

void
gw_head(struct gw *g, const struct http_req *r)
{
	int ok;
	const struct route *rt = route_of(r, &ok);

	if (g->inetd && rt && rt->scope)
		gw_store(g);                   /* its limits apply to this body; auth needs it anyway */
}

void
gw_serve(struct gw *g, const struct http_req *r, const char *body, size_t blen, struct gw_out *o)
{
	int ok;
	const struct route *rt = route_of(r, &ok);
	char *end;

	g->requests++;
	o->close = o->close || !r->keepalive || g->inetd;
	o->http10 = r->minor == 0;
	snprintf(o->route, sizeof o->route, "%s", rt ? rt->path : "-");
	if (!rt)
		gw_error(o, 404, "no such route");
	else if (!ok) {
		char allow[48];
		snprintf(allow, sizeof allow, "Allow: %s\r\n", strcmp(rt->method, "GET") ? rt->method : "GET, HEAD");
		gw_error_extra(o, 405, "method not allowed", allow);
	} else if (!rt->scope || !authorize(g, r, rt->scope, o))
		rt->fn(g, r, body, blen, o);
	/* HEAD: the same head, errors' too, and no body. */
	if (method_is("HEAD", r) && !o->job && o->resp.p && (end = strstr(o->resp.p, "\r\n\r\n")))
		o->resp.len = (size_t)(end - o->resp.p) + 4;
}

/* --- telemetry ---
 * A row is a line "TS MS OK DETAIL".  Under start rows wait in memory and are
 * written once a second in one transaction.  Under inetd a request that never
 * opened the store (a /healthz) appends its row to a spool file instead: opening
 * SQLite would cost more than the whole answer.  The spool is moved into the
 * store by the next gateway that has the store open anyway, or once it grows. */

#define GW_MAXPENDING 8192
#define SPOOL_INGEST (64u << 10)
#define SPOOL_MAX (16u << 20)

static void
row(struct buf *b, const char *method, const char *route, int status, long long ms, const char *peer)
{
	buf_printf(b, "%lld %lld %d {\"method\":", clock_wall_ms(), ms, status < 500);
	buf_add_json_str(b, method, strlen(method));
	buf_adds(b, ",\"route\":");
	buf_add_json_str(b, route, strlen(route));
	buf_printf(b, ",\"status\":%d,\"peer\":", status);
	buf_add_json_str(b, peer ? peer : "-", peer ? strlen(peer) : 1);
	buf_adds(b, "}\n");
}

/* Rows into the events table, one transaction; lines that do not parse are
 * skipped (a spool cut short by a full disk).  0, or -1 when the store said no. */
static int
insert_rows(sqlite3 *db, char *p, size_t n)
{
	sqlite3_stmt *st;
	char *end = p + n, *nl, why[8];
	int rc = 0;

	if (store_begin_write(db))
		return -1;
	if (store_prepare(db, &st,
	    "INSERT INTO events(ts, program, kind, ms, ok, detail) VALUES(?, 'claw-gateway', 'request', ?, ?, ?)")) {
		store_rollback(db);
		return -1;
	}
	for (; p < end && (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1) {
		long long ts, ms;
		int ok, off = 0;
		*nl = '\0';
		if (sscanf(p, "%lld %lld %d %n", &ts, &ms, &ok, &off) != 3 || !off
		    || !json_valid(p + off, strlen(p + off), why, sizeof why)) {
			*nl = '\n';
			continue;
		}
		sqlite3_bind_int64(st, 1, ts);
		sqlite3_bind_int64(st, 2, ms);
		sqlite3_bind_int(st, 3, ok != 0);
		sqlite3_bind_text(st, 4, p + off, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
		sqlite3_reset(st);
		*nl = '\n';
		if (rc)
			break;
	}
	sqlite3_finalize(st);
	if (rc || store_commit(db)) {
		store_rollback(db);
		return -1;
	}
	return 0;
}

static int
spool_open(int flags)
{
	char path[4096];
	int fd;

	if (path_in_home(path, sizeof path, "run/gateway.spool"))
		return -1;
	if ((fd = open(path, flags | O_CLOEXEC, 0600)) < 0 && errno == ENOENT && (flags & O_CREAT)
	    && path_mkhome("run") == 0)
		fd = open(path, flags | O_CLOEXEC, 0600);
	return fd;
}

/* Move the spool into the store: under an exclusive lock, so no row is
 * appended between reading it and emptying it. */
static void
spool_ingest(struct gw *g)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	ssize_t n;
	int fd;

	if (gw_store(g) || (fd = spool_open(O_RDWR)) < 0)
		return;
	if (flock(fd, LOCK_EX) == 0) {
		while ((n = read(fd, chunk, sizeof chunk)) > 0 && b.len < SPOOL_MAX)
			buf_add(&b, chunk, (size_t)n);
		if (!b.oom && (!b.len || insert_rows(g->db, b.p, b.len) == 0))
			(void)!ftruncate(fd, 0);
	}
	close(fd);
	buf_free(&b);
}

static void
spool_append(struct gw *g, const struct buf *line)
{
	struct stat st;
	int fd = spool_open(O_WRONLY | O_APPEND | O_CREAT), big;

	if (fd < 0)
		return;
	flock(fd, LOCK_SH);                /* appends share; only ingesting excludes */
	(void)!write(fd, line->p, line->len);
	big = fstat(fd, &st) == 0 && st.st_size >= (off_t)SPOOL_INGEST;
	close(fd);
	if (big)
		spool_ingest(g);
}

void
gw_record(struct gw *g, const char *method, const char *route, int status, long long ms,
    const char *peer)
{
	struct buf line = BUF_INIT;

	row(&line, method, route, status, ms, peer);
	if (line.oom)
		goto out;
	if (g->inetd && !g->db) {
		spool_append(g, &line);
		goto out;
	}
	/* Too many waiting (the store has been locked for long): the oldest half
	 * goes, and the log says so. */
	if (g->nevents >= GW_MAXPENDING) {
		size_t half = 0, k;
		for (k = 0; k < g->nevents / 2; k++)
			half = (size_t)((char *)memchr(g->events.p + half, '\n', g->events.len - half) - g->events.p) + 1;
		buf_consume(&g->events, half);
		g->nevents -= k;
		fprintf(stderr, "claw-gateway: the store is busy: %zu telemetry rows dropped\n", k);
	}
	buf_add(&g->events, line.p, line.len);
	g->nevents++;
	if (g->inetd)
		gw_flush(g, 1);
out:
	buf_free(&line);
}

void
gw_flush(struct gw *g, int force)
{
	long long now = clock_mono_ms();
	struct stat st;
	int fd;

	if (g->inetd && !g->db)
		return;                        /* it spools; the store is not worth opening */
	if (!force && now - g->flushed < 1000 && g->nevents < 512)
		return;
	g->flushed = now;
	g->spooled = 0;
	if ((fd = spool_open(O_RDONLY)) >= 0) {      /* older rows first */
		if (fstat(fd, &st) == 0 && st.st_size > 0)
			spool_ingest(g);
		close(fd);
	}
	if (g->nevents && gw_store(g) == 0 && insert_rows(g->db, g->events.p, g->events.len) == 0) {
		buf_reset(&g->events);
		g->nevents = 0;
	}
}

/* --- jobs: claw-chat and claw-skill as children --- */

static int
put(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w, n -= (size_t)w;
	}
	return 0;
}

static int
status_of(long code)
{
	switch (code) {
	case EX_USAGE: case EX_DATAERR: return 400;
	case EX_NOINPUT: return 404;
	case EX_NOPERM: case EX_UNAVAILABLE: return 502;
	case EX_TEMPFAIL: return 503;
	default: return 500;
	}
}

struct chat {
	struct gw_out *o;
	int out;
	int started;                  /* the 200 and its head went out */
	int gone;                     /* the client went away */
	int status;
	struct buf message, error;    /* the last message and error events */
	char id[40];
	long long created;
};

static long long
event_num(const char *ev, size_t n, const char *k1, const char *k2)
{
	const char *v;
	size_t vn;

	if (!json_member(ev, n, k1, &v, &vn) || (k2 && !json_member(v, vn, k2, &v, &vn)))
		return 0;
	return strtoll(v, NULL, 10);
}

static void
chunk_start(struct chat *c, struct buf *b)
{
	buf_printf(b, "data: {\"id\":\"%s\",\"object\":\"chat.completion.chunk\",\"created\":%lld,\"model\":",
	    c->id, c->created);
	buf_add_json_str(b, c->o->name, strlen(c->o->name));
	buf_adds(b, ",\"choices\":[");
}

static void
send_or_gone(struct chat *c, struct buf *b)
{
	if (!c->gone && !b->oom && put(c->out, b->p, b->len))
		c->gone = 1;
}

/* The first event that is not an error opens the stream; an error before it
 * becomes an ordinary error answer with its proper status. */
static void
chat_event(struct chat *c, const char *ev, size_t n)
{
	struct buf b = BUF_INIT, t = BUF_INIT;
	char type[24];

	if (!json_member_str(ev, n, "type", type, sizeof type))
		return;
	if (strcmp(type, "message") == 0) {
		buf_reset(&c->message);
		buf_add(&c->message, ev, n);
	} else if (strcmp(type, "error") == 0) {
		buf_reset(&c->error);
		buf_add(&c->error, ev, n);
	}
	if (!c->o->stream || (!c->started && strcmp(type, "error") == 0))
		return;
	if (!c->started) {
		head(&b, 200, "text/event-stream", -1, 1, "X-Accel-Buffering: no\r\n");
		if (c->o->job == GW_COMPLETIONS) {
			chunk_start(c, &b);
			buf_adds(&b, "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n");
		}
		c->started = 1;
		c->status = 200;
	}
	if (c->o->job == GW_CHAT) {
		buf_adds(&b, "data: ");
		buf_add(&b, ev, n);
		buf_adds(&b, "\n\n");
	} else if (strcmp(type, "delta") == 0 || strcmp(type, "reasoning") == 0) {
		json_member_text(ev, n, "text", &t);
		chunk_start(c, &b);
		buf_adds(&b, strcmp(type, "delta") == 0 ? "{\"index\":0,\"delta\":{\"content\":"
		    : "{\"index\":0,\"delta\":{\"reasoning_content\":");
		buf_add_json_str(&b, t.p ? t.p : "", t.len);
		buf_adds(&b, "},\"finish_reason\":null}]}\n\n");
	} else if (strcmp(type, "message") == 0) {
		long long in = event_num(ev, n, "usage", "in"), out = event_num(ev, n, "usage", "out");
		chunk_start(c, &b);
		buf_adds(&b, "{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
		if (c->o->usage_chunk) {
			chunk_start(c, &b);
			buf_printf(&b, "],\"usage\":{\"prompt_tokens\":%lld,\"completion_tokens\":%lld,\"total_tokens\":%lld}}\n\n",
			    in, out, in + out);
		}
		buf_adds(&b, "data: [DONE]\n\n");
	} else if (strcmp(type, "error") == 0) {
		json_member_text(ev, n, "message", &t);
		buf_adds(&b, "data: ");
		error_body(&b, status_of(event_num(ev, n, "code", NULL)), t.p ? t.p : "error");
		buf_adds(&b, "\n\n");
	}
	send_or_gone(c, &b);
	buf_free(&b);
	buf_free(&t);
}

/* The answer of a turn that did not stream. */
static void
chat_answer(struct chat *c)
{
	struct gw_out *o = c->o;
	struct buf b = BUF_INIT, t = BUF_INIT;
	const char *ev = c->message.p;
	size_t n = c->message.len;
	long long in, out;

	if (!n) {
		long long code = c->error.len ? event_num(c->error.p, c->error.len, "code", NULL) : EX_SOFTWARE;
		if (c->error.len)
			json_member_text(c->error.p, c->error.len, "message", &t);
		o->close = 1;
		gw_error_extra(o, status_of(code), t.len ? t.p : "claw-chat gave no answer",
		    code == EX_TEMPFAIL ? "Retry-After: 1\r\n" : NULL);
		buf_free(&t);
		return;
	}
	in = event_num(ev, n, "usage", "in");
	out = event_num(ev, n, "usage", "out");
	json_member_text(ev, n, "text", &t);
	if (o->job == GW_CHAT) {
		buf_adds(&b, "{\"reply\":");
		buf_add_json_str(&b, t.p ? t.p : "", t.len);
		buf_reset(&t);
		json_member_text(ev, n, "session", &t);
		buf_adds(&b, ",\"session\":");
		buf_add_json_str(&b, t.p ? t.p : "", t.len);
		buf_reset(&t);
		json_member_text(ev, n, "model", &t);
		buf_adds(&b, ",\"model\":");
		buf_add_json_str(&b, t.p ? t.p : "", t.len);
		buf_printf(&b, ",\"usage\":{\"in\":%lld,\"out\":%lld}}", in, out);
	} else {
		buf_printf(&b, "{\"id\":\"%s\",\"object\":\"chat.completion\",\"created\":%lld,\"model\":", c->id, c->created);
		buf_add_json_str(&b, o->name, strlen(o->name));
		buf_adds(&b, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
		buf_add_json_str(&b, t.p ? t.p : "", t.len);
		buf_printf(&b, "},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":%lld,"
		    "\"completion_tokens\":%lld,\"total_tokens\":%lld}}", in, out, in + out);
	}
	o->close = 1;
	answer_ok(o, &b);
	buf_free(&b);
	buf_free(&t);
}

static int
job_chat(struct gw *g, struct gw_out *o, int out)
{
	char prog[4096], chunk[16384];
	char *argv[] = { prog, "--requests", NULL };
	struct chat c = { o, out, 0, 0, 0, BUF_INIT, BUF_INIT, "", 0 };
	struct buf line = BUF_INIT;
	unsigned char rnd[12];
	struct proc p;
	size_t i;
	int rc;

	randombytes_buf(rnd, sizeof rnd);
	memcpy(c.id, "chatcmpl-", 9);
	for (i = 0; i < sizeof rnd; i++)
		snprintf(c.id + 9 + 2 * i, 3, "%02x", rnd[i]);
	c.created = clock_wall_ms() / 1000;
	if (path_find_prog("claw-chat", prog, sizeof prog) < 0 || proc_spawn(&p, argv, NULL)) {
		gw_error(o, 503, "claw-chat is not installed");
		goto send;
	}
	(void)put(p.in, o->arg.p, o->arg.len);   /* if it died at once, its exit says why */
	close(p.in);
	p.in = -1;
	for (;;) {
		struct pollfd fd = { p.out, POLLIN, 0 };
		ssize_t n;
		char *nl;
		/* A client that hung up shows when a write fails: a quiet stream
		 * sends a comment now and then to find out. */
		int r = poll(&fd, 1, c.started ? SSE_KEEPALIVE_MS : -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && put(out, ": keep-alive\n\n", 14))
			c.gone = 1;
		if (c.gone)
			break;
		if (r <= 0)
			continue;
		if ((n = read(p.out, chunk, sizeof chunk)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_add(&line, chunk, (size_t)n);
		while ((nl = memchr(line.p, '\n', line.len))) {
			chat_event(&c, line.p, (size_t)(nl - line.p));
			buf_consume(&line, (size_t)(nl - line.p) + 1);
		}
		if (line.len > (8u << 20)) {
			c.gone = c.started;
			break;
		}
	}
	if (c.gone || line.len > (8u << 20))
		kill(-p.pid, SIGTERM);         /* claw-chat keeps what it has and exits */
	rc = proc_wait(&p, c.gone ? 3000 : 30000);
	if (!c.message.len && !c.error.len && !c.gone) {
		char m[96];
		snprintf(m, sizeof m, "claw-chat ended without an answer (status %d)", rc);
		buf_printf(&c.error, "{\"type\":\"error\",\"code\":70,\"message\":\"%s\"}", m);
		if (c.started) {
			c.o->stream = 1;
			chat_event(&c, c.error.p, c.error.len);
		}
	}
	if (!c.started && !c.gone)
		chat_answer(&c);
send:
	if (!c.started && !c.gone && o->resp.len && put(out, o->resp.p, o->resp.len))
		c.gone = 1;
	o->status = c.gone ? 0 : c.started ? 200 : o->status;
	buf_free(&c.message);
	buf_free(&c.error);
	buf_free(&line);
	return o->status;
}

static int
job_skill(struct gw *g, struct gw_out *o, int out)
{
	char prog[4096];
	char *argv[] = { prog, "run", o->name, NULL };
	struct buf res = BUF_INIT, b = BUF_INIT, t = BUF_INIT, err = BUF_INIT;
	const char *p, *nl;
	int rc, first = 1, status;

	if (path_find_prog("claw-skill", prog, sizeof prog) < 0) {
		gw_error(o, 503, "claw-skill is not installed");
		goto send;
	}
	rc = proc_run(argv, NULL, o->arg.p, o->arg.len, &res, JOB_MAXOUT, -1);
	buf_adds(&b, "{\"skill\":");
	buf_add_json_str(&b, o->name, strlen(o->name));
	buf_adds(&b, ",\"events\":[");
	for (p = res.p; p && *p; p = nl + 1) {
		char type[16], why[64];
		if (!(nl = strchr(p, '\n')))
			break;
		if (nl == p || !json_valid(p, (size_t)(nl - p), why, sizeof why))
			continue;
		if (!first)
			buf_addc(&b, ',');
		buf_add(&b, p, (size_t)(nl - p));
		first = 0;
		if (json_member_str(p, (size_t)(nl - p), "type", type, sizeof type)) {
			if (strcmp(type, "result") == 0)
				buf_reset(&t), json_member_text(p, (size_t)(nl - p), "text", &t);
			else if (strcmp(type, "error") == 0)
				buf_reset(&err), json_member_text(p, (size_t)(nl - p), "message", &err);
		}
	}
	buf_adds(&b, "],\"result\":");
	if (t.p)
		buf_add_json_str(&b, t.p, t.len);
	else
		buf_adds(&b, "null");
	buf_addc(&b, '}');
	/* The body was checked before: a data error now is the skill refusing its arguments. */
	status = rc == 0 ? 200 : rc == EX_NOINPUT ? 404 : rc == EX_NOPERM ? 403 : rc == EX_TEMPFAIL ? 504
	    : rc == EX_USAGE ? 400 : rc == EX_UNAVAILABLE ? 503 : rc == EX_NORESULT || rc == EX_DATAERR ? 422 : 500;
	o->close = 1;
	if (status == 200 && !b.oom)
		answer_ok(o, &b);
	else if (status == 200)
		gw_error(o, 500, "out of memory");
	else {
		char m[64];
		snprintf(m, sizeof m, "claw-skill run ended with status %d", rc);
		gw_error(o, status, err.len ? err.p : m);
	}
send:
	buf_free(&res); buf_free(&b); buf_free(&t); buf_free(&err);
	return put(out, o->resp.p, o->resp.len) ? 0 : o->status;
}

int
gw_job(struct gw *g, struct gw_out *o, int in, int out)
{
	return o->job == GW_SKILL ? job_skill(g, o, out) : job_chat(g, o, out);
}
