/* route: the routes table, what each route reads from its request and answers;
 * chat and skill runs only become a job here (job.c runs them).  Request bodies
 * are read with base/json.c, never libjq. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/record.h"
#include "gateway/auth.h"
#include "gateway/channel_hook.h"
#include "gateway/convo.h"
#include "gateway/metrics.h"
#include "gateway/reply.h"
#include "gateway/route.h"
#include "skill/index.h"
#include "skill/skillmd.h"
#include "store/config.h"
#include "store/sessions.h"
#include "store/store.h"

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

/* Each provider of a chain must be one the gateway knows: else the client named
 * a model that is not there, which is the client's mistake, not the owner's. */
static int
chain_known(struct gw *g, const char *chain, struct gw_out *o)
{
	const char *p, *end;
	char key[160], m[200];

	for (p = chain; *p; p = *end ? end + 1 : end) {
		char *v = NULL;
		int rc;
		end = p + strcspn(p, ",");
		snprintf(key, sizeof key, "providers.%.*s.base_url",
		    (int)strcspn(p, "/"), p);
		rc = config_get(g->db, key, &v, NULL);
		free(v);
		if (rc == EX_NORESULT) {
			snprintf(m, sizeof m, "no such model: %.*s", (int)(end - p), p);
			gw_error(o, 404, m);
			return -1;
		}
	}
	return 0;
}

/* A model as the client names it: "", "claw" or "default" mean the configured
 * chain.  o->name is what the answer reports until the one that answered is
 * known: the client's, else the chain's first. */
static int
model_arg(struct gw *g, const char *body, size_t n, struct gw_out *o, struct buf *req)
{
	struct buf m = BUF_INIT;
	char *chain = NULL;
	int r = json_member_text(body, n, "model", &m);

	if (r < 0) {
		gw_error(o, 400, "model: want a string");
		return -1;
	}
	gw_store(g);
	if (r > 0 && m.len && strcmp(m.p, "claw") && strcmp(m.p, "default")) {
		if (config_check("model", m.p)) {
			gw_error(o, 400, "model: want provider/model[,provider/model…]");
			buf_free(&m);
			return -1;
		}
		if (chain_known(g, m.p, o)) {
			buf_free(&m);
			return -1;
		}
		buf_adds(req, ",\"model\":");
		buf_add_json_str(req, m.p, m.len);
		snprintf(o->name, sizeof o->name, "%.*s", (int)strcspn(m.p, ","), m.p);
	} else if (config_get(g->db, "model", &chain, NULL) == 0 && chain)
		snprintf(o->name, sizeof o->name, "%.*s", (int)strcspn(chain, ","), chain);
	free(chain);
	buf_free(&m);
	return 0;
}

static void
r_healthz(struct gw *g, const struct http_req *r, const char *body, size_t n, struct gw_out *o)
{
	gw_answer(o, 200, "{\"ok\":true}", 11, NULL);
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
	gw_answer_ok(o, &b);
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
	gw_answer_ok(o, &b);
	buf_free(&b);
	skills_free(&all);
}

struct listing {
	struct buf b;
	size_t n;
};

static int
session_json(const struct session_row *s, void *ctx)
{
	struct listing *l = ctx;
	struct buf *b = &l->b;

	buf_adds(b, l->n++ ? ",{\"name\":" : "{\"name\":");
	buf_add_json_str(b, s->name, strlen(s->name));
	buf_printf(b, ",\"created\":%lld,\"updated\":%lld,\"messages\":%lld,\"tokens\":%lld}",
	    s->created, s->updated, s->messages, s->tokens);
	return 0;
}

static void
r_sessions(struct gw *g, const struct http_req *r, const char *body, size_t n, struct gw_out *o)
{
	struct listing l = { BUF_INIT, 0 };

	buf_adds(&l.b, "{\"sessions\":[");
	if (gw_store(g) || sessions_each(g->db, session_json, &l))
		gw_error(o, 500, err_msg());
	else {
		buf_adds(&l.b, "]}");
		gw_answer_ok(o, &l.b);
	}
	buf_free(&l.b);
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
	buf_printf(&b, "{\"version\":\"%s\",\"pid\":%ld,\"mode\":\"%s\",\"listen\":",
	    CLAW_VERSION, (long)getpid(),
	    g->inetd ? "inetd" : "start");
	if (g->listen)
		buf_add_json_str(&b, g->listen, strlen(g->listen));
	else
		buf_adds(&b, "null");
	buf_printf(&b, ",\"uptime_s\":%lld,\"requests\":%lld,\"children\":%d,\"model\":",
	    (clock_wall_ms() - g->started) / 1000, g->requests, g->children);
	buf_add_json_str(&b, model ? model : "", model ? strlen(model) : 0);
	buf_printf(&b, ",\"sessions\":%lld,\"skills\":%lld,\"store_version\":%d}",
	    sessions_count(g->db),
	    store_int(g->db, "SELECT count(DISTINCT name) FROM skills", "skills"), store_version());
	gw_answer_ok(o, &b);
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
		gw_error(o, 400, k < 0 ? "message: want a string"
		    : "want \"message\": the text to send");
		goto out;
	}
	buf_adds(&o->arg, "{\"prompt\":");
	buf_add_json_str(&o->arg, text.p, text.len);
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		buf_reset(&v);
		if ((k = json_member_text(body, n, fields[i].name, &v)) < 0
		    || (k && (!v.len || v.len > fields[i].max))) {
			char m[64];
			snprintf(m, sizeof m, "%s: want a string of 1 to %zu bytes", fields[i].name,
			    fields[i].max);
			gw_error(o, 400, m);
			goto out;
		}
		if (k) {
			buf_printf(&o->arg, ",\"%s\":", fields[i].name);
			buf_add_json_str(&o->arg, v.p, v.len);
		}
	}
	if (model_arg(g, body, n, o, &o->arg))
		goto out;
	buf_adds(&o->arg, "}\n");
	o->stream = member_true(body, n, "stream");
	o->job = GW_CHAT;
