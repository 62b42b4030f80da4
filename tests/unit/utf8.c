/* Unit tests for lib/utf8.c: strict validation and the complete prefix of cut text. */
#include <string.h>

#include "tap.h"
#include "base/utf8.h"

#define V(s) utf8_valid(s, sizeof(s) - 1)
#define C(s) utf8_complete(s, sizeof(s) - 1)

int
main(void)
{
	/* Well-formed text, one sample per sequence length and at each boundary. */
	ok(V(""), "empty is valid");
	ok(V("plain ASCII\n\t"), "ASCII");
	ok(utf8_valid("a\0b", 3), "a NUL byte is valid UTF-8");
	ok(V("\x7f"), "U+007F");
	ok(V("\xc2\x80"), "U+0080, the first 2-byte character");
	ok(V("caf\xc3\xa9"), "caf\xc3\xa9");
	ok(V("\xdf\xbf"), "U+07FF");
	ok(V("\xe0\xa0\x80"), "U+0800, the first 3-byte character");
	ok(V("\xe2\x82\xac"), "U+20AC euro sign");
	ok(V("\xed\x9f\xbf"), "U+D7FF, just below the surrogates");
	ok(V("\xee\x80\x80"), "U+E000, just above the surrogates");
	ok(V("\xef\xbf\xbf"), "U+FFFF");
	ok(V("\xf0\x90\x80\x80"), "U+10000, the first 4-byte character");
	ok(V("\xf0\x9f\x98\x80"), "U+1F600 emoji");
	ok(V("\xf4\x8f\xbf\xbf"), "U+10FFFF, the last code point");

	/* Overlongs. */
	ok(!V("\xc0\x80"), "overlong NUL C0 80 refused");
	ok(!V("\xc1\xbf"), "overlong C1 BF refused");
	ok(!V("\xe0\x80\xaf"), "overlong 3-byte '/' refused");
	ok(!V("\xe0\x9f\xbf"), "overlong 3-byte U+07FF refused");
	ok(!V("\xf0\x80\x80\xaf"), "overlong 4-byte '/' refused");
	ok(!V("\xf0\x8f\xbf\xbf"), "overlong 4-byte U+FFFF refused");

	/* Surrogates. */
	ok(!V("\xed\xa0\x80"), "U+D800 (high surrogate) refused");
	ok(!V("\xed\xbf\xbf"), "U+DFFF (low surrogate) refused");
	ok(!V("\xed\xa0\xbd\xed\xb8\x80"), "CESU-8 surrogate pair refused");

	/* Beyond U+10FFFF and bytes that never occur. */
	ok(!V("\xf4\x90\x80\x80"), "U+110000 refused");
	ok(!V("\xf5\x80\x80\x80"), "F5 lead refused");
	ok(!V("\xf8\x88\x80\x80\x80"), "5-byte form refused");
	ok(!V("\xfe"), "FE refused");
	ok(!V("\xff"), "FF refused");

	/* Broken structure. */
	ok(!V("\x80"), "lone continuation byte refused");
	ok(!V("a\xbf" "b"), "continuation byte between ASCII refused");
	ok(!V("\xc3"), "truncated 2-byte sequence refused");
	ok(!V("\xe2\x82"), "truncated 3-byte sequence refused");
	ok(!V("\xf0\x9f\x98"), "truncated 4-byte sequence refused");
	ok(!V("\xc3" "a"), "lead byte followed by ASCII refused");
	ok(!V("\xe2\x82" "a"), "3-byte lead with a short tail refused");
	ok(!V("ok\xe2\x82\xac" "ok\xc3"), "valid text with a truncated tail refused");
	ok(!utf8_valid("\xc3\xa9", 1), "n is honoured: a cut inside a sequence is invalid");
	ok(utf8_valid("ab\xff", 2), "n is honoured: bytes past n are not read");

	/* utf8_complete: the longest prefix ending on a whole character. */
	is_int((long long)C(""), 0, "complete(\"\") = 0");
	is_int((long long)C("abc"), 3, "complete of ASCII is all of it");
	is_int((long long)C("ab\xc3"), 2, "cut after a 2-byte lead: drop the lead");
	is_int((long long)C("ab\xc3\xa9"), 4, "whole 2-byte character kept");
	is_int((long long)C("a\xe2"), 1, "cut after a 3-byte lead");
	is_int((long long)C("a\xe2\x82"), 1, "cut one byte short of a 3-byte character");
	is_int((long long)C("a\xe2\x82\xac"), 4, "whole 3-byte character kept");
	is_int((long long)C("a\xf0"), 1, "cut after a 4-byte lead");
	is_int((long long)C("a\xf0\x9f"), 1, "cut 2 short of a 4-byte character");
	is_int((long long)C("a\xf0\x9f\x98"), 1, "cut 1 short of a 4-byte character");
	is_int((long long)C("a\xf0\x9f\x98\x80"), 5, "whole 4-byte character kept");
	is_int((long long)C("\xf0\x9f\x98"), 0, "only a partial character: 0");
	is_int((long long)C("\xe2\x82\xac\xe2\x82\xac\xe2"), 6, "two euros and a cut third: 6");

	/* Every cut of a mixed string gives a prefix that is itself valid. */
	{
		static const char s[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";
		static const size_t want[] = { 0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 11 };
		size_t n, bad = 0;
		for (n = 0; n <= sizeof s - 1; n++) {
			size_t c = utf8_complete(s, n);
			if (c != want[n] || !utf8_valid(s, c)) {
				note("cut at %zu: complete %zu, want %zu", n, c, want[n]);
				bad++;
			}
		}
		ok(bad == 0, "every cut of a mixed string completes to the last whole character");
	}
	/* Invalid bytes are not held back as if a character were coming: the
	 * caller's validation decides about them. */
	is_int((long long)C("ab\xff"), 3, "a byte that leads nothing is not held back");
	is_int((long long)C("ab\x80\x80\x80\x80"), 6,
	    "a run of continuation bytes is not held back");
	is_int((long long)utf8_char("\xe2\x82\xac!", 4), 3, "utf8_char: a 3-byte character");
	is_int((long long)utf8_char("\xe2\x82", 2), 0, "utf8_char: cut short is none");
	is_int((long long)utf8_char("\xc0\x80", 2), 0, "utf8_char: an overlong is none");
	is_int((long long)utf8_char("\xed\xa0\x80", 3), 0, "utf8_char: a surrogate is none");
	is_int((long long)utf8_char("", 0), 0, "utf8_char: nothing is none");
	return done_testing();
}
