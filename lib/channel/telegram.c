/* telegram: the Bot API connector (REFERENCE.md §1) — Update objects from getUpdates
 * or a webhook into chan_msg, sendMessage/editMessageText with the error envelope's
 * retry_after, sendChatAction, getFile and the file download, getMe. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "channel/chan.h"
#include "channel/jpath.h"
#include "net/multipart.h"

#define TG_ANSWER_MAX (16u << 20)     /* one getUpdates answer: 100 updates at most */
#define TG_LIMIT 100

static void
url(const struct chan *c, const char *method, char *dst, size_t n)
{
	snprintf(dst, n, "%s/bot%s/%s", c->base_url, c->token ? c->token : "", method);
}

/* A chat id as JSON: an integer as a number, else (@channel) a string. */
static void
add_chat_id(struct buf *b, const char *peer)
{
	const char *s = peer + (*peer == '-');

	if (*s && strspn(s, "0123456789") == strlen(s) && strlen(s) < 19)
		buf_adds(b, peer);
	else
		buf_add_json_str(b, peer, strlen(peer));
}

static void
media_item(struct buf *m, const char *kind, const char *id, const char *mime, long long size,
    const char *fname)
{
	buf_adds(m, m->len ? "," : "[");
	buf_adds(m, "{\"kind\":");
	buf_add_json_str(m, kind, strlen(kind));
	buf_adds(m, ",\"id\":");
	buf_add_json_str(m, id, strlen(id));
	buf_adds(m, ",\"mime\":");
	buf_add_json_str(m, mime, strlen(mime));
	buf_printf(m, ",\"size\":%lld", size);
	if (fname && *fname) {
		buf_adds(m, ",\"name\":");
		buf_add_json_str(m, fname, strlen(fname));
	}
	buf_addc(m, '}');
}

static void
media(const char *msg, size_t n, struct chan_msg *m)
{
	static const char *const kinds[] = { "voice", "audio", "document", "video", "video_note" };
	const char *v, *last = NULL;
	size_t vn, off = 0, ln = 0, i;
	char id[256], mime[128], fname[256], path[64];
	long long size;

	if (jp_get(msg, n, "photo", &v, &vn) && *v == '[') {
		const char *e;
		size_t en;
		while (json_array_next(v, vn, &off, &e, &en))
			if (*e == '{')
				last = e, ln = en;    /* sizes come smallest first */
		if (last && jp_str(last, ln, "file_id", id, sizeof id)) {
			size = 0;
			jp_int(last, ln, "file_size", &size);
			media_item(&m->media, "photo", id, "image/jpeg", size, NULL);
		}
	}
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		snprintf(path, sizeof path, "%s.file_id", kinds[i]);
		if (!jp_str(msg, n, path, id, sizeof id))
			continue;
		snprintf(path, sizeof path, "%s.mime_type", kinds[i]);
		if (!jp_str(msg, n, path, mime, sizeof mime))
			snprintf(mime, sizeof mime, "%s", i == 0 ? "audio/ogg"
			    : "application/octet-stream");
		snprintf(path, sizeof path, "%s.file_size", kinds[i]);
		size = 0;
		jp_int(msg, n, path, &size);
		snprintf(path, sizeof path, "%s.file_name", kinds[i]);
		fname[0] = '\0';
		jp_str(msg, n, path, fname, sizeof fname);
		media_item(&m->media, kinds[i], id, mime, size, fname);
	}
	if (m->media.len)
		buf_addc(&m->media, ']');
}

/* Is the bot named in text as @bot (any case, not inside a longer name)? */
static int
mentions(const char *text, const char *bot)
{
	size_t bl = strlen(bot);
	const char *p;

	if (!bl)
		return 0;
	for (p = strchr(text, '@'); p; p = strchr(p + 1, '@'))
		if (strncasecmp(p + 1, bot, bl) == 0
		    && !(isalnum((unsigned char)p[1 + bl]) || p[1 + bl] == '_'))
			return 1;
	return 0;
}

