/* The HTTP response parser behind plain http:// requests. */
#include <time.h>

#include "net/http_resp.h"
#include "tap.h"

struct got {
	struct buf body;
	int stop_after;   /* stop when this many bytes arrived (0: never) */
};

static int
collect(const char *p, size_t n, void *ctx)
{
	struct got *g = ctx;

	buf_add(&g->body, p, n);
	return g->stop_after && g->body.len >= (size_t)g->stop_after;
}

/* The headers told, as "name=value;" each. */
static void
heard(const char *name, const char *value, void *ctx)
{
	struct got *g = ctx;

	buf_printf(&g->body, "%s=%s;", name, value);
}

/* Parse text fed in pieces of step bytes (0: whole), then EOF.  Returns the last result. */
static int
run(const char *text, size_t step, struct http_resp *h, struct got *g)
{
	size_t n = strlen(text), off = 0;
	int r = 0;

	http_resp_init(h, collect, g);
	buf_reset(&g->body);
	while (off < n && r == 0) {
		size_t take = step && step < n - off ? step : n - off;
		r = http_resp_feed(h, text + off, take);
		off += take;
	}
	if (r == 0)
		r = http_resp_eof(h);
	return r;
}

int
main(void)
{
	static const char chunked[] =
	    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: "
	        "chunked\r\n\r\n"
	    "7\r\ndata: a\r\n18;ext=1\r\n\n\ndata: {\"x\":\"h\xc3\xa9llo\"}\n\n\r\n0\r\nTrailer: "
	        "x\r\n\r\n";
	struct got g = { BUF_INIT, 0 };
	struct http_resp h;
	char date[64], resp[256];
	size_t step;
	time_t later;
	int all = 1;

	ok(run("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0, &h, &g) == 1,
	    "a Content-Length body completes");
	is_str(g.body.p, "hello", "with the body");
	is_int(h.status, 200, "and the status");
	http_resp_free(&h);

	for (step = 1; step <= sizeof chunked; step++) {
		int r = run(chunked, step, &h, &g);
		all &= r == 1 && g.body.len == 7 + 24 &&
		    memcmp(g.body.p, "data: a\n\ndata: {", 16) == 0;
		http_resp_free(&h);
	}
	ok(all, "a chunked body with extensions and trailers parses the same cut at any size");

	ok(run("HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 0, &h, &g) == 1,
	    "bare LF line ends are accepted");
	http_resp_free(&h);
	ok(run("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx", 0,
	    &h, &g) == 1
	    && h.status == 201, "an interim 100 is skipped");
	http_resp_free(&h);
	ok(run("HTTP/1.0 200 OK\r\n\r\nuntil the close", 3, &h, &g) == 1,
	    "no length: the body runs to EOF");
	is_str(g.body.p, "until the close", "all of it");
	http_resp_free(&h);
	ok(run("HTTP/1.1 204 No Content\r\n\r\n", 0, &h, &g) == 1 && g.body.len == 0,
	    "204 has no body");
	http_resp_free(&h);

	ok(run("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", 0, &h, &g) == -1,
	    "a short body is cut short");
	is_str(h.error, "transfer closed with outstanding read data remaining", "and says so");
	http_resp_free(&h);
	ok(run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", 0, &h, &g) == -1,
	    "a chunk cut short too");
	http_resp_free(&h);
	ok(run("HTTP/1.1 200 OK\r\nContent-", 0, &h, &g) == -1, "so is a head");
	is_str(h.error, "connection closed before the response head", "which it names");
	http_resp_free(&h);

	ok(run("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", 0, &h,
	    &g) == -1,
	    "Content-Length with chunked is refused");
	http_resp_free(&h);
	ok(run("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab", 0, &h,
	    &g) == -1,
	    "differing Content-Lengths are refused");
	http_resp_free(&h);
	ok(run("HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nab", 0, &h, &g) == -1,
	    "a signed length is refused");
	http_resp_free(&h);
	ok(run("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 0, &h, &g) == -1,
	    "an unknown coding is refused");
	http_resp_free(&h);
	ok(run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n", 0,
	    &h, &g) == -1,
	    "a chunk size that overflows is refused");
	http_resp_free(&h);
	ok(run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n", 0, &h,
	    &g) == -1,
	    "chunk data not followed by CRLF is refused");
	http_resp_free(&h);
	ok(run("HTTP/2 200\r\n\r\n", 0, &h, &g) == -1,
	    "a status line that is not HTTP/1.x is refused");
	http_resp_free(&h);
	ok(run("HTTP/1.1 200 OK\r\nBad header\r\n\r\n", 0, &h, &g) == -1,
	    "a header with no colon is refused");
	http_resp_free(&h);
	ok(run("HTTP/1.1 200 OK\r\nName : v\r\n\r\n", 0, &h, &g) == -1,
	    "space before the colon is refused");
	http_resp_free(&h);
	{
		struct buf big = BUF_INIT;
		buf_adds(&big, "HTTP/1.1 200 OK\r\n");
		while (big.len < HTTP_RESP_MAXHEAD + 10)
			buf_adds(&big, "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
		ok(run(big.p, 4096, &h, &g) == -1, "a head over the cap is refused");
		http_resp_free(&h);
		buf_free(&big);
	}

	{
		static const char rl[] = "HTTP/1.1 100 Continue\r\nX-Early: no\r\n\r\n"
		    "HTTP/1.1 429 Too Many Requests\r\nX-RateLimit-Remaining: 0\r\n"
		    "X-RateLimit-Reset-After:  64.57 \r\nContent-Length: 0\r\n\r\n";
		http_resp_init(&h, NULL, &g);
		h.header = heard;
		buf_reset(&g.body);
		for (step = 0; step < sizeof rl - 1; step += 7) {
			size_t left = sizeof rl - 1 - step;
			http_resp_feed(&h, rl + step, left < 7 ? left : 7);
		}
		buf_addc(&g.body, '\0');
		is_str(g.body.p, "X-RateLimit-Remaining=0;X-RateLimit-Reset-After=64.57;"
		    "Content-Length=0;", "the final head's headers are told, trimmed; a 100's not");
		http_resp_free(&h);
	}
	ok(run("HTTP/1.1 429 Too Many\r\nRetry-After: 7\r\nContent-Length: 2\r\n\r\n{}", 0, &h,
	    &g) == 1
	    && h.retry_after == 7, "Retry-After in seconds");
	http_resp_free(&h);
	later = time(NULL) + 120;
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime(&later));
	snprintf(resp, sizeof resp,
	    "HTTP/1.1 503 Busy\r\nRetry-After: %s\r\nContent-Length: 0\r\n\r\n", date);
	ok(run(resp, 0, &h, &g) == 1 && h.retry_after >= 118 && h.retry_after <= 120,
	    "Retry-After as an HTTP-date (%ld)",
	    h.retry_after);
	http_resp_free(&h);

	g.stop_after = 3;
	ok(run("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabcdefghi", 0, &h, &g) == 2,
	    "the body callback can stop it");
	http_resp_free(&h);
	buf_free(&g.body);
	return done_testing();
}
