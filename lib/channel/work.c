/* work: the flow of one channel.  Each step is its own short transaction: a
 * message is claimed (working, our pid), answered, then finished together with
 * its answer's parts; a part is claimed (sending), sent, then recorded. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/path.h"
#include "base/proc.h"
#include "base/record.h"
#include "channel/jpath.h"
#include "channel/pair.h"
#include "channel/queue.h"
#include "channel/split.h"
#include "channel/voice.h"
#include "channel/work.h"
#include "store/config.h"
#include "store/store.h"

#define MAXBATCH 64
#define TYPING_MS 4000                /* Telegram shows "typing" for 5 s at most */
#define EDIT_MS 1500                  /* stream=edit: at most one edit this often */
#define TURN_TIMEOUT_MS (30 * 60 * 1000)

static const char help_text[] =
    "Commands:\n"
    "/new - start a fresh conversation\n"
    "/model - show the model; /model NAME sets it for this chat\n"
    "/help - this list";

struct ingest {
	int begun, stored, dups;
};

static int
ingest_one(struct chan *c, struct chan_msg *m, void *ctx)
{
	struct ingest *g = ctx;
	int rc;

	if (!g->begun) {
		if ((rc = store_begin_write(c->db)))
			return rc;
		g->begun = 1;
	}
	if ((rc = q_ingest(c, m, NULL)) < 0)
		return -rc;
	if (rc)
		g->stored++;
	else
		g->dups++;
	return 0;
}

int
work_poll(struct chan *c, int timeout, int *stored)
{
	struct ingest g = { 0 };
	char cursor[32], next[32];
	long long t0 = clock_mono_ms();
	int rc;

	*stored = 0;
	if (!c->conn->poll)
		return err_set(EX_USAGE, "%s: its messages come through the gateway's webhook"
		    " (claw channel work %s answers them)", c->name, c->name);
	if ((rc = q_cursor(c, cursor, sizeof cursor)))
		return rc;
	rc = c->conn->poll(c, cursor, timeout, ingest_one, &g, next, sizeof next);
	/* The cursor moves in the transaction that stored the updates: past what is
	 * stored, never further, so a crash before the commit fetches them again. */
	if (g.begun) {
		if (!rc && strcmp(next, cursor))
			rc = q_set_cursor(c, next);
		rc = store_end(c->db, rc);
	}
	*stored = rc ? 0 : g.stored;
	/* The service away (a daemon not running, a network down): said in status, and
	 * cleared by the first poll that reaches it again. */
	if (rc == EX_TEMPFAIL) {
		char why[300];
		snprintf(why, sizeof why, "%s", err_msg());
		c->down = q_set_error(c, why) == 0;
		err_set(EX_TEMPFAIL, "%s", why);
	} else if (!rc && c->down)
		c->down = q_set_error(c, "") != 0;
	if (g.stored || rc)
		telemetry_add(&c->tel, "poll", clock_mono_ms() - t0, rc == 0, NULL);
	return rc;
}

int
work_ingest(struct chan *c, const char *body, size_t n, int *stored, int *dups)
{
	struct ingest g = { 0 };
	int rc;

	*stored = *dups = 0;
	if ((rc = store_begin_write(c->db)))
		return rc;
	g.begun = 1;
	rc = c->conn->parse(c, body, n, ingest_one, &g);
	if (!rc && c->conn->statuses)
		rc = c->conn->statuses(c, body, n);
	if ((rc = store_end(c->db, rc)) == 0) {
		*stored = g.stored;
		*dups = g.dups;
	}
	return rc;
}

/* --- deciding --- */

static int
in_list(const char *list, const char *id)
{
	size_t il = strlen(id);
	const char *p = list;

	while (*p) {
		size_t l = strcspn(p, ", ");
		if (l == il && memcmp(p, id, l) == 0)
			return 1;
		p += l;
		p += strspn(p, ", ");
	}
	return 0;
}

/* May sender talk?  1 yes; 0 no and the message is finished (a code sent, or
 * nothing); -exit code. */
