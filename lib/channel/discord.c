/* discord: the Discord connector (REFERENCE.md §2) — interactions (/ask) and Gateway
 * MESSAGE_CREATE messages into chan_msg, answers by REST or the interaction's webhook. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "channel/chan.h"
#include "channel/discord.h"
#include "channel/jpath.h"
#include "channel/opus.h"
#include "net/multipart.h"

#define DC_ANSWER_MAX (1u << 20)
#define DC_RL_SLEEP_MS 10000          /* a bucket empty for longer: back to the queue */

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

/* The error envelope {"code":N,"message":"…"}, and whether a 429 was the global limit. */
static void
describe(const struct buf *ans, long status, char *why, size_t n)
{
	char msg[200] = "";
	long long code = 0;
	int global = 0;

	if (ans->len && json_valid(ans->p, ans->len, NULL, 0)) {
		jp_str(ans->p, ans->len, "message", msg, sizeof msg);
		jp_int(ans->p, ans->len, "code", &code);
		global = is_true(ans->p, ans->len, "global");
	}
	snprintf(why, n, "discord: %ld%s%lld %s%s", status, code ? " code " : "", code,
	    msg[0] ? msg : "no message", global ? " (global rate limit)" : "");
}

/* A 429's retry_after in seconds (a float), or -1. */
static double
retry_after_of(const struct buf *ans, int *global)
{
	char ra[32];
	double s;

	if (!ans->len || !json_valid(ans->p, ans->len, NULL, 0)
	    || !jp_str(ans->p, ans->len, "retry_after", ra, sizeof ra))
		return -1;
	*global |= is_true(ans->p, ans->len, "global");
	s = strtod(ra, NULL);
	return s >= 0 && s < 86400 ? s : -1;
}

long
dc_request(struct chan *c, const char *method, const char *path, const char *ctype,
    const char *body, size_t len, struct buf *ans, int bot, long *retry_after)
{
	char u[1200], auth[512];
	struct dc_rl h = { .remaining = -1, .reset_after = -1 };
	long long wait = dc_rl_wait(method, path);
	long ra = -1, st;
	double fra;

	if (retry_after)
		*retry_after = -1;
	if (wait > DC_RL_SLEEP_MS) {          /* long: the queue waits, not this process */
		if (retry_after)
			*retry_after = (long)((wait + 999) / 1000);
		err_set(EX_TEMPFAIL, "discord: rate limited for %lld s more", (wait + 999) / 1000);
		return 0;
	}
	if (wait)
		usleep((useconds_t)wait * 1000);
	snprintf(u, sizeof u, "%s%s", c->base_url, path);
	snprintf(auth, sizeof auth, "Authorization: Bot %s", c->token ? c->token : "");
	c->on_header = dc_rl_header;
	c->hdr_ctx = &h;
	st = chan_http_type(c, method, u, bot ? auth : NULL, ctype, body, len, ans, DC_ANSWER_MAX,
	    60, NULL, &ra);
	c->on_header = NULL;
	c->hdr_ctx = NULL;
	sodium_memzero(auth, sizeof auth);
	if (st) {
		fra = st == 429 ? retry_after_of(ans, &h.global) : -1;
		if (st == 429 && fra < 0)
			fra = ra >= 0 ? ra : 1;       /* Retry-After, or a second */
		dc_rl_note(method, path, &h, fra);
		if (st == 429)
			ra = (long)fra + ((double)(long)fra < fra);
	}
	if (retry_after)
		*retry_after = ra;
	return st;
}

long
dc_call(struct chan *c, const char *method, const char *path, const struct buf *req,
    struct buf *ans, int bot, long *retry_after)
{
	return dc_request(c, method, path, "Content-Type: application/json", req ? req->p : NULL,
	    req ? req->len : 0, ans, bot, retry_after);
}

/* Where a part goes, from its reply_to: "ix:APP/TOKEN" the interaction's webhook (the first
 * part edits the deferred "thinking…", later ones "+ix:…" follow up), else the channel
 * with a reference to the message answered.  The path; *patch when it is the edit; the
 * message_reference appended to the JSON fields in req. */
static void
target(const char *peer, const char *reply_to, int file, char *path, size_t n, int *patch,
    int *hook, struct buf *req)
{
	const char *to = reply_to ? reply_to : "";
	int later = *to == '+';

	to += later;
	*hook = strncmp(to, "ix:", 3) == 0 && strchr(to, '/');
	*patch = *hook && !later && !file;    /* a file always follows up */
	if (*patch)
		snprintf(path, n, "/webhooks/%s/messages/@original", to + 3);
	else if (*hook)
		snprintf(path, n, "/webhooks/%s?wait=true", to + 3);
	else {
		snprintf(path, n, "/channels/%s/messages", peer);
		if (*to && !later && strspn(to, "0123456789") == strlen(to))
			buf_printf(req, ",\"message_reference\":{\"message_id\":\"%s\","
			    "\"fail_if_not_exists\":false}", to);
	}
}

