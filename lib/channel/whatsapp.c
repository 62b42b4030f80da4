/* whatsapp: the Cloud API connector (REFERENCE.md §3) — webhook bodies into
 * chan_msg (several entries and changes per POST), delivery statuses, sending
 * text within the 24-hour window, the typing indicator, two-step media download. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "channel/chan.h"
#include "channel/jpath.h"
#include "channel/queue.h"
#include "net/multipart.h"

#define WA_WINDOW_MS (24LL * 3600 * 1000)
#define WA_ANSWER_MAX (1u << 20)
#define WA_REENGAGE 131047

static void
auth(const struct chan *c, char *dst, size_t n)
{
	snprintf(dst, n, "Authorization: Bearer %s", c->token ? c->token : "");
}

static void
media_of(const char *msg, size_t n, const char *type, struct chan_msg *m)
{
	char path[64], id[200], mime[128], sha[80], fname[200];
	const char *v;
	size_t vn;
	int voice;

	snprintf(path, sizeof path, "%s.id", type);
	if (!jp_str(msg, n, path, id, sizeof id) || !id[0])
		return;
	snprintf(path, sizeof path, "%s.mime_type", type);
	jp_str(msg, n, path, mime, sizeof mime);
	snprintf(path, sizeof path, "%s.sha256", type);
	jp_str(msg, n, path, sha, sizeof sha);
	snprintf(path, sizeof path, "%s.filename", type);
	fname[0] = '\0';
	jp_str(msg, n, path, fname, sizeof fname);
	snprintf(path, sizeof path, "%s.voice", type);
	voice = jp_get(msg, n, path, &v, &vn) && vn == 4 && memcmp(v, "true", 4) == 0;
	buf_adds(&m->media, "[{\"kind\":");
	buf_adds(&m->media, strcmp(type, "image") == 0 ? "\"photo\""
	    : strcmp(type, "audio") == 0 ? (voice ? "\"voice\"" : "\"audio\"")
	    : strcmp(type, "document") == 0 ? "\"document\"" : "\"video\"");
	buf_adds(&m->media, ",\"id\":");
	buf_add_json_str(&m->media, id, strlen(id));
	buf_adds(&m->media, ",\"mime\":");
	buf_add_json_str(&m->media, mime, strlen(mime));
	buf_adds(&m->media, ",\"size\":0,\"sha256\":");
	buf_add_json_str(&m->media, sha, strlen(sha));
	if (fname[0]) {
		buf_adds(&m->media, ",\"name\":");
		buf_add_json_str(&m->media, fname, strlen(fname));
	}
	buf_adds(&m->media, "}]");
}

/* The profile name of wa_id among the change's contacts. */
static void
contact_name(const char *value, size_t vn, const char *wa_id, char *dst, size_t n)
{
	const char *cs, *e;
	size_t cn, en, off = 0;
	char id[64];

	if (!jp_get(value, vn, "contacts", &cs, &cn) || *cs != '[')
		return;
	while (json_array_next(cs, cn, &off, &e, &en))
		if (*e == '{' && jp_str(e, en, "wa_id", id, sizeof id) && strcmp(id, wa_id) == 0) {
			jp_str(e, en, "profile.name", dst, n);
			return;
		}
}

