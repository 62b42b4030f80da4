/* The gateway's request-head parser: a table of heads and the answer each gets,
 * whole and cut at every byte, then the fields a good head yields. */
#include "base/buf.h"
#include "net/http_req.h"
#include "tap.h"

#define V(s) s, sizeof s - 1

/* want: 200 for a complete head (its length is up to the first blank line),
 * 0 for "not complete yet", else the status http_parse must answer. */
static const struct vec {
	const char *why, *in;
	size_t n;
	int want;
} vecs[] = {
	{ "a plain GET", V("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 200 },
	{ "GET with a query", V("GET /x/y?q=1&r=%20 HTTP/1.1\r\nHost: a:8080\r\n\r\n"), 200 },
	{ "HTTP/1.0 without Host", V("GET / HTTP/1.0\r\n\r\n"), 200 },
	{ "POST with a body after the head",
	    V("POST /v1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"), 200 },
	{ "pipelined requests: only the first head",
	    V("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\n"), 200 },
	{ "4 leading empty lines", V("\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 200 },
	{ "asterisk-form", V("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), 200 },
	{ "a lowercase method is a token", V("get / HTTP/1.1\r\nHost: a\r\n\r\n"), 200 },
	{ "obs-text and HTAB in a value", V("GET / HTTP/1.1\r\nHost: a\r\nX: \xc3\xa9\tb\r\n\r\n"),
	    200 },
	{ "an empty value", V("GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n"), 200 },
	{ "Content-Length of 18 digits",
	    V("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 000000000000000001\r\n\r\n"), 200 },
	{ "Expect: 100-continue",
	    V("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n"),
	    200 },

	{ "nothing yet", V(""), 0 },
	{ "half a request line", V("GET /index"), 0 },
	{ "a CR waiting for its LF", V("GET / HTTP/1.1\r"), 0 },
	{ "no blank line yet", V("GET / HTTP/1.1\r\nHost: a\r\n"), 0 },
	{ "absolute-form", V("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
	{ "authority-form", V("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
	{ "'*' followed by more", V("OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
	{ "5 leading empty lines", V("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
	    400 },
	{ "bare LF in the request line", V("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400 },
	{ "bare LF ends the head", V("GET / HTTP/1.1\r\nHost: a\r\n\n"), 400 },
	{ "a leading bare LF", V("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
	{ "bare CR in the request line", V("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
	{ "bare CR before the request", V("\r\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
	{ "bare CR in a value", V("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n"), 400 },
	{ "NUL in a value", V("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"), 400 },
	{ "NUL in the target, head not complete", V("GET /\0"), 400 },
	{ "two spaces after the method", V("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
	{ "two spaces before the version", V("GET /  HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
	{ "HTAB as a separator", V("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
	{ "a space after the version", V("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400 },
	{ "no version", V("GET /\r\nHost: a\r\n\r\n"), 400 },
	{ "no method", V(" / HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
	{ "a method that is not a token", V("GE(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
	{ "a control byte in the target", V("GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
	{ "obs-text in the target", V("GET /\xff HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
	{ "lowercase http", V("GET / http/1.1\r\nHost: a\r\n\r\n"), 400 },
	{ "HTTP/1", V("GET / HTTP/1\r\nHost: a\r\n\r\n"), 400 },
	{ "HTTP/1.10", V("GET / HTTP/1.10\r\nHost: a\r\n\r\n"), 400 },
	{ "HTTP/2.0", V("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505 },
	{ "HTTP/1.2", V("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 505 },
	{ "HTTP/0.9", V("GET / HTTP/0.9\r\n\r\n"), 505 },
	{ "no Host in 1.1", V("GET / HTTP/1.1\r\n\r\n"), 400 },
	{ "two Hosts", V("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), 400 },
	{ "two Hosts in 1.0 too", V("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), 400 },
	{ "a Host with a slash", V("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400 },
	{ "space before the colon",
	    V("POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 3\r\n\r\nabc"), 400 },
	{ "obs-fold", V("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n"), 400 },
	{ "a field line without a colon", V("GET / HTTP/1.1\r\nHost: a\r\nX-Foo\r\n\r\n"), 400 },
	{ "an empty field name", V("GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n"), 400 },
	{ "DEL in a value", V("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n"), 400 },
	{ "a control byte in a value", V("GET / HTTP/1.1\r\nHost: a\r\nX: a\x1b[0m\r\n\r\n"), 400 },
	{ "Content-Length +5", V("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n"), 400 },
	{ "Content-Length -1", V("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"), 400 },
	{ "Content-Length 0x5", V("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n"),
	    400 },
	{ "Content-Length 5,5", V("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,5\r\n\r\n"),
	    400 },
	{ "Content-Length 5 5", V("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 5\r\n\r\n"),
	    400 },
	{ "an empty Content-Length", V("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n"),
	    400 },
	{ "Content-Length of 19 digits",
	    V("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000000000000000\r\n\r\n"), 400 },
	{ "two equal Content-Lengths",
	    V("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"),
	    400 },
	{ "Content-Length with Transfer-Encoding",
	    V("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n"), 400 },
	{ "Transfer-Encoding: chunked",
	    V("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"), 411 },
	{ "gzip, then chunked",
	    V("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n"), 501 },
	{ "chunked not last",
	    V("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"), 400 },
	{ "chunked twice",
	    V("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"), 400 },
	{ "an empty Transfer-Encoding",
	    V("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n"), 400 },
	{ "Transfer-Encoding in 1.0", V("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
	    400 },
	{ "Expect: 100-continue, more",
	    V("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, x\r\n\r\n"), 417 },
	{ "Expect: something else", V("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n"), 417 },
};

/* Every prefix must answer 0, or what the whole answers when it is already known. */
static int
prefixes_agree(const char *in, size_t n, int whole)
{
	struct http_req r;
	size_t k;

	for (k = 0; k < n; k++) {
		int got = http_parse(in, k, &r);
		if (got != 0 && got != whole)
			return note("prefix of %zu bytes: %d, whole: %d", k, got, whole), 0;
		if (whole > 0 && (size_t)whole > k && got != 0)
			return 0;
	}
	return 1;
}

static void
table(void)
{
	struct http_req r;
	size_t i;

	for (i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
		const struct vec *v = &vecs[i];
		int want = v->want, got = http_parse(v->in, v->n, &r);

		if (want == 200)      /* past the leading empty lines */
			want = (int)(strstr(v->in + strspn(v->in, "\r\n"), "\r\n\r\n") - v->in) + 4;
		else
			want = -want;
		if (!is_int(got, want, "%s: %d", v->why, v->want) && got < 0)
			note("error: %s", r.error);
		ok(prefixes_agree(v->in, v->n, want), "%s: each prefix agrees", v->why);
	}
}

static int
parse_str(const char *s, struct http_req *r)
{
	return http_parse(s, strlen(s), r);
}

static int
span(const char *p, size_t n, const char *want)
{
	return p && n == strlen(want) && memcmp(p, want, n) == 0;
}

static void
fields(void)
{
	struct http_req r;
	const char *v;
	size_t n;

	ok(parse_str("GET /a/b?x=1?y HTTP/1.1\r\nHost: h\r\nX-Thing:  some  value \t\r\n\r\n",
	    &r) > 0, "a GET");
	ok(span(r.method, r.mlen, "GET") && span(r.target, r.tlen, "/a/b?x=1?y"),
	    "method and target");
	ok(span(r.path, r.plen, "/a/b") && span(r.query, r.qlen, "x=1?y"),
	    "split at the first '?'");
	ok(r.minor == 1 && r.keepalive && r.length == -1 && !r.expect_continue && r.nh == 2,
	    "1.1 keeps alive, no length");
	ok((v = http_header(&r, "x-THING", &n)) && span(v, n, "some  value"),
	    "a value, OWS trimmed, by any case");
	ok(!http_header(&r, "X-Thin", &n) && !http_header(&r, "X-Things", &n),
	    "a name matches whole");

	ok(parse_str("GET / HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0 && !r.query && r.qlen == 0,
	    "no query: NULL");
	ok(parse_str("GET /? HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0 && r.query && r.qlen == 0 &&
	    r.plen == 1,
	    "an empty query is not none");
	ok(parse_str("POST /v HTTP/1.1\r\nHost: h\r\ncontent-length: 42\r\n\r\n", &r) > 0 &&
	    r.length == 42,
	    "Content-Length");
	ok(parse_str("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", &r) > 0 &&
	    !r.keepalive,
	    "1.1 with Connection: close");
	ok(parse_str("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nConnection: x , "
	    "CLOSE,\r\n\r\n", &r) > 0
	    && !r.keepalive, "Connection fields combine, tokens in any case");
	ok(parse_str("GET / HTTP/1.0\r\n\r\n", &r) > 0 && r.minor == 0 && !r.keepalive,
	    "1.0 closes");
	ok(parse_str("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r) > 0 && r.keepalive,
	    "1.0 with Connection: keep-alive");
	ok(parse_str("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", &r) > 0 &&
	    !r.keepalive,
	    "close wins over keep-alive");
	ok(parse_str("GET / HTTP/1.0\r\nConnection: keep-alived\r\n\r\n", &r) > 0 && !r.keepalive,
	    "a token matches whole");
	ok(parse_str("PUT / HTTP/1.1\r\nHost: h\r\nExpect:  100-continue \r\nContent-Length: "
	    "9\r\n\r\n", &r) > 0
	    && r.expect_continue, "Expect: 100-continue");
	ok(parse_str("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n", &r) > 0
	    && !r.expect_continue, "1.0 ignores 100-continue");
	ok(parse_str("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", &r) == -411
	    && strstr(r.error, "chunked"), "411 says chunked is not supported: %s", r.error);
	ok(parse_str("GET / HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0 && r.error == NULL,
	    "no error when it parses");
}

static void
caps(void)
{
	struct buf b = BUF_INIT;
	struct http_req r;
	int i;

	buf_adds(&b, "GET /");
	while (b.len < HTTP_MAXLINE - 9)
		buf_addc(&b, 'a');
	buf_adds(&b, " HTTP/1.1");
	is_int((long long)b.len, HTTP_MAXLINE, "a request line of exactly 8 KiB");
	buf_adds(&b, "\r\nHost: h\r\n\r\n");
	is_int(http_parse(b.p, b.len, &r), (long long)b.len, "is fine");

	buf_reset(&b);
	buf_adds(&b, "GET /");
	while (b.len < HTTP_MAXLINE - 8)
		buf_addc(&b, 'a');
	buf_adds(&b, " HTTP/1.1\r\nHost: h\r\n\r\n");
	is_int(http_parse(b.p, b.len, &r), -414, "8 KiB + 1: 414");
	is_int(http_parse(b.p, HTTP_MAXLINE + 1, &r), -414, "even before its end arrives");
	is_int(http_parse(b.p, HTTP_MAXLINE, &r), 0, "but not before it is too long");

	buf_reset(&b);
	buf_adds(&b, "GET / HTTP/1.1\r\nHost: h\r\n");
	for (i = 1; i < HTTP_MAXHEADERS; i++)
		buf_printf(&b, "X-%d: %d\r\n", i, i);
	buf_adds(&b, "\r\n");
	ok(http_parse(b.p, b.len, &r) > 0 && r.nh == HTTP_MAXHEADERS, "64 header fields are fine");
	ok(http_header(&r, "x-63", NULL) == r.h[63].value, "the last is kept");
	b.len -= 2;
	buf_adds(&b, "X-64: 64\r\n\r\n");
	is_int(http_parse(b.p, b.len, &r), -431, "65 are not: 431");
	is_str(r.error, "too many header fields", "and says so");

	buf_reset(&b);
	buf_adds(&b, "GET / HTTP/1.1\r\nHost: h\r\n");
	/* Few long fields: 64 short ones would be 431 sooner. */
	while (b.len + 1000 < HTTP_MAXHEAD) {
		buf_adds(&b, "X-Pad: ");
		for (i = 0; i < 500; i++)
			buf_addc(&b, 'a' + i % 26);
		buf_adds(&b, "\r\n");
	}
	buf_adds(&b, "X-Last: ");
	while (b.len < HTTP_MAXHEAD - 4)
		buf_addc(&b, 'y');
	buf_adds(&b, "\r\n\r\n");
	is_int(http_parse(b.p, b.len, &r), HTTP_MAXHEAD, "a head of exactly 16 KiB is fine");
	b.len -= 2;
	buf_adds(&b, "y\r\n\r\n");
	is_int(http_parse(b.p, b.len, &r), -431, "16 KiB + 1: 431");
	is_int(http_parse(b.p, HTTP_MAXHEAD, &r), -431,
	    "known once 16 KiB arrived without its end");
	is_int(http_parse(b.p, HTTP_MAXHEAD - 1, &r), 0, "not before");
	buf_free(&b);
}

static void
reasons(void)
{
	is_str(http_reason(200), "OK", "reason 200");
	is_str(http_reason(400), "Bad Request", "reason 400");
	is_str(http_reason(431), "Request Header Fields Too Large", "reason 431");
	is_str(http_reason(503), "Service Unavailable", "reason 503");
	is_str(http_reason(299), "Unknown", "an unknown status");
}

int
main(void)
{
	table();
	fields();
	caps();
	reasons();
	return done_testing();
}
