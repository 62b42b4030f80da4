/* fuzz/wire: a provider's answer, as bytes off the network.  The input is fed to
 * both streaming parsers (cut at a point taken from the first byte) and to both
 * whole-body parsers; nothing may crash, leak or assert, whatever the JSON holds.
 * Leak checks are on for every input: the model's words (tool arguments) reach
 * libjq only through ndjson_value, after json_valid, so libjq 1.6's own leak on
 * text it rejects ("{0\"a\"") is not reachable, and no suppression hides ours. */
#include <stdint.h>
#include <string.h>

#include "chat/ndjson.h"
#include "chat/wire.h"

static void
drop(void *ctx, int what, const char *p, size_t n)
{
	(void)ctx; (void)what;
	if (n && !p)
		__builtin_trap();
}

static void
stream(enum wire_kind kind, const char *p, size_t n, size_t cut)
{
	struct answer a = { 0 };
	struct wire_stream w;
	jv m;

	wire_stream_init(&w, kind, &a, drop, NULL);
	if (!wire_stream_feed(p, cut, &w))
		wire_stream_feed(p + cut, n - cut, &w);
	wire_stream_free(&w);
	/* cached tokens are a part of the prompt's, never more, never negative */
	if (a.cache_read < 0 || a.cache_write < 0 || a.cache_read + a.cache_write > a.in_tokens)
		__builtin_trap();
	jv_free(answer_message(&a, "fuzz/model"));
	m = answer_message(&a, NULL);
	/* What we would send back next turn must build from what we parsed. */
	jv_free(wire_request(kind == WIRE_OPENAI ? WIRE_ANTHROPIC : WIRE_OPENAI,
	    &(struct wire_opts){ .model = "m", .stream = 1, .thinking = 1 }, "sys",
	    jv_array_append(jv_array(), m), jv_array()));
	answer_free(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t cut = size ? data[0] % (size + 1) : 0;
	struct answer a = { 0 };
	char msg[128];

#ifdef FUZZ_LEAK_CANARY
	/* make fuzz builds this once to see that a leak of ours is reported: a value
	 * from libjq's parser, left unfreed, has the very frames (jv_mem_alloc <-
	 * jv_string_sized <- jv_parser_next) that libjq 1.6's own leaks have. */
	if (size >= 6 && memcmp(p, "canary", 6) == 0)
		(void)ndjson_value("{\"leaked\":\"on purpose\"}", 23);
#endif
	stream(WIRE_OPENAI, p, size, cut);
	stream(WIRE_ANTHROPIC, p, size, cut);
	wire_parse_body(WIRE_OPENAI, p, size, &a);
	answer_free(&a);
	memset(&a, 0, sizeof a);
	wire_parse_body(WIRE_ANTHROPIC, p, size, &a);
	answer_free(&a);
	wire_error_message(p, size, msg, sizeof msg);
	return 0;
}