static int
admit(struct chan *c, const struct q_in *q)
{
	char state[16], list[2048], code[PAIR_LEN + 1], text[400];
	int rc, fresh;

	if ((rc = q_sender(c, q->sender, state, sizeof state)))
		return -rc;
	if (strcmp(state, "denied") == 0)
		return (rc = q_finish(c, q->id, "denied", NULL, NULL, NULL, NULL)) ? -rc : 0;
	if (c->policy == CHAN_OPEN || strcmp(state, "allowed") == 0)
		return 1;
	chan_key(c, "allow", list, sizeof list);
	if (in_list(list, q->sender))
		return 1;
	if (c->policy == CHAN_ALLOWLIST || q->group)
		return (rc = q_finish(c, q->id, "denied", "not on the allowlist", NULL, NULL,
		    NULL)) ? -rc : 0;
	rc = pair_code(c->db, c->name, q->sender, q->peer, q->name, code, &fresh);
	if (rc == EX_TEMPFAIL)          /* the owner has enough to read: say nothing */
		return (rc = q_finish(c, q->id, "paired", err_msg(), NULL, NULL, NULL)) ? -rc : 0;
	if (rc)
		return -rc;
	snprintf(text, sizeof text, "This assistant is private. Your pairing code is %s"
	    " (valid for an hour). Its owner can let you in with:\n"
	    "claw channel pair approve %s %s", code, c->name, code);
	return (rc = q_finish(c, q->id, "paired", fresh ? "code sent" : "code sent again",
	    q->peer, text, "")) ? -rc : 0;
}

/* /new, /model, /help (and Telegram's /start): 1 when text was one (answered). */
static int
command(struct chan *c, const struct q_in *q, int *rc)
{
	char word[32], arg[200], session[200], model[200], text[600], *dflt = NULL;
	const char *t = q->text, *sp;
	size_t wl;

	*rc = 0;
	if (*t != '/')
		return 0;
	wl = strcspn(t + 1, " @\n");
	if (wl == 0 || wl >= sizeof word)
		return 0;
	memcpy(word, t + 1, wl);
	word[wl] = '\0';
	sp = t + 1 + wl + strcspn(t + 1 + wl, " \n");
	snprintf(arg, sizeof arg, "%s", sp + strspn(sp, " \n"));
	arg[strcspn(arg, " \n")] = '\0';
	if (strcmp(word, "new") == 0) {
		if (!(*rc = q_chat_new(c, q->peer)))
			*rc = q_finish(c, q->id, "done", "/new", q->peer,
			    "Started a new conversation.", q->msgid);
	} else if (strcmp(word, "model") == 0) {
		if (arg[0] && config_check("model", arg))
			snprintf(text, sizeof text, "%s", err_msg());
		else if (arg[0] && !(*rc = q_chat_model(c, q->peer, arg)))
			snprintf(text, sizeof text, "This chat now uses %s.", arg);
		else if (!*rc) {
			*rc = q_chat(c, q->peer, session, sizeof session, model, sizeof model);
			config_get(c->db, "model", &dflt, NULL);
			snprintf(text, sizeof text, "This chat uses %s%s.",
			    model[0] ? model : dflt ? dflt : "the configured model",
			    model[0] ? "" : " (the default)");
			free(dflt);
		}
		if (!*rc)
			*rc = q_finish(c, q->id, "done", "/model", q->peer, text, q->msgid);
	} else if (strcmp(word, "help") == 0 || strcmp(word, "start") == 0)
		*rc = q_finish(c, q->id, "done", word, q->peer, help_text, q->msgid);
	else
		return 0;
	return 1;
}

/* Download the message's media: photos into attach (JSON strings of paths), the
 * rest kept.  A reply for the user into say when something cannot go on. */