static int
message(struct chan *c, const char *value, size_t vn, const char *msg, size_t mn,
    chan_msg_fn *fn, void *ctx)
{
	static const char *const types[] = { "image", "audio", "document", "video" };
	struct chan_msg m;
	char type[32] = "", phone[64] = "";
	size_t i;
	int rc;

	chan_msg_init(&m);
	if (!jp_str(msg, mn, "id", m.ext, sizeof m.ext) || !m.ext[0]) {
		chan_msg_free(&m);
		return err_set(EX_DATAERR, "whatsapp: a message without an id");
	}
	snprintf(m.msgid, sizeof m.msgid, "%s", m.ext);
	jp_str(msg, mn, "from", m.peer, sizeof m.peer);
	snprintf(m.sender, sizeof m.sender, "%s", m.peer);
	contact_name(value, vn, m.peer, m.name, sizeof m.name);
	jp_str(msg, mn, "type", type, sizeof type);
	jp_str(value, vn, "metadata.phone_number_id", phone, sizeof phone);
	m.addressed = 1;                  /* the Cloud API has no groups */
	if (mn > CHAN_UPDATE_MAX)
		m.oversized = 1;
	else if (c->phone_id[0] && phone[0] && strcmp(phone, c->phone_id) != 0)
		m.skip = 1;                   /* another number of the same app */
	else if (strcmp(type, "text") == 0)
		jp_text(msg, mn, "text.body", &m.text);
	else {
		for (i = 0; i < sizeof types / sizeof types[0]; i++)
			if (strcmp(type, types[i]) == 0) {
				char cap[64];
				snprintf(cap, sizeof cap, "%s.caption", types[i]);
				jp_text(msg, mn, cap, &m.text);
				media_of(msg, mn, types[i], &m);
			}
		if (!m.media.len)
			m.skip = 1;           /* reactions, stickers, locations: not answered */
	}
	if (!m.peer[0])
		m.skip = 1;
	rc = fn(c, &m, ctx);
	chan_msg_free(&m);
	return rc;
}

/* Each change's value of a webhook body, to fn. */
typedef int value_fn(struct chan *c, const char *v, size_t vn, void *ctx);

static int
each_value(struct chan *c, const char *body, size_t n, value_fn *fn, void *ctx)
{
	const char *es, *e, *cs, *ch, *v;
	size_t esn, en, csn, chn, vn, eo = 0, co;
	char obj[64];
	int rc = 0;

	if (!json_valid(body, n, NULL, 0) || *body != '{'
	    || !jp_str(body, n, "object", obj, sizeof obj)
	    || strcmp(obj, "whatsapp_business_account") != 0
	    || !jp_get(body, n, "entry", &es, &esn) || *es != '[')
		return err_set(EX_DATAERR, "whatsapp: not a whatsapp_business_account webhook");
	while (!rc && json_array_next(es, esn, &eo, &e, &en)) {
		if (*e != '{' || !jp_get(e, en, "changes", &cs, &csn) || *cs != '[')
			continue;
		for (co = 0; !rc && json_array_next(cs, csn, &co, &ch, &chn); )
			if (*ch == '{' && jp_get(ch, chn, "value", &v, &vn) && *v == '{')
				rc = fn(c, v, vn, ctx);
	}
	return rc;
}

struct parse_ctx {
	chan_msg_fn *fn;
	void *ctx;
};

static int
value_messages(struct chan *c, const char *v, size_t vn, void *ctx)
{
	struct parse_ctx *p = ctx;
	const char *ms, *m;
	size_t msn, mn, off = 0;
	int rc = 0;

	if (!jp_get(v, vn, "messages", &ms, &msn) || *ms != '[')
		return 0;
	while (!rc && json_array_next(ms, msn, &off, &m, &mn))
		if (*m == '{')
			rc = message(c, v, vn, m, mn, p->fn, p->ctx);
	return rc;
}

static int
wa_parse(struct chan *c, const char *body, size_t n, chan_msg_fn *fn, void *ctx)
{
	struct parse_ctx p = { fn, ctx };

	return each_value(c, body, n, value_messages, &p);
}

/* statuses[]: a failed delivery makes its part a dead letter with the reason. */
static int
value_statuses(struct chan *c, const char *v, size_t vn, void *ctx)
{
	const char *ss, *s, *errs, *e;
	size_t ssn, sn, errn, en, off = 0, eo;
	char id[128], status[32], title[200], why[300];
	long long code;
	int rc = 0;

	if (!jp_get(v, vn, "statuses", &ss, &ssn) || *ss != '[')
		return 0;
	while (!rc && json_array_next(ss, ssn, &off, &s, &sn)) {
		if (*s != '{' || !jp_str(s, sn, "id", id, sizeof id)
		    || !jp_str(s, sn, "status", status, sizeof status) || strcmp(status, "failed"))
			continue;
		code = 0;
		title[0] = '\0';
		eo = 0;
		if (jp_get(s, sn, "errors", &errs, &errn) && *errs == '['
		    && json_array_next(errs, errn, &eo, &e, &en) && *e == '{') {
			jp_int(e, en, "code", &code);
			if (!jp_str(e, en, "message", title, sizeof title))
				jp_str(e, en, "title", title, sizeof title);
		}
		snprintf(why, sizeof why, "whatsapp: %lld %s%s", code, title, code == WA_REENGAGE
		    ? " (outside the 24-hour window: only a template may be sent)" : "");
		rc = q_out_failed_ext(c, id, why);
	}
	return rc;
}

