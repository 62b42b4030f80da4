/* The strict JSON check in front of libjq: what it accepts, what it refuses, and
 * that libjq agrees with every acceptance. */
#include <jv.h>

#include "base/json.h"
#include "tap.h"

static int
valid(const char *s)
{
	char why[96];
	int v = json_valid(s, strlen(s), why, sizeof why);

	if (v) {
		jv j = jv_parse_sized(s, (int)strlen(s));
		if (!jv_is_valid(j))
			note("libjq refuses what json_valid accepts: %s", s), v = -1;
		jv_free(j);
	}
	return v;
}

int
main(void)
{
	static const char *good[] = {
		"{}", "[]", "0", "-0", "1.5e10", "-1E-3", "\"x\"", "true", "false", "null",
		" {\"a\" : [1, 2, {\"b\": null}], \"c\": \"\\u00e9\\n\"} ", "[[[[[]]]]]",
		"{\"a\":{}, \"b\":[]}", "\"héllo 日本\"", "[1,\"two\",false]",
	};
	static const char *bad[] = {
		"", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" \"b\"}", "{\"a\"}", "{1:2}",
		    "[1 2]",
		"01", "1.", ".5", "+1", "1e", "-", "tru", "nul", "True", "\"abc", "\"a\\x\"",
		"\"\\u12\"", "\"tab\there\"", "{} {}", "[] x", "{\"a\":1}}", "NaN", "'a'",
	};
	char deep[JSON_MAXDEPTH * 2 + 8], why[96];
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		ok(valid(good[i]) == 1, "valid: %s", good[i]);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(valid(bad[i]) == 0, "refused: %s", bad[i]);

	memset(deep, '[', JSON_MAXDEPTH);
	memset(deep + JSON_MAXDEPTH, ']', JSON_MAXDEPTH);
	ok(json_valid(deep, 2 * JSON_MAXDEPTH, why, sizeof why), "nesting at the limit is fine");
	memset(deep, '[', JSON_MAXDEPTH + 1);
	memset(deep + JSON_MAXDEPTH + 1, ']', JSON_MAXDEPTH + 1);
	ok(!json_valid(deep, 2 * JSON_MAXDEPTH + 2, why, sizeof why), "one deeper is refused");
	is_str(why, "malformed JSON at byte 512: nested too deep", "and says why, with the offset");

	ok(!json_valid("{\"a\" 1}", 7, why, sizeof why), "a missing colon");
	is_str(why, "malformed JSON at byte 5: expected ':'", "names the byte");
	ok(!json_valid("[1,2", 4, why, sizeof why), "a truncated array");
	is_str(why, "malformed JSON at byte 4: unexpected end", "is an unexpected end");
	ok(!json_valid("{\"a\":1}\0", 8, why, sizeof why), "a NUL after the value counts as text");

	{
		static const char obj[] = " { \"a\" : [1, {\"x\": \"}\"}], \"b\":\"two\" ,\"c\": "
		    "{\"d\": null} , \"e\": -1.5e3 } ";
		const char *v;
		size_t vn;
		char str[16];
		ok(json_member(obj, strlen(obj), "a", &v, &vn) && vn == 15 &&
		    memcmp(v, "[1, {\"x\": \"}\"}]", vn) == 0,
		    "json_member finds an array value, brackets in strings and all");
		ok(json_member(obj, strlen(obj), "c", &v, &vn) && vn == 11 &&
		    memcmp(v, "{\"d\": null}", vn) == 0,
		    "an object value");
		ok(json_member(obj, strlen(obj), "e", &v, &vn) && vn == 6 &&
		    memcmp(v, "-1.5e3", vn) == 0,
		    "a number, without the space after it");
		ok(!json_member(obj, strlen(obj), "x", &v, &vn),
		    "a nested key is not a top-level member");
		ok(!json_member("[1]", 3, "a", &v, &vn), "an array has no members");
		ok(json_member_str(obj, strlen(obj), "b", str, sizeof str) &&
		    strcmp(str, "two") == 0, "json_member_str");
		ok(!json_member_str(obj, strlen(obj), "a", str, sizeof str),
		    "not for a non-string");
		ok(!json_member_str("{\"b\":\"a\\nb\"}", 10, "b", str, sizeof str),
		    "not for a string with escapes");
	}
	{
		static const char obj[] = "{\"s\":\"a\\nb\",\"z\":null,\"n\":7}";
		struct buf b = BUF_INIT;
		is_int(json_member_text(obj, strlen(obj), "s", &b), 1,
		    "json_member_text: a string");
		ok(b.p && strcmp(b.p, "a\nb") == 0, "its escapes decoded");
		is_int(json_member_text(obj, strlen(obj), "z", &b), 0, "null counts as absent");
		is_int(json_member_text(obj, strlen(obj), "q", &b), 0, "an absent member");
		is_int(json_member_text(obj, strlen(obj), "n", &b), -1, "a number is not a string");
		ok(b.len == 3, "nothing appended but the string");
		buf_free(&b);
	}
	{
		static const char arr[] = " [ \"a\" , {\"b\": [1, \"]\"]} ,-2e3 ,[] ] ";
		const char *v;
		size_t off = 0, vn;
		ok(json_array_next(arr, strlen(arr), &off, &v, &vn) && vn == 3 &&
		    memcmp(v, "\"a\"", vn) == 0,
		    "json_array_next: the first element, without the space after it");
		ok(json_array_next(arr, strlen(arr), &off, &v, &vn) && vn == 15
		    && memcmp(v, "{\"b\": [1, \"]\"]}", vn) == 0,
		        "an object holding a bracket in a string");
		ok(json_array_next(arr, strlen(arr), &off, &v, &vn) && vn == 4 &&
		    memcmp(v, "-2e3", vn) == 0,
		    "a number");
		ok(json_array_next(arr, strlen(arr), &off, &v, &vn) && vn == 2 &&
		    memcmp(v, "[]", vn) == 0,
		    "an empty array");
		ok(!json_array_next(arr, strlen(arr), &off, &v, &vn), "then the end");
		off = 0;
		ok(!json_array_next(" [ ] ", 5, &off, &v, &vn), "an empty array has no elements");
		off = 0;
		ok(!json_array_next("{\"a\":1}", 7, &off, &v, &vn), "an object is not an array");
	}
	{
		struct buf b = BUF_INIT;
		static const char lit[] = "\"a\\n\\\"b\\u00e9\\ud83c\\udf89\\/\"";
		ok(json_str_decode(lit, strlen(lit), &b) &&
		    strcmp(b.p, "a\n\"b\xc3\xa9\xf0\x9f\x8e\x89/") == 0,
		    "json_str_decode: escapes, \\u and a surrogate pair");
		buf_free(&b);
		ok(!json_str_decode("\"a\\x\"", 5, &b), "a bad escape is refused");
		buf_free(&b);
	}
	return done_testing();
}
