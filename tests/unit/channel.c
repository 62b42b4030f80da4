/* Unit tests for lib/channel/split.c and lib/channel/jpath.c: where an answer is cut,
 * and reading the services' JSON by dotted paths. */
#include <string.h>

#include "tap.h"
#include "base/buf.h"
#include "channel/jpath.h"
#include "channel/split.h"

/* The parts of s at limit max, joined by '|'. */
static void
parts(const char *s, size_t max, char *out, size_t n)
{
	size_t off = 0, len, skip, l = strlen(s), o = 0;

	out[0] = '\0';
	while (off < l && o + 1 < n) {
		len = split_next(s + off, l - off, max, &skip);
		o += (size_t)snprintf(out + o, n - o, "%s%.*s", o ? "|" : "", (int)len, s + off);
		off += len + skip;
	}
}

int
main(void)
{
	char got[512], v[64];
	struct buf b = BUF_INIT;
	long long x;
	const char *doc = "{\"update_id\":100000001,\"message\":{\"chat\":{\"id\":-1001,"
	    "\"type\":\"supergroup\"},\"text\":\"caf\\u00e9\",\"from\":{\"is_bot\":false}}}";

	is_int((long)split_units("abc", 3), 3, "ASCII: a unit a character");
	is_int((long)split_units("\xc3\xa9\xe2\x82\xac", 5), 2,
	    "2- and 3-byte characters: one unit");
	is_int((long)split_units("\xf0\x9f\x98\x80", 4), 2, "an emoji: two UTF-16 units");
	parts("short", 10, got, sizeof got);
	is_str(got, "short", "what fits is one part");
	parts("one two. three four", 12, got, sizeof got);
	is_str(got, "one two.|three four", "a sentence end in the second half");
	parts("aaaa\n\nbbb ccc ddd", 12, got, sizeof got);
	is_str(got, "aaaa\n\nbbb|ccc ddd", "a blank line before the half does not count");
	parts("aaaaaa\n\nbbbbbbbbbb", 12, got, sizeof got);
	is_str(got, "aaaaaa|bbbbbbbbbb", "a blank line in the second half");
	parts("abcdefghijklmnop", 5, got, sizeof got);
	is_str(got, "abcde|fghij|klmno|p", "no boundary: cut between characters");
	parts("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3, got, sizeof got);
	is_str(got, "\xc3\xa9\xc3\xa9\xc3\xa9|\xc3\xa9\xc3\xa9", "never inside a character");
	parts("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 5, got, sizeof got);
	is_str(got, "\xf0\x9f\x98\x80\xf0\x9f\x98\x80|\xf0\x9f\x98\x80",
	    "an emoji counts two toward the limit");

	ok(jp_int(doc, strlen(doc), "update_id", &x) && x == 100000001, "a top-level number");
	ok(jp_str(doc, strlen(doc), "message.chat.id", v, sizeof v) && strcmp(v, "-1001") == 0,
	    "a nested number as text");
	ok(jp_text(doc, strlen(doc), "message.text", &b) && strcmp(b.p, "caf\xc3\xa9") == 0,
	    "a string decoded");
	ok(!jp_str(doc, strlen(doc), "message.chat.title", v, sizeof v) && !v[0],
	    "absent: 0, \"\"");
	ok(!jp_str(doc, strlen(doc), "message.text.x", v, sizeof v), "through a string: 0");
	ok(!jp_text(doc, strlen(doc), "message.chat", &b), "an object is not text");
	ok(!jp_int(doc, strlen(doc), "message.chat.type", &x), "a word is not an integer");
	ok(jp_str("{\"a\":\"x\\u0000y\"}", 16, "a", v, sizeof v) == 0, "a NUL inside is refused");
	buf_free(&b);
	return done_testing();
}