static int
fetch_media(struct chan *c, const struct q_in *q, struct buf *attach, int *voice,
    char *say, size_t sn)
{
	char dir[4096], path[4200], mime[128], kind[16], id[256];
	const char *it;
	size_t in, off = 0;
	int i = 0, fd, rc = 0;

	*voice = 0;
	if (path_in_home(dir, sizeof dir, "media") || path_mkdirs(dir, 0700)
	    || (snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/%s", c->name),
	    path_mkdirs(dir, 0700)))
		return err_set(EX_CANTCREAT, "%s: cannot create it:", dir);
	while (!rc && json_array_next(q->media, strlen(q->media), &off, &it, &in)) {
		long long size = 0;
		if (!jp_str(it, in, "kind", kind, sizeof kind)
		    || !jp_str(it, in, "id", id, sizeof id))
			continue;
		jp_int(it, in, "size", &size);
		if (!jp_str(it, in, "mime", mime, sizeof mime))
			mime[0] = '\0';
		if (strcmp(kind, "photo") && strcmp(kind, "voice") && strcmp(kind, "audio")
		    && !(strcmp(kind, "document") == 0 && (strncmp(mime, "text/", 5) == 0
		    || strncmp(mime, "image/", 6) == 0))) {
			snprintf(say, sn, "I can read text, photos and text files; this %s is"
			    " kept but not read.", kind);
			continue;
		}
		if (size > c->media_max) {
			snprintf(say, sn, "That file is too big (%lld bytes; the limit is %ld).",
			    size, c->media_max);
			continue;
		}
		snprintf(path, sizeof path, "%s/%lld-%d", dir, q->id, i++);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return err_set(EX_CANTCREAT, "%s:", path);
		rc = c->conn->media(c, id, fd, c->media_max, mime, sizeof mime);
		close(fd);
		if (rc) {               /* too big, gone, or the service away: say so */
			unlink(path);
			snprintf(say, sn, "I could not take that file: %s.", err_msg());
			rc = 0;
		} else if (strcmp(kind, "voice") == 0 || strcmp(kind, "audio") == 0) {
			*voice = 1;           /* kept; claw-chat transcribes it when stt is set */
			if (voice_stt_on(c)) {
				buf_adds(attach, attach->len ? "," : "");
				buf_add_json_str(attach, path, strlen(path));
			}
		} else {
			buf_adds(attach, attach->len ? "," : "");
			buf_add_json_str(attach, path, strlen(path));
		}
	}
	return rc;
}

/* --- turns --- */

struct slot {
	struct q_in *q;
	int done, started;
	struct buf text;              /* stream=edit: the answer so far */
	char preview[96];             /* stream=edit: the message being edited */
	long long edited;
};

/* The claw-chat request of a message that goes to the model; 0 or 1 (answered
 * here) or an exit code. */
static int
request(struct chan *c, struct q_in *q, struct buf *req)
{
	char session[200], model[200], say[300] = "";
	struct buf attach = BUF_INIT;
	int rc, voice = 0, n;

	if ((n = admit(c, q)) <= 0)
		return n < 0 ? -n : 1;
	if (q->group && !q->addressed)
		return (rc = q_finish(c, q->id, "skipped", "not addressed", NULL, NULL, NULL))
		    ? rc : 1;
	if (command(c, q, &rc))
		return rc ? rc : 1;
	if (strcmp(q->media, "[]") && (rc = fetch_media(c, q, &attach, &voice, say, sizeof say))) {
		buf_free(&attach);
		return rc;
	}
	q->voice = voice;
	if (voice && !q->text[0] && !attach.len)
		snprintf(say, sizeof say, "Voice messages are not set up yet: the recording is"
		    " kept, but please type your message for now.");
	if (say[0] && !q->text[0] && !attach.len) {
		buf_free(&attach);
		return (rc = q_finish(c, q->id, "done", voice ? "voice kept" : "media not read",
		    q->peer, say, q->msgid)) ? rc : 1;
	}
	if ((rc = q_chat(c, q->peer, session, sizeof session, model, sizeof model))) {
		buf_free(&attach);
		return rc;
	}
	buf_printf(req, "{\"id\":%lld,\"prompt\":", q->id);
	if (q->group && q->name[0]) {       /* who said it, in a room of several */
		struct buf p = BUF_INIT;
		buf_printf(&p, "[%s] %s", q->name, q->text);
		buf_add_json_str(req, p.p ? p.p : "", p.len);
		buf_free(&p);
	} else
		buf_add_json_str(req, q->text, strlen(q->text));
	buf_adds(req, ",\"session\":");
	buf_add_json_str(req, session, strlen(session));
	if (model[0]) {
		buf_adds(req, ",\"model\":");
		buf_add_json_str(req, model, strlen(model));
	}
	if (attach.len)
		buf_printf(req, ",\"attachments\":[%s]", attach.p);
	buf_adds(req, "}\n");
	buf_free(&attach);
	return 0;
}