static int
wa_statuses(struct chan *c, const char *body, size_t n)
{
	return each_value(c, body, n, value_statuses, NULL);
}

static void
msgs_url(const struct chan *c, char *dst, size_t n)
{
	snprintf(dst, n, "%s/%s/%s/messages", c->base_url, c->version, c->phone_id);
}

/* GraphAPIError: {"error":{"message","type","code","is_transient"}}. */
static void
describe(const struct buf *ans, long status, long long *code, int *transient, char *why,
    size_t n)
{
	char msg[200] = "";
	const char *v;
	size_t vn;

	*code = 0;
	*transient = 0;
	if (ans->len && json_valid(ans->p, ans->len, NULL, 0)) {
		jp_str(ans->p, ans->len, "error.message", msg, sizeof msg);
		jp_int(ans->p, ans->len, "error.code", code);
		*transient = jp_get(ans->p, ans->len, "error.is_transient", &v, &vn) && vn == 4
		    && memcmp(v, "true", 4) == 0;
	}
	snprintf(why, n, "whatsapp: %ld %lld %s%s", status, *code, msg[0] ? msg : "no message",
	    *code == WA_REENGAGE ? " (outside the 24-hour window: only a template may be sent)"
	    : "");
}

/* Inside the 24-hour window?  Else r says why not. */
static int
in_window(struct chan *c, const char *peer, struct chan_sent *r)
{
	long long last = q_chat_last_inbound(c, peer);

	memset(r, 0, sizeof *r);
	r->retry_after = -1;
	if (clock_wall_ms() - last <= WA_WINDOW_MS)
		return 1;
	r->how = SENT_FATAL;
	snprintf(r->why, sizeof r->why, "whatsapp: outside the 24-hour window (the user"
	    " last wrote %lld h ago): only a template may be sent",
	    last ? (clock_wall_ms() - last) / 3600000 : -1);
	return 0;
}

/* What a Graph call's answer came to: a retry or a dead letter (or SENT_OK). */
static void
outcome(const struct buf *ans, long st, long ra, struct chan_sent *r)
{
	long long code;
	int transient;

	if (st == 200 && json_valid(ans->p, ans->len, NULL, 0))
		r->how = SENT_OK;
	else if (st == 0) {
		r->how = SENT_RETRY;
		snprintf(r->why, sizeof r->why, "%s", err_msg());
	} else {
		describe(ans, st, &code, &transient, r->why, sizeof r->why);
		/* 130429 throughput, 131056 pair rate, 80007 and 4 app limits: wait and retry */
		r->how = code != WA_REENGAGE && (st == 429 || st >= 500 || transient
		    || code == 130429 || code == 131056 || code == 80007 || code == 4)
		    ? SENT_RETRY : SENT_FATAL;
		r->retry_after = ra;
	}
}

/* POST .../messages: to peer, the message's own members (`"type":…,"text":{…}`), a
 * reply to reply_to. */
static void
post_message(struct chan *c, const char *peer, const char *content, const char *reply_to,
    struct chan_sent *r)
{
	struct buf req = BUF_INIT, ans = BUF_INIT;
	char u[1024], a[1200];
	long st, ra = -1;