/* One Update object into m: 0, or EX_DATAERR when it has no update_id. */
static int
update(const struct chan *c, const char *p, size_t n, struct chan_msg *m)
{
	const char *msg;
	size_t mn;
	long long id;
	char type[32], from_id[32];

	if (!json_valid(p, n, NULL, 0) || *p != '{' || !jp_int(p, n, "update_id", &id))
		return err_set(EX_DATAERR, "telegram: not an Update (no update_id)");
	snprintf(m->ext, sizeof m->ext, "%lld", id);
	if (!jp_get(p, n, "message", &msg, &mn) || *msg != '{') {
		m->skip = 1;                  /* edits, reactions, members: nothing to answer */
		return 0;
	}
	jp_str(msg, mn, "chat.id", m->peer, sizeof m->peer);
	jp_str(msg, mn, "from.id", m->sender, sizeof m->sender);
	if (!jp_str(msg, mn, "from.username", m->name, sizeof m->name))
		jp_str(msg, mn, "from.first_name", m->name, sizeof m->name);
	jp_str(msg, mn, "message_id", m->msgid, sizeof m->msgid);
	if (n > CHAN_UPDATE_MAX) {
		m->oversized = 1;             /* its id and sender kept, never its content */
		return 0;
	}
	jp_str(msg, mn, "chat.type", type, sizeof type);
	m->group = strcmp(type, "private") != 0;
	if (!jp_text(msg, mn, "text", &m->text))
		jp_text(msg, mn, "caption", &m->text);
	media(msg, mn, m);
	if (!m->peer[0] || !m->sender[0]) {
		m->skip = 1;
		return 0;
	}
	{
		const char *b;
		size_t bn;
		if (jp_get(msg, mn, "from.is_bot", &b, &bn) && bn == 4 && memcmp(b, "true", 4) == 0)
			m->skip = 1;          /* never talk to bots: two would never stop */
	}
	m->addressed = !m->group || mentions(m->text.p ? m->text.p : "", c->bot)
	    || (c->botid[0] && jp_str(msg, mn, "reply_to_message.from.id", from_id, sizeof from_id)
	    && strcmp(from_id, c->botid) == 0);
	return 0;
}

static int
tg_parse(struct chan *c, const char *body, size_t n, chan_msg_fn *fn, void *ctx)
{
	struct chan_msg m;
	int rc;

	chan_msg_init(&m);
	if ((rc = update(c, body, n, &m)) == 0)
		rc = fn(c, &m, ctx);
	chan_msg_free(&m);
	return rc;
}

/* The error envelope: {"ok":false,"error_code":N,"description":"…","parameters":{…}}. */
static void
describe(const struct buf *ans, long status, char *why, size_t n, long *retry_after)
{
	char d[200] = "";
	long long ra;

	if (ans->len && json_valid(ans->p, ans->len, NULL, 0)) {
		jp_str(ans->p, ans->len, "description", d, sizeof d);
		if (retry_after && jp_int(ans->p, ans->len, "parameters.retry_after", &ra))
			*retry_after = (long)ra;
	}
	snprintf(why, n, "telegram: %ld %s", status, d[0] ? d : "no description");
}

/* A Bot API call with a JSON body: the HTTP status, the answer in ans. */
static long
call(struct chan *c, const char *method, const struct buf *req, struct buf *ans, long timeout,
    long *retry_after)
{
	char u[1024];
	long ra = -1, st;

	url(c, method, u, sizeof u);
	st = chan_http(c, "POST", u, NULL, req->p, req->len, ans, TG_ANSWER_MAX, timeout, NULL,
	    &ra);
	if (retry_after)
		*retry_after = ra;
	return st;
}

static int
tg_poll(struct chan *c, const char *cursor, int timeout, chan_msg_fn *fn, void *ctx, char *next,
    size_t nextlen)
{
	struct buf req = BUF_INIT, ans = BUF_INIT;
	const char *res, *u;
	size_t rn, un, off = 0;
	long long max = -1, id;
	char why[300];
	long st, ra = -1;
	int rc = 0;

	snprintf(next, nextlen, "%s", cursor);
	buf_printf(&req, "{\"offset\":%s,\"limit\":%d,\"timeout\":%d,"
	    "\"allowed_updates\":[\"message\"]}", cursor[0] ? cursor : "0", TG_LIMIT, timeout);
	st = call(c, "getUpdates", &req, &ans, timeout + 30, &ra);
	if (st == 0)
		rc = EX_TEMPFAIL;
	else if (st != 200) {
		describe(&ans, st, why, sizeof why, &ra);
		rc = err_set(st == 401 || st == 404 ? EX_NOPERM : st == 409 ? EX_UNAVAILABLE
		    : EX_TEMPFAIL, "%s%s", why, st == 409
		    ? " (a webhook is set, or another poller runs)" : "");
		if (st == 429 && ra > 0 && ra < 3600)
			sleep((unsigned)ra);
	} else if (!json_valid(ans.p, ans.len, NULL, 0)
	    || !jp_get(ans.p, ans.len, "result", &res, &rn) || *res != '[')
		rc = err_set(EX_DATAERR, "telegram: getUpdates: not a result array");
	else
		while (!rc && json_array_next(res, rn, &off, &u, &un)) {
			struct chan_msg m;
			chan_msg_init(&m);
			if ((rc = update(c, u, un, &m)) == 0) {
				id = strtoll(m.ext, NULL, 10);
				rc = fn(c, &m, ctx);
				if (!rc && id > max)
					max = id;
			}
			chan_msg_free(&m);
		}
	if (max >= 0)        /* the offset rule: one more than the highest id received */
		snprintf(next, nextlen, "%lld", max + 1);
	buf_free(&req);
	buf_free(&ans);
	return rc;
}