static struct slot *
slot_of(struct slot *s, int n, const char *ev, size_t len)
{
	long long id;
	int i;

	if (!jp_int(ev, len, "id", &id))
		return NULL;
	for (i = 0; i < n; i++)
		if (s[i].q->id == id && !s[i].done)
			return &s[i];
	return NULL;
}

/* stream=edit: show the answer so far in one message, edited as it grows. */
static void
preview(struct chan *c, struct slot *s)
{
	struct chan_sent r;
	long long now = clock_mono_ms();

	if (now - s->edited < EDIT_MS || !s->text.len
	    || split_units(s->text.p, s->text.len) > c->conn->text_max)
		return;
	s->edited = now;
	c->conn->send(c, s->q->peer, s->text.p, s->q->msgid, s->preview, &r);
	if (r.how == SENT_OK && !s->preview[0])
		snprintf(s->preview, sizeof s->preview, "%s", r.ext);
}

static int
event(struct chan *c, struct slot *v, int n, const char *ev, size_t len, int *left)
{
	char type[16];
	struct buf t = BUF_INIT;
	struct slot *s;
	int rc = 0;

	if (!jp_str(ev, len, "type", type, sizeof type) || !(s = slot_of(v, n, ev, len)))
		return 0;
	if (strcmp(type, "delta") == 0 && c->stream_edit && c->conn->can_edit) {
		jp_text(ev, len, "text", &s->text);
		preview(c, s);
	} else if (strcmp(type, "message") == 0) {
		jp_text(ev, len, "text", &t);
		rc = q_finish_voice(c, s->q->id, "done", NULL, s->q->peer, t.p ? t.p : "",
		    s->q->msgid, s->preview, voice_wanted(c, s->q->voice));
		s->done = 1;
		(*left)--;
		telemetry_add(&c->tel, "turn", -1, 1, NULL);
	} else if (strcmp(type, "error") == 0) {
		static const char sorry[] = "Sorry, I could not answer: ";
		buf_adds(&t, sorry);
		jp_text(ev, len, "message", &t);
		rc = t.oom ? err_set(EX_SOFTWARE, "out of memory") : q_finish(c, s->q->id, "failed",
		    t.p + sizeof sorry - 1, s->q->peer, t.p, s->q->msgid);
		s->done = 1;
		(*left)--;
		telemetry_add(&c->tel, "turn", -1, 0, NULL);
	}
	buf_free(&t);
	return rc;
}

/* Run the requests through one claw-chat --requests -P n; typing shown meanwhile. */
static int
run_chat(struct chan *c, struct slot *v, int n, const struct buf *reqs)
{
	char prog[4096], par[16];
	char *argv[] = { prog, "--requests", "-P", par, NULL };
	struct buf out = BUF_INIT;
	struct proc p;
	size_t woff = 0;
	long long deadline = clock_mono_ms() + TURN_TIMEOUT_MS, typed = 0;
	int rc = 0, left = n, i, st;

	if (path_find_prog("claw-chat", prog, sizeof prog))
		return err_set(EX_UNAVAILABLE, "claw-chat: not installed");
	snprintf(par, sizeof par, "%d", n);
	if ((rc = proc_spawn(&p, argv, NULL)))
		return rc;
	fcntl(p.in, F_SETFL, O_NONBLOCK);
	while (p.out >= 0 && clock_mono_ms() < deadline) {
		struct pollfd fds[2] = { { p.out, POLLIN, 0 }, { p.in, POLLOUT, 0 } };
		long long now = clock_mono_ms();
		if (now - typed >= TYPING_MS && c->conn->typing) {
			for (i = 0; i < n; i++)
				if (v[i].started && !v[i].done)
					c->conn->typing(c, v[i].q->peer, v[i].q->msgid);
			typed = clock_mono_ms();
		}
		if (poll(fds, p.in >= 0 ? 2 : 1, TYPING_MS) < 0 && errno != EINTR)
			break;
		if (p.in >= 0 && fds[1].revents) {
			ssize_t w = write(p.in, reqs->p + woff, reqs->len - woff);
			if (w > 0)
				woff += (size_t)w;
			if (woff >= reqs->len || (w < 0 && errno != EAGAIN && errno != EINTR)) {
				close(p.in);
				p.in = -1;
			}
		}
		if (fds[0].revents) {
			char chunk[16384];
			const char *rec, *why;
			size_t off = 0, len;
			ssize_t r = read(p.out, chunk, sizeof chunk);
			if (r <= 0) {
				if (r < 0 && errno == EINTR)
					continue;
				close(p.out);
				p.out = -1;
				break;
			}
			buf_add(&out, chunk, (size_t)r);
			while (!rc && record_take(&out, &off, RECORD_MAXLINE, &rec, &len, &why) > 0)
				if (rec)
					rc = event(c, v, n, rec, len, &left);
			buf_consume(&out, off);
		}
	}
	if (p.in >= 0)
		close(p.in);
	if (p.out >= 0)
		close(p.out);
	st = proc_wait(&p, 5000);
	for (i = 0; !rc && i < n; i++)
		if (v[i].started && !v[i].done)
			rc = q_finish(c, v[i].q->id, "failed", "claw-chat gave no answer",
			    v[i].q->peer,
			    st == PROC_TIMEDOUT ? "Sorry, that took too long." :
			    "Sorry, I could not answer (claw-chat stopped).", v[i].q->msgid);
	buf_free(&out);
	return rc;
}

