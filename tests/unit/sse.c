/* Unit tests for lib/net/sse.c: the provider stream shapes, line ends, and the same
 * events however the bytes are cut. */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "net/sse.h"
#include "tap.h"

/* What a parse saw: one line per event, `name "data"`, data as a JSON string so
 * newlines and NULs stay visible in a failure. */
struct rec {
	struct buf log;
	int n;
	int stop_at;    /* return non-zero from the callback on this event (1-based) */
};

static int
record(const char *event, const char *data, size_t len, void *ctx)
{
	struct rec *r = ctx;

	buf_adds(&r->log, event);
	buf_addc(&r->log, ' ');
	buf_add_json_str(&r->log, data, len);
	buf_addc(&r->log, '\n');
	if (data[len] != '\0')
		buf_adds(&r->log, "(data not NUL-terminated)\n");
	r->n++;
	return r->n == r->stop_at ? 7 : 0;
}

static char last[1 << 16];
static int last_rc;

/* Parse in[0..n) fed in pieces of step bytes; the log, also kept in `last`. */
static const char *
parse_step(const char *in, size_t n, size_t step)
{
	struct rec r = { BUF_INIT, 0, 0 };
	struct sse s;
	size_t i, k;
	int rc = 0;

	sse_init(&s, record, &r);
	for (i = 0; i < n && rc == 0; i += k) {
		k = n - i < step ? n - i : step;
		rc = sse_feed(&s, in + i, k);
	}
	sse_free(&s);
	last_rc = rc;
	snprintf(last, sizeof(last), "%s", r.log.p ? r.log.p : "");
	buf_free(&r.log);
	return last;
}

#define PARSE(lit) parse_step(lit, sizeof(lit) - 1, (size_t)-1)

/* Parse in[0..n) cut at the given offsets (ascending, count of them). */
static char *
parse_cuts(const char *in, size_t n, const size_t *cut, int ncut)
{
	struct rec r = { BUF_INIT, 0, 0 };
	struct sse s;
	size_t from = 0;
	int i;

	sse_init(&s, record, &r);
	for (i = 0; i <= ncut; i++) {
		size_t to = i < ncut ? cut[i] : n;
		sse_feed(&s, in + from, to - from);
		from = to;
	}
	sse_free(&s);
	return buf_steal(&r.log);
}

/* Every single cut and every pair of cuts must give exactly the whole-feed events. */
static int
same_at_every_cut(const char *in, size_t n, int pairs)
{
	char *whole, *got;
	size_t c[2];
	int bad = 0;

	whole = parse_cuts(in, n, NULL, 0);
	for (c[0] = 0; c[0] <= n && !bad; c[0]++) {
		got = parse_cuts(in, n, c, 1);
		if (strcmp(got, whole) != 0) {
			note("cut at %zu differs:\n%s", c[0], got);
			bad = 1;
		}
		free(got);
		for (c[1] = c[0]; pairs && c[1] <= n && !bad; c[1]++) {
			got = parse_cuts(in, n, c, 2);
			if (strcmp(got, whole) != 0) {
				note("cuts at %zu,%zu differ:\n%s", c[0], c[1], got);
				bad = 1;
			}
			free(got);
		}
	}
	free(whole);
	return !bad;
}

static const char openai[] =
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n"
    "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: [DONE]\n\n";

