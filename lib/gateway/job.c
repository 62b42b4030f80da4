/* job: a chat turn runs claw-chat --requests and a skill run claw-skill run, each
 * as a child whose output (NDJSON events) becomes the answer: streamed as
 * server-sent events while it arrives, or whole when it ends. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/path.h"
#include "base/proc.h"
#include "base/record.h"
#include "store/config.h"
#include "gateway/job.h"
#include "gateway/reply.h"
#include "gateway/responses.h"

#define SSE_KEEPALIVE_MS 15000
#define JOB_MAXOUT (4u << 20)     /* what a skill run may answer */
#define JOB_MAXLINE (8u << 20)    /* one event of claw-chat (a whole message) */

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

#define ROUND_SEP "\n\n"          /* between the text of rounds that tools split */

struct chat {
	struct gw_out *o;
	int out;
	int started;                  /* the 200 and its head went out */
	int gone;                     /* the client went away */
	int status;
	int round_break;              /* tools ran since the last text */
	struct buf message, error;    /* the last message and error events */
	struct buf said;              /* the answer: every round's text, ROUND_SEP between */
	char id[40];
	char model[160];              /* the one that answered, once known */
	long long created;
	struct gw_resp resp;
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
	buf_printf(b, "data: {\"id\":\"%s\",\"object\":\"chat.completion.chunk\","
	    "\"created\":%lld,\"model\":",
	    c->id, c->created);
	buf_add_json_str(b, c->model, strlen(c->model));
	buf_adds(b, ",\"choices\":[");
}

static void
send_or_gone(struct chat *c, struct buf *b)
{
	if (!c->gone && !b->oom && put(c->out, b->p, b->len))
		c->gone = 1;
}

/* The message event with its text the whole answer's (said), for /api/v1/chat. */
static void
message_said(struct chat *c, const char *ev, size_t n, struct buf *b)
{
	const char *v;
	size_t vn;

	if (!json_member(ev, n, "text", &v, &vn)) {
		buf_add(b, ev, n);
		return;
	}
	buf_add(b, ev, (size_t)(v - ev));
	buf_add_json_str(b, c->said.p ? c->said.p : "", c->said.len);
	buf_add(b, v + vn, n - (size_t)(v + vn - ev));
}

/* The stream's opening, as each route's format has it. */
static void
open_stream(struct chat *c, struct buf *b)
{
	gw_head(b, 200, "text/event-stream", -1, 1, "X-Accel-Buffering: no\r\n");
	if (c->o->job == GW_COMPLETIONS) {
		chunk_start(c, b);
		buf_adds(b, "{\"index\":0,\"delta\":{\"role\":\"assistant\","
		    "\"content\":\"\"},\"finish_reason\":null}]}\n\n");
	} else if (c->o->job == GW_RESPONSES)
		gw_resp_begin(b, &c->resp, c->model);
	c->started = 1;
	c->status = 200;
}

/* A piece of the answer's text (sep: ROUND_SEP before it) in the route's format. */
static void
stream_text(struct chat *c, struct buf *b, const char *type, const char *t, size_t tn, int sep)
{
	int delta = strcmp(type, "delta") == 0;

	if (c->o->job == GW_RESPONSES) {
		if (delta && sep)
			gw_resp_delta(b, &c->resp, ROUND_SEP, strlen(ROUND_SEP));
		if (delta)
			gw_resp_delta(b, &c->resp, t, tn);
		return;                /* reasoning is not in the Responses subset */
	}
	if (sep) {
		chunk_start(c, b);
		buf_adds(b, "{\"index\":0,\"delta\":{\"content\":\"" "\\n\\n" "\"},"
		    "\"finish_reason\":null}]}\n\n");
	}
	chunk_start(c, b);
	buf_adds(b, delta ? "{\"index\":0,\"delta\":{\"content\":"
	    : "{\"index\":0,\"delta\":{\"reasoning_content\":");
	buf_add_json_str(b, t, tn);
	buf_adds(b, "},\"finish_reason\":null}]}\n\n");
}