	buf_adds(&req, "{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
	    "\"to\":");
	buf_add_json_str(&req, peer, strlen(peer));
	buf_printf(&req, ",%s", content);
	if (reply_to && *reply_to) {
		buf_adds(&req, ",\"context\":{\"message_id\":");
		buf_add_json_str(&req, reply_to, strlen(reply_to));
		buf_addc(&req, '}');
	}
	buf_addc(&req, '}');
	msgs_url(c, u, sizeof u);
	auth(c, a, sizeof a);
	st = chan_http(c, "POST", u, a, req.p, req.len, &ans, WA_ANSWER_MAX, 60, NULL, &ra);
	outcome(&ans, st, ra, r);
	if (r->how == SENT_OK) {
		const char *ms, *m;
		size_t msn, mn, off = 0;
		if (jp_get(ans.p, ans.len, "messages", &ms, &msn) && *ms == '['
		    && json_array_next(ms, msn, &off, &m, &mn) && *m == '{')
			jp_str(m, mn, "id", r->ext, sizeof r->ext);
	}
	buf_free(&req);
	buf_free(&ans);
}

static void
wa_send(struct chan *c, const char *peer, const char *text, const char *reply_to,
    const char *edit_id, struct chan_sent *r)
{
	struct buf content = BUF_INIT;

	(void)edit_id;
	if (!in_window(c, peer, r))
		return;
	buf_adds(&content, "\"type\":\"text\",\"text\":{\"preview_url\":false,\"body\":");
	buf_add_json_str(&content, text, strlen(text));
	buf_addc(&content, '}');
	post_message(c, peer, content.p, reply_to, r);
	buf_free(&content);
}

/* A voice note: the file uploaded (POST .../media, multipart), then an audio message
 * naming the media id it was given. */
static void
wa_voice(struct chan *c, const char *peer, const char *path,
    const struct buf *audio, const char *reply_to, struct chan_sent *r)
{
	char boundary[MULTIPART_BOUNDARY_LEN], ctype[96], u[1024], a[1200], id[128] = "";
	struct buf body = BUF_INIT, ans = BUF_INIT, content = BUF_INIT;
	long st, ra = -1;

	if (!in_window(c, peer, r))
		return;
	multipart_boundary(boundary);
	multipart_field(&body, boundary, "messaging_product", "whatsapp");
	multipart_field(&body, boundary, "type", "audio/ogg");
	multipart_file(&body, boundary, "file", "voice.ogg", "audio/ogg", audio->p, audio->len);
	multipart_end(&body, boundary);
	snprintf(ctype, sizeof ctype, "Content-Type: multipart/form-data; boundary=%s", boundary);
	snprintf(u, sizeof u, "%s/%s/%s/media", c->base_url, c->version, c->phone_id);
	auth(c, a, sizeof a);
	st = body.oom ? 0 : chan_http_type(c, "POST", u, a, ctype, body.p, body.len, &ans,
	    WA_ANSWER_MAX, 120, NULL, &ra);
	if (body.oom)
		err_set(EX_SOFTWARE, "whatsapp: media upload: out of memory");
	outcome(&ans, st, ra, r);
	if (r->how == SENT_OK && !jp_str(ans.p, ans.len, "id", id, sizeof id)) {
		r->how = SENT_RETRY;
		snprintf(r->why, sizeof r->why, "whatsapp: media upload: no id in the answer");
	}
	if (r->how == SENT_OK) {
		buf_adds(&content, "\"type\":\"audio\",\"audio\":{\"id\":");
		buf_add_json_str(&content, id, strlen(id));
		buf_addc(&content, '}');
		post_message(c, peer, content.p, reply_to, r);
	}
	buf_free(&body);
	buf_free(&ans);
	buf_free(&content);
}

static void
wa_typing(struct chan *c, const char *peer, const char *msgid)
{
	struct buf req = BUF_INIT, ans = BUF_INIT;
	char u[1024], a[1200];

	if (!msgid || !*msgid)
		return;
	buf_adds(&req, "{\"messaging_product\":\"whatsapp\",\"status\":\"read\",\"message_id\":");
	buf_add_json_str(&req, msgid, strlen(msgid));
	buf_adds(&req, ",\"typing_indicator\":{\"type\":\"text\"}}");
	msgs_url(c, u, sizeof u);
	auth(c, a, sizeof a);
	chan_http(c, "POST", u, a, req.p, req.len, &ans, WA_ANSWER_MAX, 10, NULL, NULL);
	buf_free(&req);
	buf_free(&ans);
}

