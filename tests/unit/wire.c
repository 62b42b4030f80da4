/* Unit tests for lib/chat/wire.c's tool-name mapping (every skill name onto the
 * providers' ^[a-zA-Z0-9_-]{1,64}$, one to one), the request's stable order and
 * Anthropic's cache breakpoints, cached tokens in both formats' usage, and
 * chat/session.c's replayable history. */
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

/* The body for msgs and tools (JSON texts), dumped. */
static jv
body(enum wire_kind kind, const char *sys, const char *msgs, const char *tools)
{
	struct wire_opts o = { .model = "m", .stream = 1 };

	return jv_dump_string(wire_request(kind, &o, sys, jv_parse(msgs),
	    tools ? jv_parse(tools) : jv_null()), 0);
}

static int
count(const char *s, const char *what)
{
	int n = 0;

	for (; (s = strstr(s, what)); s++)
		n++;
	return n;
}

static void
breakpoints(void)
{
	const char *tools = "[{\"name\":\"zeta\"},{\"name\":\"picked\",\"volatile\":true},"
	    "{\"name\":\"alpha\"},{\"name\":\"found\",\"volatile\":true}]";
	const char *msgs = "[{\"role\":\"user\",\"text\":\"one\"},"
	    "{\"role\":\"assistant\",\"text\":\"two\",\"thinking\":[{\"text\":\"t\","
	    "\"signature\":\"s\"}]},{\"role\":\"user\",\"text\":\"three\"}]";
	jv a = body(WIRE_ANTHROPIC, "sys", msgs, tools), o = body(WIRE_OPENAI, "sys", msgs, tools);
	jv again = body(WIRE_ANTHROPIC, "sys", msgs, tools);
	const char *s = jv_string_value(a);

	ok(strstr(s, "\"tools\":[{\"name\":\"alpha\",\"description\":\"\",\"input_schema\":"
	    "{\"type\":\"object\",\"properties\":{}}},{\"name\":\"zeta\",") != NULL,
	    "tools by name, the volatile ones after the rest");
	ok(strstr(s, "\"name\":\"zeta\",\"description\":\"\",\"input_schema\":{\"type\":"
	    "\"object\",\"properties\":{}},\"cache_control\":{\"type\":\"ephemeral\"}},"
	    "{\"name\":\"picked\"") != NULL, "the breakpoint on the last tool that stays");
	ok(strstr(s, "\"name\":\"picked\"") < strstr(s, "\"name\":\"found\""),
	    "the volatile ones in the order given");
	ok(strstr(s, "\"system\":[{\"type\":\"text\",\"text\":\"sys\",\"cache_control\":"
	    "{\"type\":\"ephemeral\"}}]") != NULL, "one on the system prompt");
	ok(strstr(s, "\"text\":\"one\",\"cache_control\"") != NULL,
	    "one where the request before ended (the previous user message)");
	ok(strstr(s, "\"text\":\"three\",\"cache_control\"") != NULL, "one on the last");
	is_int(count(s, "cache_control"), WIRE_BREAKPOINTS, "four in all");
	is_str(s, jv_string_value(again), "the same inputs, the same bytes");
	ok(strstr(jv_string_value(o), "cache_control") == NULL
	    && strstr(jv_string_value(o), "\"name\":\"alpha\"") < strstr(jv_string_value(o),
	    "\"name\":\"zeta\""), "OpenAI: no markers, the same order");
	jv_free(a);
	jv_free(o);
	jv_free(again);
	a = body(WIRE_ANTHROPIC, NULL, "[{\"role\":\"user\",\"text\":\"\"}]", NULL);
	is_int(count(jv_string_value(a), "cache_control"), 0,
	    "none on an empty text block, none without tools or system");
	jv_free(a);
	a = body(WIRE_ANTHROPIC, NULL, "[{\"role\":\"user\",\"text\":\"q\"},"
	    "{\"role\":\"assistant\",\"text\":\"\",\"thinking\":[{\"text\":\"t\","
	    "\"signature\":\"s\"}]}]", NULL);
	s = jv_string_value(a);
	ok(count(s, "cache_control") == 1 && strstr(s, "\"q\",\"cache_control\""),
	    "a last message of thinking alone: no breakpoint on it");
	jv_free(a);
}

static void
usage_of(enum wire_kind kind, const char *json, long in, long read, long write,
    const char *what)
{
	struct answer a = { 0 };

	wire_parse_body(kind, json, strlen(json), &a);
	ok(a.in_tokens == in && a.cache_read == read && a.cache_write == write,
	    "%s: in %ld, read %ld, written %ld", what, a.in_tokens, a.cache_read, a.cache_write);
	answer_free(&a);
}

static void
usage(void)
{
	struct answer a = { 0 };
	struct wire_stream w;
	static const char sse[] =
	    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":"
	    "{\"input_tokens\":10,\"cache_creation_input_tokens\":5,"
	    "\"cache_read_input_tokens\":2000,\"output_tokens\":1}}}\n\n"
	    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":"
	    "{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":7}}\n\n"
	    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

	usage_of(WIRE_ANTHROPIC, "{\"content\":[],\"usage\":{\"input_tokens\":21,"
	    "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":1800}}", 1821, 1800, 0,
	    "Anthropic: input_tokens is what came after the cache");
	usage_of(WIRE_ANTHROPIC, "{\"content\":[],\"usage\":{\"input_tokens\":21,"
	    "\"cache_creation_input_tokens\":\"x\",\"cache_read_input_tokens\":-4}}", 21, 0, 0,
	    "Anthropic: counts that are not counts are left out");
	usage_of(WIRE_OPENAI, "{\"choices\":[],\"usage\":{\"prompt_tokens\":2000,"
	    "\"prompt_tokens_details\":{\"cached_tokens\":1920}}}", 2000, 1920, 0,
	    "OpenAI: cached_tokens");
	usage_of(WIRE_OPENAI, "{\"choices\":[],\"usage\":{\"prompt_tokens\":300,"
	    "\"prompt_tokens_details\":{\"cached_tokens\":9000}}}", 300, 300, 0,
	    "OpenAI: never more cached than the prompt");
	usage_of(WIRE_OPENAI, "{\"choices\":[],\"usage\":{\"prompt_tokens\":300,"
	    "\"prompt_tokens_details\":\"none\"}}", 300, 0, 0, "OpenAI: details not an object");
	usage_of(WIRE_OPENAI, "{\"choices\":[],\"usage\":{\"prompt_tokens\":300,"
	    "\"prompt_cache_hit_tokens\":256}}", 300, 256, 0, "DeepSeek: prompt_cache_hit_tokens");
	wire_stream_init(&w, WIRE_ANTHROPIC, &a, NULL, NULL);
	wire_stream_feed(sse, sizeof sse - 1, &w);
	wire_stream_free(&w);
	ok(a.in_tokens == 2015 && a.cache_read == 2000 && a.cache_write == 5 && a.out_tokens == 7,
	    "Anthropic stream: message_start's usage stays when message_delta gives output only");
	answer_free(&a);
}

int
main(void)
{
	names();
	breakpoints();
	usage();
	replayable();
	return done_testing();
}
