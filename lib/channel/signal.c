/* signal: the connector to a user-run `signal-cli daemon` (REFERENCE.md §4) — JSON-RPC
 * 2.0, one object a line, over its UNIX socket or TCP: `receive` notifications, `send`. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "channel/chan.h"
#include "channel/jpath.h"

#define SIG_LINE_MAX (CHAN_UPDATE_MAX + 4096)   /* a longer line is skipped, not stored */
#define SIG_CALL_MS 60000

/* The one connection of this process, kept between polls: signal-cli hands each
 * received message to the connections open at that moment. */
static int sig_fd = -1;
static struct buf sig_in;              /* bytes read, not yet a whole line */
static long long sig_id;
static struct buf sig_held;            /* notifications read while a call waited */

static void
rpc_close(void)
{
	if (sig_fd >= 0)
		close(sig_fd);
	sig_fd = -1;
	buf_reset(&sig_in);
}

/* channels.NAME.rpc: unix:/path or tcp:host:port. */
static int
rpc_open(struct chan *c)
{
	char rpc[512], host[256];
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL, *a;
	const char *colon;
	int fd = -1, e;

	if (sig_fd >= 0)
		return 0;
	chan_key(c, "rpc", rpc, sizeof rpc);
	if (!rpc[0])
		return err_set(EX_CONFIG, "%s: no daemon address (claw config set channels.%s.rpc"
		    " unix:PATH or tcp:HOST:PORT)", c->name, c->name);
	if (strncmp(rpc, "unix:", 5) == 0) {
		if (strlen(rpc + 5) >= sizeof un.sun_path || !rpc[5])
			return err_set(EX_CONFIG, "%s: %s: not a socket path", c->name, rpc);
		memcpy(un.sun_path, rpc + 5, strlen(rpc + 5) + 1);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0
		    || connect(fd, (struct sockaddr *)&un, sizeof un) < 0) {
			e = errno;
			if (fd >= 0)
				close(fd);
			return err_set(EX_TEMPFAIL, "%s: %s: cannot connect: %s (is signal-cli"
			    " daemon running?)", c->name, rpc, strerror(e));
		}
	} else if (strncmp(rpc, "tcp:", 4) == 0 && (colon = strrchr(rpc + 4, ':'))
	    && colon > rpc + 4 && (size_t)(colon - rpc - 4) < sizeof host) {
		snprintf(host, sizeof host, "%.*s", (int)(colon - rpc - 4), rpc + 4);
		if ((e = getaddrinfo(host, colon + 1, &hints, &ai)) != 0)
			return err_set(EX_TEMPFAIL, "%s: %s: %s", c->name, rpc, gai_strerror(e));
		for (a = ai, e = ECONNREFUSED; a; a = a->ai_next) {
			if ((fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
				continue;
			if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
				break;
			e = errno;
			close(fd);
			fd = -1;
		}
		freeaddrinfo(ai);
		if (fd < 0)
			return err_set(EX_TEMPFAIL, "%s: %s: cannot connect: %s (is signal-cli"
			    " daemon running?)", c->name, rpc, strerror(e));
	} else
		return err_set(EX_CONFIG, "%s: %s: want unix:PATH or tcp:HOST:PORT", c->name, rpc);
	sig_fd = fd;
	buf_reset(&sig_in);
	return 0;
}

/* The next whole line into *line (NUL-terminated, without the newline), waiting up to
 * ms: 1, 0 on a timeout, or -1 when the daemon went away (err set). */
static int
rpc_line(struct chan *c, long long ms, struct buf *line)
{
	long long end = clock_mono_ms() + ms;
	char tmp[16384];
	char *nl;
	ssize_t r;
	struct pollfd p;

	for (;;) {
		if (sig_in.len && (nl = memchr(sig_in.p, '\n', sig_in.len))) {
			size_t k = (size_t)(nl - sig_in.p);
			buf_reset(line);
			buf_add(line, sig_in.p, k);
			buf_addc(line, '\0');
			line->len = k;
			memmove(sig_in.p, nl + 1, sig_in.len - k - 1);
			sig_in.len -= k + 1;
			return 1;
		}
		if (sig_in.len > SIG_LINE_MAX) {
			rpc_close();
			return err_set(EX_TEMPFAIL, "%s: the daemon sent a line over %u bytes",
			    c->name, SIG_LINE_MAX), -1;
		}
		p.fd = sig_fd;
		p.events = POLLIN;
		ms = end - clock_mono_ms();
		if (ms < 0)
			ms = 0;
		if ((r = poll(&p, 1, (int)ms)) < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return 0;
		if ((r = read(sig_fd, tmp, sizeof tmp)) < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rpc_close();
			return err_set(EX_TEMPFAIL, "%s: the daemon closed the connection%s%s",
			    c->name, r ? ": " : "", r ? strerror(errno) : ""), -1;
		}
		buf_add(&sig_in, tmp, (size_t)r);
	}
}

static void
add_account(struct chan *c, struct buf *b)
{
	char acct[64];

	chan_key(c, "account", acct, sizeof acct);
	if (acct[0]) {       /* a daemon without -a serves several accounts */
		buf_adds(b, ",\"account\":");
		buf_add_json_str(b, acct, strlen(acct));
	}
}

/* Write one request line; its id. */
static long long
rpc_write(struct chan *c, const char *method, const struct buf *params)
{
	struct buf b = BUF_INIT;
	size_t off = 0;
	ssize_t w;

	buf_printf(&b, "{\"jsonrpc\":\"2.0\",\"method\":\"%s\",\"params\":{", method);
	buf_add(&b, params->p ? params->p : "", params->len);
	if (params->len)
		add_account(c, &b);
	else {
		struct buf a = BUF_INIT;
		add_account(c, &a);
		if (a.len)
			buf_add(&b, a.p + 1, a.len - 1);
		buf_free(&a);
	}
	buf_printf(&b, "},\"id\":%lld}\n", ++sig_id);
	while (off < b.len) {
		if ((w = write(sig_fd, b.p + off, b.len - off)) < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			buf_free(&b);
			rpc_close();
			return err_set(EX_TEMPFAIL, "%s: write to the daemon:", c->name), -1;
		}
		off += (size_t)w;
	}
	buf_free(&b);
	return sig_id;
}

static void
media_item(struct buf *m, const char *att, size_t an)
{
	char id[256], mime[128], fname[256];
	const char *kind;
	long long size = 0;

	if (!jp_str(att, an, "id", id, sizeof id) || !id[0])
		return;
	if (!jp_str(att, an, "contentType", mime, sizeof mime))
		snprintf(mime, sizeof mime, "application/octet-stream");
	jp_int(att, an, "size", &size);
	fname[0] = '\0';
	jp_str(att, an, "filename", fname, sizeof fname);
	kind = strncmp(mime, "image/", 6) == 0 ? "photo" : strncmp(mime, "audio/", 6) == 0
	    ? "voice" : strncmp(mime, "video/", 6) == 0 ? "video" : "document";
	buf_adds(m, m->len ? ",{\"kind\":\"" : "[{\"kind\":\"");
	buf_adds(m, kind);
	buf_adds(m, "\",\"id\":");
	buf_add_json_str(m, id, strlen(id));
	buf_adds(m, ",\"mime\":");
	buf_add_json_str(m, mime, strlen(mime));
	buf_printf(m, ",\"size\":%lld", size);
	if (fname[0]) {
		buf_adds(m, ",\"name\":");
		buf_add_json_str(m, fname, strlen(fname));
	}
	buf_addc(m, '}');
}

/* Does the array v (mentions: {number, uuid}) name who (number or uuid)? */
static int
names(const char *v, size_t vn, const char *who)
{
	const char *e;
	size_t en, off = 0;
	char x[80];

	if (!*who)
		return 0;
	while (json_array_next(v, vn, &off, &e, &en))
		if (*e == '{' && ((jp_str(e, en, "number", x, sizeof x) && strcmp(x, who) == 0)
		    || (jp_str(e, en, "uuid", x, sizeof x) && strcmp(x, who) == 0)))
			return 1;
	return 0;
}

/* One envelope into m: 0, 1 when it carries no message (receipts, typing, sync), or
 * EX_DATAERR. */
static int
envelope(struct chan *c, const char *e, size_t en, size_t whole, struct chan_msg *m)
{
	const char *d, *v;
	size_t dn, vn, off = 0;
	char ts[32], who[80], acct[64];

	if (*e != '{')
		return err_set(EX_DATAERR, "signal: the envelope is not an object");
	if (!jp_get(e, en, "dataMessage", &d, &dn) || *d != '{')
		return 1;
	if (!jp_str(e, en, "sourceNumber", m->sender, sizeof m->sender) || !m->sender[0])
		if (!jp_str(e, en, "sourceUuid", m->sender, sizeof m->sender) || !m->sender[0])
			jp_str(e, en, "source", m->sender, sizeof m->sender);
	if (!jp_str(e, en, "timestamp", ts, sizeof ts) || !m->sender[0]
	    || strspn(ts, "0123456789") != strlen(ts) || !ts[0])
		return err_set(EX_DATAERR, "signal: an envelope without source or timestamp");
	snprintf(m->ext, sizeof m->ext, "%.40s:%s", m->sender, ts);
	snprintf(m->msgid, sizeof m->msgid, "%s:%s", ts, m->sender);
	jp_str(e, en, "sourceName", m->name, sizeof m->name);
	if (whole > CHAN_UPDATE_MAX) {
		snprintf(m->peer, sizeof m->peer, "%s", m->sender);
		m->oversized = 1;
		return 0;
	}
	if (jp_str(d, dn, "groupInfo.groupId", who, sizeof who) && who[0]) {
		m->group = 1;
		snprintf(m->peer, sizeof m->peer, "group:%s", who);
	} else
		snprintf(m->peer, sizeof m->peer, "%s", m->sender);
	jp_text(d, dn, "message", &m->text);
	if (jp_get(d, dn, "attachments", &v, &vn) && *v == '[') {
		const char *a;
		size_t an;
		while (json_array_next(v, vn, &off, &a, &an))
			if (*a == '{')
				media_item(&m->media, a, an);
		if (m->media.len)
			buf_addc(&m->media, ']');
	}
	/* the account, as add learned it (no store read: the parser runs on its own) */
	snprintf(acct, sizeof acct, "%s", c->bot[0] == '+' ? c->bot : "");
	m->addressed = !m->group
	    || (jp_get(d, dn, "mentions", &v, &vn) && *v == '[' && names(v, vn, acct))
	    || (acct[0] && jp_str(d, dn, "quote.authorNumber", who, sizeof who)
	    && strcmp(who, acct) == 0)
	    || (acct[0] && jp_str(d, dn, "quote.author", who, sizeof who)
	    && strcmp(who, acct) == 0);
	if (!m->text.len && !m->media.len)
		m->skip = 1;                  /* reactions, deletes, polls: nothing to answer */
	return 0;
}

/* One line from the daemon: a receive notification → fn; responses and other
 * notifications are not messages (0). */
static int
sig_parse(struct chan *c, const char *body, size_t n, chan_msg_fn *fn, void *ctx)
{
	const char *e;
	size_t en;
	char method[32];
	struct chan_msg m;
	int rc;

	while (n && strchr(" \t\r\n", body[n - 1]))
		n--;
	if (!json_valid(body, n, NULL, 0) || *body != '{')
		return err_set(EX_DATAERR, "signal: not a JSON-RPC message");
	if (!jp_str(body, n, "method", method, sizeof method) || strcmp(method, "receive"))
		return 0;
	/* --receive-mode=on-start: params.envelope; subscribeReceive: params.result.envelope */
	if (!jp_get(body, n, "params.envelope", &e, &en)
	    && !jp_get(body, n, "params.result.envelope", &e, &en))
		return err_set(EX_DATAERR, "signal: a receive notification without an envelope");
	chan_msg_init(&m);
	if ((rc = envelope(c, e, en, n, &m)) == 0)
		rc = fn(c, &m, ctx);
	else if (rc == 1)
		rc = 0;
	chan_msg_free(&m);
	return rc;
}

static int
sig_poll(struct chan *c, const char *cursor, int timeout, chan_msg_fn *fn, void *ctx, char *next,
    size_t nextlen)
{
	struct buf line = BUF_INIT;
	long long wait = (long long)timeout * 1000;
	int rc = 0, got = 0, r = 0;

	snprintf(next, nextlen, "%s", cursor);
	if (sig_held.len) {          /* what came in while a send waited for its answer */
		struct buf h = sig_held;
		size_t off = 0, k;
		sig_held = (struct buf)BUF_INIT;
		for (; !rc && off < h.len; off += k + 1) {
			k = (size_t)((char *)memchr(h.p + off, '\n', h.len - off) - (h.p + off));
			if ((rc = sig_parse(c, h.p + off, k, fn, ctx)) == EX_DATAERR)
				rc = 0;
			got++;
		}
		buf_free(&h);
		if (rc)
			return rc;
		wait = 0;
	}
	if (sig_fd < 0 && wait < 1000)
		wait = 1000;          /* a fresh connection: what waited comes in a moment */
	if ((rc = rpc_open(c)))
		return got ? 0 : rc;
	/* Until the first message, then whatever follows at once: a batch. */
	while ((r = rpc_line(c, got ? 50 : wait, &line)) == 1) {
		if (line.len > SIG_LINE_MAX)
			continue;
		if ((rc = sig_parse(c, line.p, line.len, fn, ctx)) == EX_DATAERR) {
			rc = 0;               /* one bad line from the daemon: skipped, said */
			fprintf(stderr, "claw-channel: %s\n", err_msg());
			continue;
		}
		if (rc)
			break;
		got++;
	}
	buf_free(&line);
	if (r < 0 && !got && !rc)
		rc = EX_TEMPFAIL;
	return rc;
}

/* A request and its answer: the result's text into res (NULL: not wanted); 0, or
 * an exit code with the daemon's error.  Notifications read meanwhile are for the
 * poller: a send waits on a connection of its own when none is open. */
static int
call(struct chan *c, const char *method, const struct buf *params, struct buf *res,
    long long *code)
{
	struct buf line = BUF_INIT;
	long long id, got;
	const char *v;
	size_t vn;
	char msg[200];
	int rc = 0, r;

	*code = 0;
	if ((rc = rpc_open(c)))
		return rc;
	if ((id = rpc_write(c, method, params)) < 0)
		return EX_TEMPFAIL;
	while ((r = rpc_line(c, SIG_CALL_MS, &line)) == 1) {
		if (!json_valid(line.p, line.len, NULL, 0))
			continue;
		if (!jp_int(line.p, line.len, "id", &got)) {
			buf_add(&sig_held, line.p, line.len);   /* the poller's, kept */
			buf_addc(&sig_held, '\n');
			continue;
		}
		if (got != id)
			continue;
		if (jp_get(line.p, line.len, "error", &v, &vn) && *v == '{') {
			msg[0] = '\0';
			jp_str(v, vn, "message", msg, sizeof msg);
			jp_int(v, vn, "code", code);
			rc = err_set(EX_DATAERR, "signal: %s: %s", method, msg[0] ? msg : "error");
		} else if (res && jp_get(line.p, line.len, "result", &v, &vn))
			buf_add(res, v, vn);
		break;
	}
	if (r == 0) {
		rpc_close();          /* its answer may still come: never read as another's */
		rc = err_set(EX_TEMPFAIL, "signal: %s: no answer in %d s", method,
		    SIG_CALL_MS / 1000);
	} else if (r < 0)
		rc = EX_TEMPFAIL;
	buf_free(&line);
	return rc;
}

/* recipient or groupId of peer. */
static void
add_peer(struct buf *b, const char *peer)
{
	if (strncmp(peer, "group:", 6) == 0) {
		buf_adds(b, "\"groupId\":");
		buf_add_json_str(b, peer + 6, strlen(peer + 6));
	} else {
		buf_adds(b, "\"recipient\":[");
		buf_add_json_str(b, peer, strlen(peer));
		buf_addc(b, ']');
	}
}

/* send with message and/or attachments (stored paths, read by the daemon as it sends). */
static void
send_params(struct chan *c, const char *peer, const char *text, const char *attachment,
    const char *reply_to, struct chan_sent *r)
{
	struct buf p = BUF_INIT, res = BUF_INIT;
	long long code;
	const char *colon;
	int rc;

	memset(r, 0, sizeof *r);
	r->retry_after = -1;
	add_peer(&p, peer);
	if (text) {
		buf_adds(&p, ",\"message\":");
		buf_add_json_str(&p, text, strlen(text));
	}
	if (attachment) {
		buf_adds(&p, ",\"attachments\":[");
		buf_add_json_str(&p, attachment, strlen(attachment));
		buf_addc(&p, ']');
	}
	/* reply_to is "TIMESTAMP:AUTHOR": a quote of that message */
	if (reply_to && *reply_to && (colon = strchr(reply_to, ':'))
	    && strspn(reply_to, "0123456789") == (size_t)(colon - reply_to)) {
		buf_printf(&p, ",\"quoteTimestamp\":%.*s,\"quoteAuthor\":",
		    (int)(colon - reply_to), reply_to);
		buf_add_json_str(&p, colon + 1, strlen(colon + 1));
	}
	rc = call(c, "send", &p, &res, &code);
	if (rc == 0) {
		r->how = SENT_OK;
		if (res.len && *res.p == '{')
			jp_str(res.p, res.len, "timestamp", r->ext, sizeof r->ext);
	} else {
		/* The daemon away or a rate limit: later.  Anything else it refused. */
		r->how = rc == EX_TEMPFAIL || strstr(err_msg(), "ate limit") ? SENT_RETRY
		    : SENT_FATAL;
		snprintf(r->why, sizeof r->why, "%s", err_msg());
	}
	buf_free(&p);
	buf_free(&res);
}

static void
sig_send(struct chan *c, const char *peer, const char *text, const char *reply_to,
    const char *edit_id, struct chan_sent *r)
{
	(void)edit_id;
	send_params(c, peer, text, NULL, reply_to, r);
}

/* The voice note as an audio attachment (signal-cli's send has no voice-note flag). */
static void
sig_voice(struct chan *c, const char *peer, const char *path, const struct buf *audio,
    const char *reply_to, struct chan_sent *r)
{
	(void)audio;    /* signal-cli reads the file itself */
	send_params(c, peer, NULL, path, reply_to, r);
}

static void
sig_typing(struct chan *c, const char *peer, const char *msgid)
{
	struct buf p = BUF_INIT;

	(void)msgid;
	add_peer(&p, peer);
	/* Its answer is read and dropped by whichever read comes next. */
	if (rpc_open(c) == 0)
		rpc_write(c, "sendTyping", &p);
	buf_free(&p);
}

/* signal-cli keeps what it received in its data directory, named by the id. */
static int
sig_media(struct chan *c, const char *id, int fd, long max, char *mime, size_t mlen)
{
	char dir[1024], path[1400], tmp[16384];
	const char *home = getenv("HOME");
	long total = 0;
	ssize_t r;
	int in, rc = 0;

	(void)mime; (void)mlen;
	if (!*id || *id == '.' || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") != strlen(id))
		return err_set(EX_DATAERR, "signal: %s: not an attachment id", id);
	chan_key(c, "attachments", dir, sizeof dir);
	if (!dir[0])
		snprintf(dir, sizeof dir, "%s/.local/share/signal-cli/attachments",
		    home ? home : "");
	snprintf(path, sizeof path, "%s/%s", dir, id);
	if ((in = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return err_set(errno == ENOENT ? EX_DATAERR : EX_IOERR, "%s:", path);
	while ((r = read(in, tmp, sizeof tmp)) > 0) {
		if ((total += r) > max) {
			rc = err_set(EX_DATAERR, "the file is over the %ld bytes allowed", max);
			break;
		}
		if (write(fd, tmp, (size_t)r) != r) {
			rc = err_set(EX_IOERR, "media: write:");
			break;
		}
	}
	if (r < 0 && !rc)
		rc = err_set(EX_IOERR, "%s:", path);
	close(in);
	return rc;
}

static int
sig_check(struct chan *c)
{
	struct buf none = BUF_INIT, res = BUF_INIT;
	long long code;
	int rc;

	chan_key(c, "account", c->bot, sizeof c->bot);
	rc = call(c, "version", &none, &res, &code);
	if (rc == EX_TEMPFAIL) {
		char why[300];
		snprintf(why, sizeof why, "%s", err_msg());
		rc = err_set(EX_UNAVAILABLE, "%s", why);
	}
	if (!rc && !c->bot[0])
		snprintf(c->bot, sizeof c->bot, "signal-cli");
	buf_free(&res);
	rpc_close();
	return rc;
}

const struct chan_conn chan_signal = {
	.kind = "signal",
	.base_url = "",
	.text_max = 2000,
	.no_token = 1,
	.parse = sig_parse,
	.poll = sig_poll,
	.send = sig_send,
	.typing = sig_typing,
	.voice = sig_voice,
	.media = sig_media,
	.check = sig_check,
};