out:
	buf_free(&text);
	buf_free(&v);
}

/* POST /v1/chat/completions: OpenAI's request; the messages go to claw-chat as
 * convo.c makes them (developer as system, images as attachments). */
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
	buf_addc(&o->arg, '{');
	if (gw_convo(m, mn, "messages", 0, &o->arg, o))
		return;
	if (model_arg(g, body, n, o, &o->arg))
		return;
	buf_adds(&o->arg, "}\n");
	o->stream = member_true(body, n, "stream");
	if (json_member(body, n, "stream_options", &so, &son) && *so == '{')
		o->usage_chunk = member_true(so, son, "include_usage");
	o->job = GW_COMPLETIONS;
}

/* A Responses id is resp_ + the conversation's key (24 hex digits, its session
 * resp-KEY) + 8 of its own: the key of id, or 0 when it is not one. */
static int
response_key(const char *id, size_t n, char key[25])
{
	if (n != 5 + 24 + 8 || memcmp(id, "resp_", 5) || strspn(id + 5, "0123456789abcdef") != 32)
		return 0;
	memcpy(key, id + 5, 24);
	key[24] = '\0';
	return 1;
}

static int
session_exists(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	int found = 0;

	if (store_prepare(db, &st, "SELECT 1 FROM sessions WHERE name = ?1"))
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* POST /v1/responses: OpenAI's Responses API, the part a chat needs — input (a
 * string or message items), instructions, model, stream, previous_response_id.
 * Each conversation is a claw-chat session, resp-KEY; previous_response_id
 * goes on with it, its new input as the next user turn. */
static void
r_responses(struct gw *g, const struct http_req *r, const char *body, size_t n, struct gw_out *o)
{
	struct buf items = BUF_INIT, instr = BUF_INIT, prev = BUF_INIT;
	unsigned char rnd[16];
	const char *in;
	size_t inn, i;
	char key[25], sess[40];
	int k = 0, flat;

	if (want_object(body, n, o))
		return;
	if (!json_member(body, n, "input", &in, &inn) || (*in != '"' && *in != '[')) {
		gw_error(o, 400, "input: want a string or an array of messages");
		return;
	}
	if (json_member_text(body, n, "instructions", &instr) < 0
	    || (k = json_member_text(body, n, "previous_response_id", &prev)) < 0) {
		gw_error(o, 400, k < 0 ? "previous_response_id: want a string"
		    : "instructions: want a string");
		goto out;
	}
	randombytes_buf(rnd, sizeof rnd);
	for (i = 0; i < 12; i++)
		snprintf(key + 2 * i, 3, "%02x", rnd[i]);
	if ((flat = k > 0)) {
		if (!response_key(prev.p, prev.len, key) || gw_store(g)
		    || (snprintf(sess, sizeof sess, "resp-%s", key), session_exists(g->db, sess))
		    <= 0) {
			char m[120];
			snprintf(m, sizeof m, "previous_response_id: no such response: %.60s",
			    prev.p);
			gw_error(o, 404, m);
			goto out;
		}
	}
	snprintf(sess, sizeof sess, "resp-%s", key);
	snprintf(o->id, sizeof o->id, "resp_%s", key);
	for (i = 12; i < 16; i++)
		snprintf(o->id + 5 + 24 + 2 * (i - 12), 3, "%02x", rnd[i]);
	/* One array of items: the instructions as a developer message first. */
	buf_addc(&items, '[');
	if (instr.len) {
		buf_adds(&items, "{\"role\":\"developer\",\"content\":");
		buf_add_json_str(&items, instr.p, instr.len);
		buf_addc(&items, '}');
	}
	if (*in == '"') {
		if (instr.len)
			buf_addc(&items, ',');
		buf_adds(&items, "{\"role\":\"user\",\"content\":");
		buf_add(&items, in, inn);
		buf_addc(&items, '}');
	} else {
		const char *p = in + 1, *e = in + inn - 1;
		while (p < e && strchr(" \t\r\n", *p))
			p++;
		if (p < e && instr.len)
			buf_addc(&items, ',');
		buf_add(&items, p, (size_t)(e - p));
	}
	buf_addc(&items, ']');
	buf_adds(&o->arg, "{\"session\":");
	buf_add_json_str(&o->arg, sess, strlen(sess));
	if (gw_convo(items.p, items.len, "input", flat, &o->arg, o)
	    || model_arg(g, body, n, o, &o->arg))
		goto out;
	buf_adds(&o->arg, "}\n");
	o->stream = member_true(body, n, "stream");
	o->job = GW_RESPONSES;
out:
	buf_free(&items);
	buf_free(&instr);
	buf_free(&prev);
}