/* What a send's answer came to: the message id, or a retry or a dead letter. */
static void
sent(const struct buf *ans, long st, long ra, struct chan_sent *r)
{
	if (st == 200 && json_valid(ans->p, ans->len, NULL, 0)) {
		r->how = SENT_OK;
		jp_str(ans->p, ans->len, "result.message_id", r->ext, sizeof r->ext);
	} else if (st == 0) {
		r->how = SENT_RETRY;
		snprintf(r->why, sizeof r->why, "%s", err_msg());
	} else {
		describe(ans, st, r->why, sizeof r->why, &ra);
		r->how = st == 429 || st >= 500 ? SENT_RETRY : SENT_FATAL;
		r->retry_after = ra;
	}
}

static void
tg_send(struct chan *c, const char *peer, const char *text, const char *reply_to,
    const char *edit_id, struct chan_sent *r)
{
	struct buf req = BUF_INIT, ans = BUF_INIT;
	long st, ra = -1;

	memset(r, 0, sizeof *r);
	r->retry_after = -1;
	buf_adds(&req, "{\"chat_id\":");
	add_chat_id(&req, peer);
	if (edit_id && *edit_id)
		buf_printf(&req, ",\"message_id\":%lld", strtoll(edit_id, NULL, 10));
	buf_adds(&req, ",\"text\":");
	buf_add_json_str(&req, text, strlen(text));
	if (reply_to && *reply_to && !(edit_id && *edit_id))
		buf_printf(&req, ",\"reply_parameters\":{\"message_id\":%lld,"
		    "\"allow_sending_without_reply\":true}", strtoll(reply_to, NULL, 10));
	buf_addc(&req, '}');
	st = call(c, edit_id && *edit_id ? "editMessageText" : "sendMessage", &req, &ans, 60, &ra);
	sent(&ans, st, ra, r);
	if (r->how != SENT_OK && edit_id && *edit_id && strstr(r->why, "message is not modified"))
		r->how = SENT_OK;
	buf_free(&req);
	buf_free(&ans);
}

/* sendVoice: the OGG/Opus file uploaded as multipart/form-data (field voice). */
static void
tg_voice(struct chan *c, const char *peer, const char *path,
    const struct buf *audio, const char *reply_to, struct chan_sent *r)
{
	char boundary[MULTIPART_BOUNDARY_LEN], ctype[96], u[1024], rp[96];
	struct buf body = BUF_INIT, ans = BUF_INIT;
	long st, ra = -1;

	memset(r, 0, sizeof *r);
	r->retry_after = -1;
	multipart_boundary(boundary);
	multipart_field(&body, boundary, "chat_id", peer);
	if (reply_to && *reply_to) {
		snprintf(rp, sizeof rp, "{\"message_id\":%lld,\"allow_sending_without_reply\":"
		    "true}", strtoll(reply_to, NULL, 10));
		multipart_field(&body, boundary, "reply_parameters", rp);
	}
	multipart_file(&body, boundary, "voice", "voice.ogg", "audio/ogg", audio->p, audio->len);
	multipart_end(&body, boundary);
	snprintf(ctype, sizeof ctype, "Content-Type: multipart/form-data; boundary=%s", boundary);
	url(c, "sendVoice", u, sizeof u);
	if (body.oom) {
		r->how = SENT_RETRY;
		snprintf(r->why, sizeof r->why, "telegram: sendVoice: out of memory");
	} else {
		st = chan_http_type(c, "POST", u, NULL, ctype, body.p, body.len, &ans,
		    TG_ANSWER_MAX, 120, NULL, &ra);
		sent(&ans, st, ra, r);
	}
	buf_free(&body);
	buf_free(&ans);
}