/* The bearer token goes only to Meta's https hosts or to the configured base URL. */
static int
url_ok(const struct chan *c, const char *u)
{
	size_t bl = strlen(c->base_url);

	return strncmp(u, "https://", 8) == 0
	    || (strncmp(u, c->base_url, bl) == 0 && u[bl] == '/');
}

static int
wa_media(struct chan *c, const char *id, int fd, long max, char *mime, size_t mlen)
{
	struct buf ans = BUF_INIT;
	char u[2048], a[1200], why[300], sha[80] = "", hex[65];
	unsigned char h[crypto_hash_sha256_BYTES];
	long long size = 0, code;
	long st;
	int big = 0, rc = 0, transient;

	snprintf(u, sizeof u, "%s/%s/%s", c->base_url, c->version, id);
	auth(c, a, sizeof a);
	st = chan_http(c, "GET", u, a, NULL, 0, &ans, WA_ANSWER_MAX, 30, NULL, NULL);
	if (st != 200 || !json_valid(ans.p, ans.len, NULL, 0)
	    || !jp_str(ans.p, ans.len, "url", u, sizeof u)) {
		describe(&ans, st, &code, &transient, why, sizeof why);
		rc = err_set(st == 0 || st >= 500 ? EX_TEMPFAIL : EX_DATAERR, "media: %s", why);
		goto out;
	}
	jp_str(ans.p, ans.len, "mime_type", mime, mlen);
	jp_str(ans.p, ans.len, "sha256", sha, sizeof sha);
	if (jp_int(ans.p, ans.len, "file_size", &size) && size > max) {
		rc = err_set(EX_DATAERR, "the file is %lld bytes, over the %ld allowed", size, max);
		goto out;
	}
	if (!url_ok(c, u)) {
		rc = err_set(EX_DATAERR, "media: its URL is not https");
		goto out;
	}
	buf_reset(&ans);
	st = chan_http(c, "GET", u, a, NULL, 0, &ans, (size_t)max, 120, &big, NULL);
	if (big)
		rc = err_set(EX_DATAERR, "the file is over the %ld bytes allowed", max);
	else if (st != 200)
		rc = err_set(st == 0 || st >= 500 ? EX_TEMPFAIL : EX_DATAERR,
		    "whatsapp: download: %ld", st);
	if (!rc && sha[0]) {
		crypto_hash_sha256(h, (const unsigned char *)ans.p, ans.len);
		sodium_bin2hex(hex, sizeof hex, h, sizeof h);
		if (strcmp(hex, sha) != 0)
			rc = err_set(EX_DATAERR, "media: its sha256 is not the one announced");
	}
	if (!rc && write(fd, ans.p, ans.len) != (ssize_t)ans.len)
		rc = err_set(EX_IOERR, "media: write:");
out:
	buf_free(&ans);
	return rc;
}

static int
wa_check(struct chan *c)
{
	struct buf ans = BUF_INIT;
	char u[1024], a[1200], why[300];
	long long code;
	long st;
	int rc = 0, transient;

	if (!c->phone_id[0])
		return err_set(EX_USAGE, "whatsapp: want --phone-number-id=ID");
	snprintf(u, sizeof u, "%s/%s/%s", c->base_url, c->version, c->phone_id);
	auth(c, a, sizeof a);
	st = chan_http(c, "GET", u, a, NULL, 0, &ans, WA_ANSWER_MAX, 30, NULL, NULL);
	if (st != 200 || !json_valid(ans.p, ans.len, NULL, 0)) {
		describe(&ans, st, &code, &transient, why, sizeof why);
		rc = st == 0 ? EX_UNAVAILABLE : err_set(st == 401 || st == 403 ? EX_NOPERM
		    : EX_UNAVAILABLE, "%s", why);
	} else
		jp_str(ans.p, ans.len, "display_phone_number", c->bot, sizeof c->bot);
	buf_free(&ans);
	return rc;
}

const struct chan_conn chan_whatsapp = {
	.kind = "whatsapp",
	.base_url = "https://graph.facebook.com",
	.text_max = 4096,
	.parse = wa_parse,
	.send = wa_send,
	.typing = wa_typing,
	.voice = wa_voice,
	.media = wa_media,
	.check = wa_check,
	.statuses = wa_statuses,
};