/* POST /api/v1/skills/NAME/run: the body is the arguments object (or nothing). */
static void
r_skillrun(struct gw *g, const struct http_req *r, const char *body, size_t n, struct gw_out *o)
{
	const char *name = r->path + 15;            /* after "/api/v1/skills/" */
	size_t nn = r->plen - 15 - 4;               /* before "/run" */

	if (!skill_name_valid(name, nn)) {     /* upper case too: no skill is named so */
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
	{ "POST", "/v1/responses", "chat", r_responses },
	{ "POST", "/api/v1/chat", "chat", r_chat },
	{ "GET", "/api/v1/skills", "skills", r_skills },
	{ "POST", "/api/v1/skills/NAME/run", "skills", r_skillrun },
	{ "GET", "/api/v1/sessions", "admin", r_sessions },
	{ "GET", "/api/v1/status", "admin", r_status },
	{ "GET", "/metrics", "admin", gw_metrics },      /* monitor: claw-monitor export */
	/* the services' webhooks: their own signature or secret header, no JWT */
	{ "POST", "/channels/telegram/webhook", NULL, gw_hook_telegram },
	{ "POST", "/channels/whatsapp/webhook", NULL, gw_hook_whatsapp },
	{ "GET", "/channels/whatsapp/webhook", NULL, gw_hook_verify },
	{ "POST", "/channels/discord/interactions", NULL, gw_hook_discord },
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
			if (method_is(rt->method, r)
			    || (method_is("HEAD", r) && strcmp(rt->method, "GET") == 0)) {
				*method_ok = 1;
				break;
			}
		}
	return rt;
}

/* libsodium, started by the first request that needs it: sodium_init() costs a
 * health check under inetd a quarter of its run (CPU feature probes, getrandom). */
static int
crypto_ready(struct gw_out *o)
{
	if (sodium_init() >= 0)
		return 1;
	gw_error(o, 500, "libsodium cannot start");
	return 0;
}

/* What every answer to r says of the connection, and the route it logs. */
static void
begin(struct gw *g, const struct http_req *r, const struct route *rt, struct gw_out *o)
{
	g->requests++;
	o->close = o->close || !r->keepalive || g->inetd;
	o->http10 = r->minor == 0;
	snprintf(o->route, sizeof o->route, "%s", rt ? rt->path : "-");
}

/* HEAD: the same head, errors' too, and no body. */
static void
head_only(const struct http_req *r, struct gw_out *o)
{
	char *end;

	if (method_is("HEAD", r) && !o->job && o->resp.p && (end = strstr(o->resp.p, "\r\n\r\n")))
		o->resp.len = (size_t)(end - o->resp.p) + 4;
}

int
gw_route_head(struct gw *g, const struct http_req *r, struct gw_out *o)
{
	int ok;
	const struct route *rt = route_of(r, &ok);

	if (!rt || !ok || !rt->scope)
		return 0;
	if (!crypto_ready(o))
		return -1;
	if (g->inetd)
		gw_store(g);           /* its limits apply to this body; auth needs it anyway */
	if (!gw_authorize(g, r, rt->scope, o))
		return 0;
	begin(g, r, rt, o);
	head_only(r, o);
	return -1;
}

void
gw_serve(struct gw *g, const struct http_req *r, const char *body, size_t blen, struct gw_out *o)
{
	int ok;
	const struct route *rt = route_of(r, &ok);

	begin(g, r, rt, o);
	if (!rt)
		gw_error(o, 404, "no such route");
	else if (!ok) {
		char allow[48];
		snprintf(allow, sizeof allow, "Allow: %s\r\n",
		    strcmp(rt->method, "GET") ? rt->method : "GET, HEAD");
		gw_error_extra(o, 405, "method not allowed", allow);
	} else if (rt->fn == r_healthz || crypto_ready(o))
		rt->fn(g, r, body, blen, o);   /* a token it needs passed gw_route_head */
	if (o->job == GW_CHILD)
		o->head = method_is("HEAD", r);
	else if (o->job && o->job != GW_SKILL && o->arg.len > RECORD_MAXLINE) {
		char m[96];
		o->job = 0;                /* claw-chat would refuse the line */
		snprintf(m, sizeof m, "request too large: a turn is at most %u bytes of JSON,"
		    " images included", RECORD_MAXLINE);
		gw_error(o, 413, m);
	}
	head_only(r, o);
}