int
work_turns(struct chan *c)
{
	struct q_in q[MAXBATCH];
	struct slot v[MAXBATCH];
	struct buf reqs = BUF_INIT;
	int n = 0, i, rc, started = 0, max = c->parallel < MAXBATCH ? (int)c->parallel : MAXBATCH;

	if ((rc = q_claim(c, q, max, &n)) || n == 0)
		return rc ? -rc : 0;
	memset(v, 0, sizeof v);
	for (i = 0; i < n && !rc; i++) {
		size_t before = reqs.len;
		v[i].q = &q[i];
		rc = request(c, &q[i], &reqs);
		if (rc == 1)
			rc = 0;                 /* answered here */
		else if (!rc && reqs.len > before) {
			v[i].started = 1;
			started++;
		}
	}
	if (!rc && started)
		rc = run_chat(c, v, n, &reqs);
	for (i = 0; i < n; i++)
		buf_free(&v[i].text);
	buf_free(&reqs);
	q_in_free(q, n);
	return rc ? -rc : n;
}

/* --- sending --- */

static long long
backoff(long attempts)
{
	long long ms = 1000LL << (attempts > 6 ? 6 : attempts - 1);

	return ms > 60000 ? 60000 : ms;
}

long long
work_next_due(struct chan *c)
{
	sqlite3_stmt *st;
	long long t = -1, now = clock_wall_ms();

	if (store_prepare(c->db, &st, "SELECT min(next_at) FROM channel_egress"
	    " WHERE channel = ? AND state = 'queued'"))
		return -1;
	sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		t = sqlite3_column_int64(st, 0) - now;
	sqlite3_finalize(st);
	return t < 0 && t != -1 ? 0 : t;
}

int
work_send(struct chan *c, long long wait_ms)
{
	long long deadline = clock_mono_ms() + wait_ms, wait, t0;
	struct chan_sent r;
	struct q_out o;
	char why[400];
	int got, rc = 0, sent = 0;

	for (;;) {
		if ((got = q_next_out(c, &o, &wait)) < 0)
			return got;
		if (!got) {
			if (wait < 0 || clock_mono_ms() + wait > deadline)
				return sent;
			usleep((useconds_t)(wait > 0 ? wait : 1) * 1000);
			continue;
		}
		t0 = clock_mono_ms();
		if (o.voice)
			voice_send(c, &o, &r);
		else
			c->conn->send(c, o.peer, o.text, o.reply_to, o.edit, &r);
		telemetry_add(&c->tel, "send", clock_mono_ms() - t0, r.how == SENT_OK, NULL);
		if (r.how == SENT_OK) {
			rc = q_out_sent(c, o.id, r.ext);
			sent++;
		} else if (r.how == SENT_RETRY && o.attempts < c->max_attempts)
			rc = q_out_retry(c, o.id, clock_wall_ms() + (r.retry_after > 0
			    ? r.retry_after * 1000LL : backoff(o.attempts)), r.why);
		else {
			snprintf(why, sizeof why, "%s%s", r.why, r.how == SENT_RETRY
			    ? " (gave up after the last attempt)" : "");
			rc = q_out_dead(c, o.id, why);
		}
		free(o.text);
		if (rc)
			return -rc;
	}
}
