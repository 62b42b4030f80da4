/* discord: the Discord connector (REFERENCE.md §2) — interactions (/ask) and Gateway
 * MESSAGE_CREATE messages into chan_msg, answers by REST or the interaction's webhook. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "channel/chan.h"
#include "channel/discord.h"
#include "channel/jpath.h"

#define DC_ANSWER_MAX (1u << 20)
/* The $url of the User-Agent Discord asks for: the project's page (it is not checked). */
#define DC_URL "https://claw.example.org"

/* A bot token's first part is the bot's user id in base64: mentions need it. */
void
dc_botid(struct chan *c)
{
	unsigned char id[32];
	size_t n = 0, l;

	if (c->botid[0] || !c->token || !(l = strcspn(c->token, ".")) || l > 40)
		return;
	if (sodium_base642bin(id, sizeof id - 1, c->token, l, NULL, &n, NULL,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0
	    && sodium_base642bin(id, sizeof id - 1, c->token, l, NULL, &n, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		return;
	id[n] = '\0';
	if (n && strspn((char *)id, "0123456789") == n)
		snprintf(c->botid, sizeof c->botid, "%s", (char *)id);
}

static int
is_true(const char *p, size_t n, const char *path)
{
	const char *v;
	size_t vn;

	return jp_get(p, n, path, &v, &vn) && vn == 4 && memcmp(v, "true", 4) == 0;
}

static void
attachments(const char *msg, size_t n, struct chan_msg *m)
{
	const char *v, *a;
	size_t vn, an, off = 0;
	char url[1024], mime[128], fname[256];
	long long size;

	if (!jp_get(msg, n, "attachments", &v, &vn) || *v != '[')
		return;
	while (json_array_next(v, vn, &off, &a, &an)) {
		if (*a != '{' || !jp_str(a, an, "url", url, sizeof url))
			continue;
		if (!jp_str(a, an, "content_type", mime, sizeof mime))
			snprintf(mime, sizeof mime, "application/octet-stream");
		size = 0;
		jp_int(a, an, "size", &size);
		fname[0] = '\0';
		jp_str(a, an, "filename", fname, sizeof fname);
		buf_adds(&m->media, m->media.len ? ",{\"kind\":" : "[{\"kind\":");
		buf_adds(&m->media, strncmp(mime, "image/", 6) == 0 ? "\"photo\""
		    : strncmp(mime, "audio/", 6) == 0 ? "\"voice\"" : "\"document\"");
		buf_adds(&m->media, ",\"id\":");
		buf_add_json_str(&m->media, url, strlen(url));
		buf_adds(&m->media, ",\"mime\":");
		buf_add_json_str(&m->media, mime, strlen(mime));
		buf_printf(&m->media, ",\"size\":%lld,\"name\":", size);
		buf_add_json_str(&m->media, fname, strlen(fname));
		buf_addc(&m->media, '}');
	}
	if (m->media.len)
		buf_addc(&m->media, ']');
}

/* A Message object (the d of a MESSAGE_CREATE dispatch). */
static int
message(struct chan *c, const char *p, size_t n, struct chan_msg *m)
{
	const char *v;
	size_t vn;
	char id[32], ref[32], pat[40];

	if (!jp_str(p, n, "id", id, sizeof id) || !id[0]
	    || !jp_str(p, n, "channel_id", m->peer, sizeof m->peer)
	    || !jp_str(p, n, "author.id", m->sender, sizeof m->sender))
		return err_set(EX_DATAERR, "discord: a message without id, channel or author");
	snprintf(m->ext, sizeof m->ext, "m:%s", id);
	snprintf(m->msgid, sizeof m->msgid, "%s", id);
	if (!jp_str(p, n, "author.global_name", m->name, sizeof m->name) || !m->name[0])
		jp_str(p, n, "author.username", m->name, sizeof m->name);
	if (n > CHAN_UPDATE_MAX) {
		m->oversized = 1;
		return 0;
	}
	m->group = jp_get(p, n, "guild_id", &v, &vn) && *v == '"';
	jp_text(p, n, "content", &m->text);
	attachments(p, n, m);
	dc_botid(c);
	snprintf(pat, sizeof pat, "<@%s>", c->botid);
	m->addressed = !m->group || (c->botid[0] && m->text.p && (strstr(m->text.p, pat)
	    || (snprintf(pat, sizeof pat, "<@!%s>", c->botid), strstr(m->text.p, pat))))
	    || (c->botid[0] && jp_str(p, n, "referenced_message.author.id", ref, sizeof ref)
	    && strcmp(ref, c->botid) == 0);
	if (is_true(p, n, "author.bot") || (c->botid[0] && strcmp(m->sender, c->botid) == 0))
		m->skip = 1;          /* never talk to bots, ourselves included */
	return 0;
}

/* An Interaction: /ask's text; other commands and kinds stored, not answered. */
static int
interaction(struct chan *c, const char *p, size_t n, struct chan_msg *m)
{
	char id[32], app[32], tok[256], name[64], oname[64];
	const char *v, *o;
	size_t vn, on, off = 0;
	long long type;

	(void)c;
	if (!jp_str(p, n, "id", id, sizeof id) || !id[0] || !jp_int(p, n, "type", &type)
	    || !jp_str(p, n, "application_id", app, sizeof app)
	    || !jp_str(p, n, "token", tok, sizeof tok) || !tok[0]
	    || strspn(app, "0123456789") != strlen(app)
	    || strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.")
	    != strlen(tok))
		return err_set(EX_DATAERR, "discord: an interaction without id, application or"
		    " token");
	snprintf(m->ext, sizeof m->ext, "i:%s", id);
	snprintf(m->msgid, sizeof m->msgid, "ix:%s/%s", app, tok);
	jp_str(p, n, "channel_id", m->peer, sizeof m->peer);
	if (!jp_str(p, n, "member.user.id", m->sender, sizeof m->sender) || !m->sender[0])
		jp_str(p, n, "user.id", m->sender, sizeof m->sender);
	if (!jp_str(p, n, "member.user.username", m->name, sizeof m->name) || !m->name[0])
		jp_str(p, n, "user.username", m->name, sizeof m->name);
	m->group = jp_get(p, n, "guild_id", &v, &vn) && *v == '"';
	m->addressed = 1;             /* a command is always to us */
	name[0] = '\0';
	jp_str(p, n, "data.name", name, sizeof name);
	if (type != 2 || strcmp(name, "ask") || !m->peer[0] || !m->sender[0]) {
		m->skip = 1;
		return 0;
	}
	if (jp_get(p, n, "data.options", &v, &vn) && *v == '[')
		while (json_array_next(v, vn, &off, &o, &on))
			if (*o == '{' && jp_str(o, on, "name", oname, sizeof oname)) {
				jp_text(o, on, "value", &m->text);
				break;
			}
	return 0;
}

/* An Interaction object, or a Message object from the Gateway. */
static int
dc_parse(struct chan *c, const char *body, size_t n, chan_msg_fn *fn, void *ctx)
{
	struct chan_msg m;
	const char *v;
	size_t vn;
	int rc;

	if (!json_valid(body, n, NULL, 0) || *body != '{')
		return err_set(EX_DATAERR, "discord: not a JSON object");
	chan_msg_init(&m);
	rc = jp_get(body, n, "author", &v, &vn) ? message(c, body, n, &m)
	    : interaction(c, body, n, &m);
	if (rc == 0)
		rc = fn(c, &m, ctx);
	chan_msg_free(&m);
	return rc;
}

/* The error envelope {"code":N,"message":"…"}; a 429's retry_after (float seconds)
 * rounded up, and whether it was the global limit. */
static void
describe(const struct buf *ans, long status, char *why, size_t n, long *retry_after)
{
	char msg[200] = "", ra[32] = "";
	long long code = 0;
	const char *g;
	size_t gn;
	int global = 0;

	if (ans->len && json_valid(ans->p, ans->len, NULL, 0)) {
		jp_str(ans->p, ans->len, "message", msg, sizeof msg);
		jp_int(ans->p, ans->len, "code", &code);
		if (jp_str(ans->p, ans->len, "retry_after", ra, sizeof ra) && retry_after) {
			double s = strtod(ra, NULL);
			if (s >= 0 && s < 86400)
				*retry_after = (long)s + ((double)(long)s < s);
		}
		global = jp_get(ans->p, ans->len, "global", &g, &gn) && gn == 4
		    && memcmp(g, "true", 4) == 0;
	}
	snprintf(why, n, "discord: %ld%s%lld %s%s", status, code ? " code " : "", code,
	    msg[0] ? msg : "no message", global ? " (global rate limit)" : "");
}

long
dc_call(struct chan *c, const char *method, const char *path, const struct buf *req,
    struct buf *ans, int bot, long *retry_after)
{
	char u[1200], auth[512];
	long ra = -1, st;

	snprintf(u, sizeof u, "%s%s", c->base_url, path);
	snprintf(auth, sizeof auth, "Authorization: Bot %s", c->token ? c->token : "");
	st = chan_http(c, method, u, bot ? auth : NULL, req ? req->p : NULL, req ? req->len : 0,
	    ans, DC_ANSWER_MAX, 60, NULL, &ra);
	sodium_memzero(auth, sizeof auth);
	if (retry_after)
		*retry_after = ra;
	return st;
}

static void
dc_send(struct chan *c, const char *peer, const char *text, const char *reply_to,
    const char *edit_id, struct chan_sent *r)
{
	struct buf req = BUF_INIT, ans = BUF_INIT;
	char path[600];
	const char *to = reply_to ? reply_to : "";
	int later = *to == '+', hook;
	long st, ra = -1;

	(void)edit_id;
	memset(r, 0, sizeof *r);
	r->retry_after = -1;
	to += later;
	hook = strncmp(to, "ix:", 3) == 0 && strchr(to, '/');
	buf_adds(&req, "{\"content\":");
	buf_add_json_str(&req, text, strlen(text));
	buf_adds(&req, ",\"allowed_mentions\":{\"parse\":[]}");
	if (hook && !later)          /* the deferred "thinking…" becomes the answer */
		snprintf(path, sizeof path, "/webhooks/%s/messages/@original", to + 3);
	else if (hook)
		snprintf(path, sizeof path, "/webhooks/%s?wait=true", to + 3);
	else {
		snprintf(path, sizeof path, "/channels/%s/messages", peer);
		if (*to && !later && strspn(to, "0123456789") == strlen(to))
			buf_printf(&req, ",\"message_reference\":{\"message_id\":\"%s\","
			    "\"fail_if_not_exists\":false}", to);
	}
	buf_addc(&req, '}');
	st = dc_call(c, hook && !later ? "PATCH" : "POST", path, &req, &ans, !hook, &ra);
	if (st >= 200 && st < 300) {
		r->how = SENT_OK;
		if (json_valid(ans.p, ans.len, NULL, 0))
			jp_str(ans.p, ans.len, "id", r->ext, sizeof r->ext);
	} else if (st == 0) {
		r->how = SENT_RETRY;
		snprintf(r->why, sizeof r->why, "%s", err_msg());
	} else {
		describe(&ans, st, r->why, sizeof r->why, &ra);
		r->how = st == 429 || st >= 500 ? SENT_RETRY : SENT_FATAL;
		r->retry_after = ra;
	}
	buf_free(&req);
	buf_free(&ans);
}

static void
dc_typing(struct chan *c, const char *peer, const char *msgid)
{
	struct buf ans = BUF_INIT, none = BUF_INIT;
	char path[128];

	if (strncmp(msgid, "ix:", 3) == 0)
		return;               /* the deferred answer already shows "thinking" */
	snprintf(path, sizeof path, "/channels/%s/typing", peer);
	buf_adds(&none, "");
	dc_call(c, "POST", path, &none, &ans, 1, NULL);
	buf_free(&ans);
	buf_free(&none);
}

/* Attachments: the CDN's URL (or the configured base, for tests), no token sent. */
static int
dc_media(struct chan *c, const char *id, int fd, long max, char *mime, size_t mlen)
{
	struct buf ans = BUF_INIT;
	int big = 0, rc = 0;
	long st;

	(void)mime; (void)mlen;
	if (strncmp(id, "https://cdn.discordapp.com/", 27)
	    && strncmp(id, "https://media.discordapp.net/", 29)
	    && (strncmp(id, c->base_url, strlen(c->base_url)) || id[strlen(c->base_url)] != '/'))
		return err_set(EX_DATAERR, "discord: an attachment outside Discord's CDN");
	st = chan_http(c, "GET", id, NULL, NULL, 0, &ans, (size_t)max, 120, &big, NULL);
	if (big)
		rc = err_set(EX_DATAERR, "the file is over the %ld bytes allowed", max);
	else if (st != 200)
		rc = err_set(st == 0 || st >= 500 ? EX_TEMPFAIL : EX_DATAERR,
		    "discord: download: %ld", st);
	else if (write(fd, ans.p, ans.len) != (ssize_t)ans.len)
		rc = err_set(EX_IOERR, "media: write:");
	buf_free(&ans);
	return rc;
}

static int
dc_check(struct chan *c)
{
	struct buf ans = BUF_INIT;
	char why[300];
	long st;
	int rc = 0;

	st = dc_call(c, "GET", "/users/@me", NULL, &ans, 1, NULL);
	if (st != 200 || !json_valid(ans.p, ans.len, NULL, 0)
	    || !jp_str(ans.p, ans.len, "username", c->bot, sizeof c->bot)) {
		describe(&ans, st, why, sizeof why, NULL);
		rc = st == 0 ? EX_UNAVAILABLE : err_set(st == 401 || st == 403 ? EX_NOPERM
		    : EX_UNAVAILABLE, "users/@me: %s", why);
	}
	buf_free(&ans);
	return rc;
}

const struct chan_conn chan_discord = {
	.kind = "discord",
	.base_url = "https://discord.com/api/v10",
	.text_max = 2000,
	.reply_all = 1,
	/* REFERENCE §2: without this form Cloudflare may block the client */
	.user_agent = "DiscordBot (" DC_URL ", " CLAW_VERSION ")",
	.parse = dc_parse,
	.poll = dc_poll,
	.send = dc_send,
	.typing = dc_typing,
	.media = dc_media,
	.check = dc_check,
};