static const char anthropic[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"role\":\"assistant\"}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
        "\"text\":\"\"}}\n\n"
    "event: ping\n"
    "data: {\"type\": \"ping\"}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
        "\"text\":\"Hi\"}}\n\n"
    "event: error\n"
    "data: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
        "\"Overloaded\"}}\n\n";

/* Everything at once, with text in several scripts, for the cutting tests. */
static const char mixed[] =
    ": keep-alive\r\n"
    "event: content_block_delta\r"
    "data: {\"text\":\"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\"}\r\n"
    "\r\n"
    "id: 7\n"
    "data: one\n"
    "data:two\n"
    "\n"
    "event: ping\r\r"
    "data: [DONE]\r\n\r\n";

int
main(void)
{
	struct rec r = { BUF_INIT, 0, 0 };
	struct sse s;
	struct buf big = BUF_INIT;
	int rc;

	/* OpenAI chat completions: unnamed events, ended by [DONE]. */
	is_str(PARSE(openai),
	    "message \"{\\\"id\\\":\\\"c1\\\",\\\"object\\\":\\\"chat.completion.chunk\\\","
	        "\\\"choices\\\":[{\\\"index\\\":0,"
	    "\\\"delta\\\":{\\\"role\\\":\\\"assistant\\\",\\\"content\\\":\\\"\\\"},"
	        "\\\"finish_reason\\\":null}]}\"\n"
	    "message \"{\\\"id\\\":\\\"c1\\\",\\\"choices\\\":[{\\\"index\\\":0,\\\"delta\\\":"
	        "{\\\"content\\\":\\\"Hi\\\"}}]}\"\n"
	    "message \"{\\\"id\\\":\\\"c1\\\",\\\"choices\\\":[{\\\"index\\\":0,\\\"delta\\\":{},"
	        "\\\"finish_reason\\\":\\\"stop\\\"}]}\"\n"
	    "message \"[DONE]\"\n",
	    "OpenAI chunks and [DONE]");
	is_int(last_rc, 0, "OpenAI stream: 0");

	/* Anthropic Messages: named events, an error after others with a 200 status. */
	PARSE(anthropic);
	ok(strstr(last, "message_start \"{") == last, "Anthropic: message_start first");
	ok(strstr(last, "\ncontent_block_start \"{") != NULL, "Anthropic: content_block_start");
	ok(strstr(last, "\nping \"{\\\"type\\\": \\\"ping\\\"}\"\n") != NULL, "Anthropic: ping");
	ok(strstr(last,
	    "\ncontent_block_delta \"{\\\"type\\\":\\\"content_block_delta\\\"") != NULL,
	    "Anthropic: content_block_delta");
	ok(strstr(last,
	    "\nerror \"{\\\"type\\\":\\\"error\\\",\\\"error\\\":{\\\"type\\\":"
	    "\\\"overloaded_error\\\"") != NULL,
	    "Anthropic: event: error after the others");
	is_str(PARSE("event: ping\ndata: 1\n\ndata: 2\n\n"), "ping \"1\"\nmessage \"2\"\n",
	    "the name resets to message after a dispatch");
	is_str(PARSE("event: ping\n\ndata: 2\n\n"), "message \"2\"\n",
	    "an event without data is not dispatched, and its name does not carry over");
	is_str(PARSE("event:\ndata: x\n\n"), "message \"x\"\n", "an empty event name is message");

	/* Line ends. */
	is_str(PARSE("data: a\r\n\r\ndata: b\r\n\r\n"), "message \"a\"\nmessage \"b\"\n", "CRLF");
	is_str(PARSE("event: e\rdata: a\r\rdata: b\r\r"), "e \"a\"\nmessage \"b\"\n", "bare CR");
	is_str(PARSE("data: a\r\n\ndata: b\n\r\n"), "message \"a\"\nmessage \"b\"\n",
	    "CRLF, LF and CR mixed");
	is_str(PARSE("data: a\n\r\r\n"), "message \"a\"\n", "CR then CRLF are two line ends");

	/* Comments and keep-alives. */
	is_str(PARSE(": keep-alive\n\n:\ndata: a\n: inside an event\ndata: b\n\n"),
	    "message \"a\\nb\"\n", "comments are skipped, also inside an event");
	is_str(PARSE(": only a comment\n\n"), "", "a comment alone dispatches nothing");

	/* Fields. */
	is_str(PARSE("data: a\ndata:b\ndata:  c\ndata\ndata:\n\n"),
	    "message \"a\\nb\\n c\\n\\n\"\n",
	    "data lines join with \\n; one space stripped; bare `data` is an empty line");
	is_str(PARSE("data\n\n"), "message \"\"\n",
	    "a field without a colon: data with an empty value");
	is_str(PARSE("id: 1\nretry: 10\nfoo: bar\nDATA: no\ndata : no\ndata: yes\n\n"),
	    "message \"yes\"\n",
	    "id, retry, unknown and misspelt fields are ignored");
	is_str(PARSE("data: a:b: c\n\n"), "message \"a:b: c\"\n", "only the first colon separates");
	parse_step("data: a\0b\n\n", 11, 100);
	is_str(last, "message \"a\\u0000b\"\n", "a NUL byte in data keeps the length");
	is_str(PARSE("event: "
	    "0123456789012345678901234567890123456789012345678901234567890123456789\ndata: x\n\n"),
	    "012345678901234567890123456789012345678901234567890123456789012 \"x\"\n",
	    "a long event name is cut to the buffer");
	is_str(PARSE("event: "
	    "01234567890123456789012345678901234567890123456789012345678901\xc3\xa9\ndata: x\n\n"),
	    "01234567890123456789012345678901234567890123456789012345678901 \"x\"\n",
	    "and never inside a UTF-8 character");

	/* The end of the stream. */
	is_str(PARSE("data: a\n\ndata: b\n"), "message \"a\"\n",
	    "no blank line at the end: not dispatched");
	is_str(PARSE("data: a\n\ndata: b"), "message \"a\"\n",
	    "no line end at all: not dispatched");

	/* A leading BOM, whole or cut; anywhere else it is part of a field name. */
	is_str(PARSE("\xef\xbb\xbf" "data: a\n\n"), "message \"a\"\n", "a leading BOM is skipped");
	ok(same_at_every_cut("\xef\xbb\xbf" "data: a\n\n", 12, 1),
	    "a BOM cut anywhere is still skipped");
	is_str(PARSE("\xef\xbb\xbf\xef\xbb\xbf" "data: a\n\ndata: b\n\n"), "message \"b\"\n",
	    "only one BOM is skipped");
	is_str(PARSE("\n\xef\xbb\xbf" "data: a\n\ndata: b\n\n"), "message \"b\"\n",
	    "a BOM after the start is not");
	is_str(parse_step("\xef\xbb" "data: a\n\ndata: b\n\n", 20, 1), "message \"b\"\n",
	    "half a BOM is the start of a line");
	is_str(parse_step("\xef" "\ndata: b\n\n", 11, 1), "message \"b\"\n",
	    "a line end right after part of a BOM ends the first line");

	/* Cut anywhere: one byte at a time, and at every split point. */
	{
		char whole[sizeof(last)];

		snprintf(whole, sizeof(whole), "%s", PARSE(anthropic));
		is_str(parse_step(anthropic, sizeof(anthropic) - 1, 1), whole,
		    "Anthropic one byte at a time");
		snprintf(whole, sizeof(whole), "%s", PARSE(mixed));
		is_str(whole,
		    "content_block_delta \"{\\\"text\\\":\\\"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac "
		        "\xf0\x9f\x98\x80\\\"}\"\n"
		    "message \"one\\ntwo\"\n"
		    "message \"[DONE]\"\n", "the mixed sample parses whole");
		is_str(parse_step(mixed, sizeof(mixed) - 1, 1), whole, "mixed one byte at a time");
		is_str(parse_step(mixed, sizeof(mixed) - 1, 3), whole,
		    "mixed three bytes at a time");
	}
	ok(same_at_every_cut(mixed, sizeof(mixed) - 1, 1),
	    "mixed, UTF-8 text: same events at every cut and pair of cuts");
	ok(same_at_every_cut(openai, sizeof(openai) - 1, 0), "OpenAI: same events at every cut");
	is_str(parse_step("data: a\r", 8, 8), "", "a CR ending a feed ends the line ...");
	{
		size_t c[] = { 8 };
		char *got = parse_cuts("data: a\r\ndata: b\n\n", 18, c, 1);
		is_str(got, "message \"a\\nb\"\n",
		    "... and a LF starting the next is the same line end");
		free(got);
	}

	/* A callback's non-zero return stops the feed and is returned. */
	r.stop_at = 2;
	sse_init(&s, record, &r);
	rc = sse_feed(&s, "data: 1\n\ndata: 2\n\ndata: 3\n\n", 27);
	is_int(rc, 7, "the callback's return value comes back");
	is_int(r.n, 2, "no event after the one that stopped");
	sse_free(&s);
	buf_free(&r.log);

	/* A line longer than SSE_MAXLINE is an error, and stays one. */
	buf_adds(&big, "data: ");
	while (big.len < SSE_MAXLINE)
		buf_addc(&big, 'x');
	buf_adds(&big, "\n\n");
	r = (struct rec){ BUF_INIT, 0, 0 };
	sse_init(&s, record, &r);
	is_int(sse_feed(&s, big.p, big.len), 0, "a line of exactly SSE_MAXLINE bytes is fine");
	is_int(r.n, 1, "and is dispatched");
	sse_free(&s);
	buf_free(&r.log);

	big.len -= 2;
	buf_adds(&big, "y\n\n");
	r = (struct rec){ BUF_INIT, 0, 0 };
	sse_init(&s, record, &r);
	is_int(sse_feed(&s, big.p, big.len), -1, "one byte more: -1");
	is_int(s.failed, 1, "failed is set");
	is_int(sse_feed(&s, "data: a\n\n", 9), -1, "later feeds: -1");
	is_int(r.n, 0, "nothing dispatched");
	sse_free(&s);

	sse_init(&s, record, &r);
	rc = 0;
	for (size_t i = 0; i < big.len && rc == 0; i += 4096)
		rc = sse_feed(&s, big.p + i, big.len - i < 4096 ? big.len - i : 4096);
	is_int(rc, -1, "an over-long line fed in pieces: -1");
	sse_free(&s);

	sse_init(&s, record, &r);
	big.len -= 2;   /* no line end: the carried partial line itself is too long */
	is_int(sse_feed(&s, big.p, big.len), -1, "an over-long partial line: -1");
	sse_free(&s);
	buf_free(&big);
	buf_free(&r.log);

	/* Zero-length feeds change nothing. */
	r = (struct rec){ BUF_INIT, 0, 0 };
	sse_init(&s, record, &r);
	sse_feed(&s, NULL, 0);
	sse_feed(&s, "\xef\xbb\xbf" "data: a\r", 11);
	sse_feed(&s, NULL, 0);
	sse_feed(&s, "\n\n", 2);
	is_int(r.n, 1, "empty feeds between a CR and its LF");
	is_str(r.log.p, "message \"a\"\n", "and the event is right");
	sse_free(&s);
	buf_free(&r.log);

	return done_testing();
}