static void
tg_typing(struct chan *c, const char *peer, const char *msgid)
{
	struct buf req = BUF_INIT, ans = BUF_INIT;

	buf_adds(&req, "{\"chat_id\":");
	add_chat_id(&req, peer);
	buf_adds(&req, ",\"action\":\"typing\"}");
	call(c, "sendChatAction", &req, &ans, 10, NULL);
	buf_free(&req);
	buf_free(&ans);
}

static int
tg_media(struct chan *c, const char *id, int fd, long max, char *mime, size_t mlen)
{
	struct buf req = BUF_INIT, ans = BUF_INIT;
	char path[512], why[300], u[1200];
	long long size = 0;
	long st;
	int big = 0, rc = 0;

	buf_adds(&req, "{\"file_id\":");
	buf_add_json_str(&req, id, strlen(id));
	buf_addc(&req, '}');
	st = call(c, "getFile", &req, &ans, 30, NULL);
	if (st != 200 || !json_valid(ans.p, ans.len, NULL, 0)
	    || !jp_str(ans.p, ans.len, "result.file_path", path, sizeof path)
	    || strstr(path, "..")) {
		describe(&ans, st, why, sizeof why, NULL);
		rc = err_set(st == 0 || st >= 500 ? EX_TEMPFAIL : EX_DATAERR, "getFile: %s", why);
		goto out;
	}
	if (jp_int(ans.p, ans.len, "result.file_size", &size) && size > max) {
		rc = err_set(EX_DATAERR, "the file is %lld bytes, over the %ld allowed", size, max);
		goto out;
	}
	buf_reset(&ans);
	snprintf(u, sizeof u, "%s/file/bot%s/%s", c->base_url, c->token, path);
	st = chan_http(c, "GET", u, NULL, NULL, 0, &ans, (size_t)max, 120, &big, NULL);
	if (big)
		rc = err_set(EX_DATAERR, "the file is over the %ld bytes allowed", max);
	else if (st != 200)
		rc = err_set(st == 0 || st >= 500 ? EX_TEMPFAIL : EX_DATAERR,
		    "telegram: download: %ld", st);
	else if (write(fd, ans.p, ans.len) != (ssize_t)ans.len)
		rc = err_set(EX_IOERR, "media: write:");
	(void)mime; (void)mlen;
out:
	buf_free(&req);
	buf_free(&ans);
	return rc;
}

static int
tg_check(struct chan *c)
{
	struct buf req = BUF_INIT, ans = BUF_INIT;
	char why[300];
	long st;
	int rc = 0;

	buf_adds(&req, "{}");
	st = call(c, "getMe", &req, &ans, 30, NULL);
	if (st != 200 || !json_valid(ans.p, ans.len, NULL, 0)
	    || !jp_str(ans.p, ans.len, "result.username", c->bot, sizeof c->bot)) {
		describe(&ans, st, why, sizeof why, NULL);
		rc = st == 0 ? EX_UNAVAILABLE : err_set(st == 401 || st == 404 ? EX_NOPERM
		    : EX_UNAVAILABLE, "getMe: %s", why);
	}
	buf_free(&req);
	buf_free(&ans);
	return rc;
}

static int
tg_hook(struct chan *c, const char *u, const char *secret)
{
	struct buf req = BUF_INIT, ans = BUF_INIT;
	char why[300];
	long st;
	int rc = 0;

	if (u) {
		buf_adds(&req, "{\"url\":");
		buf_add_json_str(&req, u, strlen(u));
		buf_adds(&req, ",\"secret_token\":");
		buf_add_json_str(&req, secret, strlen(secret));
		buf_adds(&req, ",\"allowed_updates\":[\"message\"]}");
	} else
		buf_adds(&req, "{}");
	st = call(c, u ? "setWebhook" : "deleteWebhook", &req, &ans, 30, NULL);
	if (st != 200) {
		describe(&ans, st, why, sizeof why, NULL);
		rc = st == 0 ? EX_UNAVAILABLE : err_set(st == 401 ? EX_NOPERM : EX_UNAVAILABLE,
		    "%s: %s", u ? "setWebhook" : "deleteWebhook", why);
	}
	buf_free(&req);
	buf_free(&ans);
	return rc;
}

const struct chan_conn chan_telegram = {
	.hook = tg_hook,
	.kind = "telegram",
	.base_url = "https://api.telegram.org",
	.text_max = 4096,
	.can_edit = 1,
	.parse = tg_parse,
	.poll = tg_poll,
	.send = tg_send,
	.typing = tg_typing,
	.voice = tg_voice,
	.media = tg_media,
	.check = tg_check,
};