/* What a create-message answer came to. */
static void
outcome(long st, long ra, const struct buf *ans, struct chan_sent *r)
{
	if (st >= 200 && st < 300) {
		r->how = SENT_OK;
		if (json_valid(ans->p, ans->len, NULL, 0))
			jp_str(ans->p, ans->len, "id", r->ext, sizeof r->ext);
	} else if (st == 0) {
		r->how = SENT_RETRY;
		r->retry_after = ra;          /* a bucket known empty, or -1 */
		snprintf(r->why, sizeof r->why, "%s", err_msg());
	} else {
		describe(ans, st, r->why, sizeof r->why);
		r->how = st == 429 || st >= 500 ? SENT_RETRY : SENT_FATAL;
		r->retry_after = ra;
	}
}

static void
dc_send(struct chan *c, const char *peer, const char *text, const char *reply_to,
    const char *edit_id, struct chan_sent *r)
{
	struct buf req = BUF_INIT, ans = BUF_INIT;
	char path[600];
	int patch, hook;
	long st, ra = -1;

	(void)edit_id;
	memset(r, 0, sizeof *r);
	r->retry_after = -1;
	buf_adds(&req, "{\"content\":");
	buf_add_json_str(&req, text, strlen(text));
	buf_adds(&req, ",\"allowed_mentions\":{\"parse\":[]}");
	target(peer, reply_to, 0, path, sizeof path, &patch, &hook, &req);
	buf_addc(&req, '}');
	st = dc_call(c, patch ? "PATCH" : "POST", path, &req, &ans, !hook, &ra);
	outcome(st, ra, &ans, r);
	buf_free(&req);
	buf_free(&ans);
}

/* The answer's audio as a message of its own (multipart/form-data: payload_json and
 * files[0], REFERENCE §2).  In a channel, a voice message (flags IS_VOICE_MESSAGE 8192,
 * the attachment's duration_secs and waveform measured from the file, no content: Discord
 * allows none beside it); to an interaction, or when the file cannot be measured, a plain
 * audio attachment. */
static void
dc_voice(struct chan *c, const char *peer, const char *path,
    const struct buf *audio, const char *reply_to, struct chan_sent *r)
{
	char boundary[MULTIPART_BOUNDARY_LEN], ctype[96], route[600], b64[400];
	unsigned char wave[256];
	struct buf json = BUF_INIT, body = BUF_INIT, ans = BUF_INIT;
	size_t wn = sizeof wave;
	double secs;
	int patch, hook, vm;
	long st, ra = -1;

	memset(r, 0, sizeof *r);
	r->retry_after = -1;
	buf_adds(&json, "{\"allowed_mentions\":{\"parse\":[]}");
	target(peer, reply_to, 1, route, sizeof route, &patch, &hook, &json);
	vm = !hook && opus_shape((unsigned char *)audio->p, audio->len, &secs, wave, &wn) == 0
	    && wn > 0;
	buf_adds(&json, ",\"attachments\":[{\"id\":0,\"filename\":\"voice-message.ogg\"");
	if (vm) {
		sodium_bin2base64(b64, sizeof b64, wave, wn, sodium_base64_VARIANT_ORIGINAL);
		buf_printf(&json, ",\"duration_secs\":%.2f,\"waveform\":\"%s\"}],\"flags\":8192}",
		    secs, b64);
	} else
		buf_adds(&json, "}]}");
	multipart_boundary(boundary);
	multipart_field(&body, boundary, "payload_json", json.p);
	multipart_file(&body, boundary, "files[0]", "voice-message.ogg", "audio/ogg", audio->p,
	    audio->len);
	multipart_end(&body, boundary);
	snprintf(ctype, sizeof ctype, "Content-Type: multipart/form-data; boundary=%s", boundary);
	if (body.oom || json.oom) {
		err_set(EX_SOFTWARE, "discord: upload: out of memory");
		st = 0;
	} else
		st = dc_request(c, "POST", route, ctype, body.p, body.len, &ans, !hook, &ra);
	outcome(st, ra, &ans, r);
	buf_free(&json);
	buf_free(&body);
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
		describe(&ans, st, why, sizeof why);
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
	/* REFERENCE §2: without this form Cloudflare may block the client; the URL is the
	 * build's (make URL=…) */
	.user_agent = "DiscordBot (" CLAW_URL ", " CLAW_VERSION ")",
	.parse = dc_parse,
	.poll = dc_poll,
	.send = dc_send,
	.typing = dc_typing,
	.voice = dc_voice,
	.media = dc_media,
	.check = dc_check,
};
