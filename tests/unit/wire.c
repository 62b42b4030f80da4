/* Unit tests for lib/chat/wire.c's tool-name mapping (every skill name onto the
 * providers' ^[a-zA-Z0-9_-]{1,64}$, one to one) and chat/session.c's replayable history. */
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "chat/session.h"
#include "chat/wire.h"
#include "tap.h"

static int
pattern_ok(regex_t *re, const char *s)
{
	return regexec(re, s, 0, NULL, 0) == 0 && strlen(s) <= 64;
}

static void
names(void)
{
	static const char *const skills[] = { "calc", "web.search", "web-search", "web_search",
	    "a.b.c", "v1.2", "x.",
	    "0123456789012345678901234567890123456789012345678901234567.9ab" };
	char w[WIRE_NAMEMAX + 1], back[128], seen[8][WIRE_NAMEMAX + 1];
	regex_t re;
	size_t i, j;

	regcomp(&re, "^[a-zA-Z0-9_-]{1,64}$", REG_EXTENDED | REG_NOSUB);
	for (i = 0; i < sizeof skills / sizeof skills[0]; i++) {
		wire_tool_name(skills[i], w);
		wire_skill_name(w, back, sizeof back);
		ok(pattern_ok(&re, w), "%s is sent as %s, in the pattern", skills[i], w);
		is_str(back, skills[i], "%s comes back as itself", skills[i]);
		for (j = 0; j < i; j++)
			ok(strcmp(seen[j], w) != 0, "%s and %s differ on the wire", skills[j],
			    skills[i]);
		snprintf(seen[i], sizeof seen[i], "%s", w);
	}
	wire_tool_name("web.search", w);
	is_str(w, "webDsearch", "a dot is a D");
	wire_tool_name("rm -rf /", w);
	ok(pattern_ok(&re, w), "a made-up name still fits the pattern (%s)", w);
	wire_tool_name("", w);
	ok(pattern_ok(&re, w), "so does an empty one (%s)", w);
	regfree(&re);
}

static void
replayable(void)
{
	jv in = jv_parse("[{\"role\":\"user\",\"text\":\"q\"},"
	    "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"a\",\"name\":\"calc\"},"
	    "{\"id\":\"b\",\"name\":\"calc\"}]},"
	    "{\"role\":\"tool\",\"tool_call_id\":\"b\",\"text\":\"2\"},"
	    "{\"role\":\"tool\",\"tool_call_id\":\"zz\",\"text\":\"stray\"},"
	    "{\"role\":\"user\",\"text\":\"next\"},"
	    "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"name\":\"calc\"}]}]");
	jv out = session_replayable(in);
	jv s = jv_dump_string(jv_copy(out), 0);

	is_int(jv_array_length(jv_copy(out)), 7, "two answers added, one stray result dropped");
	ok(strstr(jv_string_value(s), "{\"role\":\"tool\",\"tool_call_id\":\"b\",\"text\":\"2\"},"
	    "{\"role\":\"tool\",\"tool_call_id\":\"a\",\"name\":\"calc\",\"text\":\"error: no "
	    "result was recorded for this call\"},{\"role\":\"user\"") != NULL,
	    "the unanswered call gets its result before the next user message");
	ok(strstr(jv_string_value(s), "stray") == NULL, "the stray result is left out");
	ok(strstr(jv_string_value(s), "\"tool_call_id\":\"c\"") != NULL,
	    "a last call with no result gets one too");
	jv_free(s);
	jv_free(out);
}

int
main(void)
{
	names();
	replayable();
	return done_testing();
}
