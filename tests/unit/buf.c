/* Unit tests for lib/base/buf.c: growth, NUL termination, JSON strings, consume, steal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/utf8.h"
#include "tap.h"

int
main(void)
{
	struct buf b = BUF_INIT;
	char big[10000], *s;
	size_t i;

	buf_adds(&b, "hello");
	buf_addc(&b, ' ');
	buf_add(&b, "world!!", 5);
	is_str(b.p, "hello world", "buf_adds, buf_addc and buf_add append");
	is_int((long long)b.len, 11, "len counts the bytes");
	ok(b.cap > b.len, "cap leaves room for the NUL");

	buf_add(&b, "", 0);
	is_int((long long)b.len, 11, "adding nothing changes nothing");

	buf_printf(&b, " %d-%s", 42, "x");
	is_str(b.p, "hello world 42-x", "buf_printf appends formatted text");

	buf_reset(&b);
	is_int((long long)b.len, 0, "buf_reset empties");
	is_str(b.p, "", "buf_reset leaves an empty string");

	for (i = 0; i < sizeof big; i++)
		big[i] = (char)('a' + i % 26);
	buf_add(&b, big, sizeof big);
	buf_add(&b, big, sizeof big);
	ok(b.len == 2 * sizeof big && memcmp(b.p, big, sizeof big) == 0
	    && memcmp(b.p + sizeof big, big, sizeof big) == 0,
	        "grows past many doublings, content kept");
	is_int(b.p[b.len], 0, "still NUL-terminated after growth");
	ok(!b.oom, "no oom after ordinary growth");

	/* Embedded NULs are data, not terminators. */
	buf_reset(&b);
	buf_add(&b, "a\0b", 3);
	ok(b.len == 3 && memcmp(b.p, "a\0b", 4) == 0, "binary data with a NUL is kept whole");

	buf_reset(&b);
	buf_adds(&b, "abcdef");
	buf_consume(&b, 2);
	is_str(b.p, "cdef", "buf_consume drops the first n bytes");
	is_int((long long)b.len, 4, "buf_consume shortens len");
	buf_consume(&b, 100);
	ok(b.len == 0 && b.p[0] == '\0', "buf_consume past the end empties");

	buf_reset(&b);
	buf_add_json_str(&b, "a\"b\\c\nd\re\tf\x01g\x7f", 14);
	is_str(b.p, "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u007f\"",
	    "buf_add_json_str escapes quotes, controls, DEL");
	buf_reset(&b);
	buf_add_json_str(&b, "h\xc3\xa9llo", 6);
	is_str(b.p, "\"h\xc3\xa9llo\"", "buf_add_json_str keeps UTF-8 as is");
	buf_reset(&b);
	buf_add_json_str(&b, "x\0y", 3);
	is_str(b.p, "\"x\\u0000y\"", "buf_add_json_str escapes an embedded NUL");
	buf_reset(&b);
	buf_add_json_str(&b, "a\xff\xc3(\xc0\xaf\xed\xa0\x80\xf0\x9f\x98", 12);
	is_str(b.p, "\"a\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
	    "buf_add_json_str: each byte that starts no character (stray, cut, overlong,"
	    " surrogate, truncated) is U+FFFD");
	ok(utf8_valid(b.p, b.len), "and what it writes is valid UTF-8");
	buf_reset(&b);
	buf_add_json_str(&b, "\xf0\x9f\x98\x80\xe2\x82\xac", 7);
	is_str(b.p, "\"\xf0\x9f\x98\x80\xe2\x82\xac\"", "4- and 3-byte characters kept whole");
	buf_reset(&b);
	buf_add_json_str(&b, "", 0);
	is_str(b.p, "\"\"", "empty string is \"\"");

	buf_reset(&b);
	buf_adds(&b, "mine");
	s = buf_steal(&b);
	is_str(s, "mine", "buf_steal hands over the string");
	ok(b.p == NULL && b.len == 0 && b.cap == 0, "buf_steal leaves the buffer empty");
	free(s);
	s = buf_steal(&b);
	is_str(s, "", "buf_steal of an empty buffer is \"\", not NULL");
	free(s);

	/* Netstrings: written, then read back; and what is not one, refused. */
	buf_reset(&b);
	buf_add_netstring(&b, "hello", 5);
	buf_add_netstring(&b, "", 0);
	buf_add_netstring(&b, "a,b:c", 5);
	is_str(b.p, "5:hello,0:,5:a,b:c,", "netstrings are LEN:bytes,");
	{
		const char *p = b.p, *end = b.p + b.len, *v;
		size_t n;
		ok(netstring_next(&p, end, &v, &n) == 0 && n == 5 && !memcmp(v, "hello", 5),
		    "the first read back");
		ok(netstring_next(&p, end, &v, &n) == 0 && n == 0, "the empty one");
		ok(netstring_next(&p, end, &v, &n) == 0 && n == 5 && !memcmp(v, "a,b:c", 5),
		    "one holding , and :");
		ok(p == end && netstring_next(&p, end, &v, &n) == -1, "then none is left");
	}
	{
		static const char *const bad[] = { "", "5", "5:", "5:hell,", "5:hello", "5:hello;",
		    "05:hello,", ":x,", "-1:x,", "x:", "99999999999999999999999:x,",
		    "18446744073709551617:x," };
		size_t k, n;
		for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
			const char *p = bad[k], *v;
			ok(netstring_next(&p, bad[k] + strlen(bad[k]), &v, &n) == -1
			    && p == bad[k], "not a netstring: \"%s\"", bad[k]);
		}
	}

	buf_reset(&b);

	/* An impossible size sets the sticky oom flag, and later appends are ignored. */
	buf_adds(&b, "ab");
	is_int(buf_grow(&b, SIZE_MAX - 8), -1, "buf_grow of SIZE_MAX fails");
	ok(b.oom, "oom is set");
	buf_adds(&b, "cd");
	is_str(b.p, "ab", "appends after oom do nothing");
	is_int(buf_grow(&b, 1), -1, "oom is sticky");
	ok(buf_steal(&b) == NULL, "buf_steal after oom returns NULL");
	ok(b.p == NULL && !b.oom, "and frees and resets the buffer");

	buf_free(&b);
	buf_free(&b);
	ok(b.p == NULL, "buf_free twice is safe");
	return done_testing();
}