static void
stream_end(struct chat *c, struct buf *b, const char *ev, size_t n)
{
	long long in = event_num(ev, n, "usage", "in");
	long long out = event_num(ev, n, "usage", "out");
	long long cached = event_num(ev, n, "usage", "cached");

	if (c->o->job == GW_RESPONSES) {
		c->resp.cached = cached;
		gw_resp_end(b, &c->resp, c->model, c->said.p, c->said.len, in, out);
		return;
	}
	chunk_start(c, b);
	buf_adds(b, "{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
	if (c->o->usage_chunk) {
		chunk_start(c, b);
		buf_printf(b, "],\"usage\":{\"prompt_tokens\":%lld,"
		    "\"completion_tokens\":%lld,\"total_tokens\":%lld,"
		    "\"prompt_tokens_details\":{\"cached_tokens\":%lld}}}\n\n",
		    in, out, in + out, cached);
	}
	buf_adds(b, "data: [DONE]\n\n");
}

static void
stream_error(struct chat *c, struct buf *b, const char *ev, size_t n)
{
	struct buf t = BUF_INIT, m = BUF_INIT;
	int status;

	json_member_text(ev, n, "message", &t);
	status = gw_client_error(event_num(ev, n, "code", NULL), t.p ? t.p : "error", &m, NULL);
	if (c->o->job == GW_RESPONSES)
		gw_resp_error(b, &c->resp, status, m.p ? m.p : "error");
	else {
		buf_adds(b, "data: ");
		gw_error_body(b, status, m.p ? m.p : "error");
		buf_adds(b, "\n\n");
	}
	buf_free(&t);
	buf_free(&m);
}

/* The first event that is not an error opens the stream; an error before it
 * becomes an ordinary error answer with its proper status.  Every route's
 * answer is the text of every round, ROUND_SEP between rounds that tools
 * split, streamed or whole alike. */
static void
chat_event(struct chat *c, const char *ev, size_t n)
{
	struct buf b = BUF_INIT, t = BUF_INIT;
	char type[24];
	int sep = 0;

	/* Which tools claw-chat offered is for its own --json reader, not a client. */
	if (!json_member_str(ev, n, "type", type, sizeof type) || strcmp(type, "tools") == 0)
		return;
	if (strcmp(type, "message") == 0) {
		buf_reset(&c->message);
		buf_add(&c->message, ev, n);
		json_member_text(ev, n, "model", &t);
		if (t.len && t.len < sizeof c->model)
			memcpy(c->model, t.p, t.len + 1);
		buf_reset(&t);
	} else if (strcmp(type, "error") == 0) {
		buf_reset(&c->error);
		buf_add(&c->error, ev, n);
	} else if (strcmp(type, "tool_call") == 0)
		c->round_break = 1;
	else if (strcmp(type, "delta") == 0) {
		json_member_text(ev, n, "text", &t);
		if (t.len) {
			sep = c->round_break && c->said.len;
			if (sep)
				buf_adds(&c->said, ROUND_SEP);
			buf_add(&c->said, t.p, t.len);
			c->round_break = 0;
		}
	} else if (strcmp(type, "reasoning") == 0)
		json_member_text(ev, n, "text", &t);
	if (!c->o->stream || (!c->started && strcmp(type, "error") == 0))
		goto out;
	if (!c->started)
		open_stream(c, &b);
	if (c->o->job == GW_CHAT) {
		if (sep)
			buf_adds(&b, "data: {\"type\":\"delta\",\"text\":\"\\n\\n\"}\n\n");
		buf_adds(&b, "data: ");
		if (strcmp(type, "message") == 0)
			message_said(c, ev, n, &b);
		else
			buf_add(&b, ev, n);
		buf_adds(&b, "\n\n");
	} else if ((strcmp(type, "delta") == 0 || strcmp(type, "reasoning") == 0) && t.len)
		stream_text(c, &b, type, t.p, t.len, sep);
	else if (strcmp(type, "message") == 0)
		stream_end(c, &b, ev, n);
	else if (strcmp(type, "error") == 0)
		stream_error(c, &b, ev, n);
	send_or_gone(c, &b);
out:
	buf_free(&b);
	buf_free(&t);
}

/* The answer of a turn that did not stream. */
static void
chat_answer(struct chat *c)
{
	struct gw_out *o = c->o;
	struct buf b = BUF_INIT, t = BUF_INIT;
	const char *ev = c->message.p, *said = c->said.p ? c->said.p : "";
	size_t n = c->message.len;
	long long in, out;

	if (!n) {
		long long code = c->error.len ? event_num(c->error.p, c->error.len, "code", NULL)
		    : EX_SOFTWARE;
		struct buf m = BUF_INIT;
		int retry, status;
		if (c->error.len)
			json_member_text(c->error.p, c->error.len, "message", &t);
		status = gw_client_error(code, t.len ? t.p : "claw-chat gave no answer", &m,
		    &retry);
		o->close = 1;
		gw_error_extra(o, status, m.p ? m.p : "error", retry ? "Retry-After: 1\r\n" : NULL);
		buf_free(&t);
		buf_free(&m);
		return;
	}
	in = event_num(ev, n, "usage", "in");
	out = event_num(ev, n, "usage", "out");
	c->resp.cached = event_num(ev, n, "usage", "cached");
	if (o->job == GW_CHAT) {
		buf_adds(&b, "{\"reply\":");
		buf_add_json_str(&b, said, c->said.len);
		json_member_text(ev, n, "session", &t);
		buf_adds(&b, ",\"session\":");
		buf_add_json_str(&b, t.p ? t.p : "", t.len);
		buf_adds(&b, ",\"model\":");
		buf_add_json_str(&b, c->model, strlen(c->model));
		buf_printf(&b, ",\"usage\":{\"in\":%lld,\"out\":%lld,\"cached\":%lld}}", in,
		    out, c->resp.cached);
	} else if (o->job == GW_RESPONSES)
		gw_resp_object(&b, &c->resp, c->model, said, c->said.len, in, out);
	else {
		buf_printf(&b, "{\"id\":\"%s\",\"object\":\"chat.completion\",\"created\":%lld,"
		    "\"model\":", c->id, c->created);
		buf_add_json_str(&b, c->model, strlen(c->model));
		buf_adds(&b, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
		    "\"content\":");
		buf_add_json_str(&b, said, c->said.len);
		buf_printf(&b, "},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":%lld,"
		    "\"completion_tokens\":%lld,\"total_tokens\":%lld,"
		    "\"prompt_tokens_details\":{\"cached_tokens\":%lld}}}", in, out, in + out,
		    c->resp.cached);
	}
	o->close = 1;
	gw_answer_ok(o, &b);
	buf_free(&b);
	buf_free(&t);
}

static int
job_chat(struct gw *g, struct gw_out *o, int out)
{
	char prog[4096], chunk[16384], node[4096], *dispatch = NULL;
	char *argv[] = { prog, "--requests", NULL };
	/* gateway.dispatch=cluster: the turn runs on a peer by cluster.strategy (claw-node(1)) */
	char *cluster[] = { node, "exec", "--", "claw-chat", "--requests", NULL }, **av = argv;
	struct chat c = { .o = o, .out = out, .message = BUF_INIT, .error = BUF_INIT,
	    .said = BUF_INIT };
	struct buf line = BUF_INIT;
	unsigned char rnd[12];
	struct proc p;
	size_t i;
	int rc, toobig = 0;

	randombytes_buf(rnd, sizeof rnd);
	memcpy(c.id, "chatcmpl-", 9);
	for (i = 0; i < sizeof rnd; i++)
		snprintf(c.id + 9 + 2 * i, 3, "%02x", rnd[i]);
	c.created = clock_wall_ms() / 1000;
	snprintf(c.model, sizeof c.model, "%s", o->name[0] ? o->name : "claw");
	gw_resp_init(&c.resp, o->id, c.created);
	gw_store(g);
	if (config_get(g->db, "gateway.dispatch", &dispatch, NULL) == 0 && dispatch
	    && strcmp(dispatch, "cluster") == 0
	    && path_find_prog("claw-node", node, sizeof node) == 0)
		av = cluster;
	free(dispatch);
	if ((av == argv && path_find_prog("claw-chat", prog, sizeof prog) < 0)
	    || proc_spawn(&p, av, NULL)) {
		gw_error(o, 503, "claw-chat is not installed");
		goto send;
	}
	(void)put(p.in, o->arg.p, o->arg.len);   /* if it died at once, its exit says why */
	close(p.in);
	p.in = -1;
	for (;;) {
		struct pollfd fd = { p.out, POLLIN, 0 };
		const char *ev, *why;
		size_t off, evlen;
		ssize_t n;
		int k;
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
		off = 0;
		while ((k = record_take(&line, &off, JOB_MAXLINE, &ev, &evlen, &why)) > 0)
			if (ev)
				chat_event(&c, ev, evlen);
		buf_consume(&line, off);
		if (k < 0) {
			toobig = 1;
			c.gone = c.started;
			break;
		}
	}
	if (c.gone || toobig)
		kill(-p.pid, SIGTERM);         /* claw-chat keeps what it has and exits */
	rc = proc_wait(&p, c.gone ? 3000 : 30000);
	if (!c.message.len && !c.error.len && !c.gone) {
		char m[96];
		snprintf(m, sizeof m, "claw-chat ended without an answer (status %d)", rc);
		record_error(&c.error, EX_SOFTWARE, 0, m);
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
	buf_free(&c.said);
	buf_free(&line);
	return o->status;
}

/* A skill's events, in the order it wrote them; its result's text and its last error's message. */
struct skillout {
	struct buf b, result, error;
	size_t n;
};

static int
skill_event(const char *ev, size_t n, long lineno, const char *why, void *ctx)
{
	struct skillout *s = ctx;
	char type[16];

	if (!ev)
		return 0;                      /* not an event: the skill's noise, not the answer */
	buf_adds(&s->b, s->n++ ? "," : "");
	buf_add(&s->b, ev, n);
	if (json_member_str(ev, n, "type", type, sizeof type)) {
		if (strcmp(type, "result") == 0)
			buf_reset(&s->result), json_member_text(ev, n, "text", &s->result);
		else if (strcmp(type, "error") == 0)
			buf_reset(&s->error), json_member_text(ev, n, "message", &s->error);
	}
	return 0;
}

static int
job_skill(struct gw *g, struct gw_out *o, int out)
{
	char prog[4096], m[160];
	char *argv[] = { prog, "run", o->name, NULL };
	struct skillout s = { BUF_INIT, BUF_INIT, BUF_INIT, 0 };
	struct buf res = BUF_INIT;
	int rc, status, retry;

	if (path_find_prog("claw-skill", prog, sizeof prog) < 0) {
		gw_error(o, 503, "claw-skill is not installed");
		goto send;
	}
	rc = proc_run(argv, NULL, o->arg.p, o->arg.len, &res, JOB_MAXOUT, -1);
	buf_adds(&s.b, "{\"skill\":");
	buf_add_json_str(&s.b, o->name, strlen(o->name));
	buf_adds(&s.b, ",\"events\":[");
	record_each_mem(res.p, res.len, JOB_MAXOUT, skill_event, &s);
	buf_adds(&s.b, "],\"result\":");
	if (s.result.p)
		buf_add_json_str(&s.b, s.result.p, s.result.len);
	else
		buf_adds(&s.b, "null");
	buf_addc(&s.b, '}');
	status = gw_exit_status(rc, &retry);
	o->close = 1;
	if (status == 200)
		gw_answer_ok(o, &s.b);
	else {
		struct buf cm = BUF_INIT;
		if (rc == EX_NOINPUT)
			snprintf(m, sizeof m, "no such skill: %s", o->name);
		else
			snprintf(m, sizeof m, "claw-skill run ended with status %d", rc);
		status = gw_client_error(rc, s.error.len && rc != EX_NOINPUT ? s.error.p : m, &cm,
		    &retry);
		gw_error_extra(o, status, cm.p ? cm.p : m, retry ? "Retry-After: 1\r\n" : NULL);
		buf_free(&cm);
	}
send:
	buf_free(&res);
	buf_free(&s.b);
	buf_free(&s.result);
	buf_free(&s.error);
	return put(out, o->resp.p, o->resp.len) ? 0 : o->status;
}

/* An answer that waits for a child process, made here rather than in the loop. */
static int
job_child(struct gw *g, struct gw_out *o, int out)
{
	char *end;

	o->close = 1;                  /* the job's child has the connection until it ends */
	o->child(g, o);
	if (o->head && o->resp.p && (end = strstr(o->resp.p, "\r\n\r\n")))
		o->resp.len = (size_t)(end - o->resp.p) + 4;
	return put(out, o->resp.p, o->resp.len) ? 0 : o->status;
}

int
gw_job(struct gw *g, struct gw_out *o, int out)
{
	switch (o->job) {
	case GW_SKILL: return job_skill(g, o, out);
	case GW_CHILD: return job_child(g, o, out);
	default: return job_chat(g, o, out);
	}
}
