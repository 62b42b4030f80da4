/* wire: the two chat wire formats (OpenAI chat completions, Anthropic messages):
 * request bodies from claw's neutral messages, and answers parsed from a stream of
 * SSE bytes or from one JSON body, into the same struct answer. */
#ifndef CLAW_WIRE_H
#define CLAW_WIRE_H
#include <jv.h>

#include "base/buf.h"
#include "net/sse.h"

enum wire_kind { WIRE_OPENAI, WIRE_ANTHROPIC };

/* A neutral message (as stored): {"role", "text", "images":[{media_type,data}],
 * "tool_calls":[{id,name,arguments}], "tool_call_id", "name",
 * "thinking":[{text,signature} or {redacted}] (Anthropic's blocks, passed back verbatim),
 * "reasoning_content" (what an OpenAI-format server sent in that field: DeepSeek wants it
 * back)}.  Tool names are skill names; each format maps them onto its tool-name pattern. */

struct wire_opts {
	const char *model;
	int stream;
	int thinking;
	int deepseek;          /* streams reasoning by itself, takes no reasoning_effort */
	long max_tokens;
};

/* The request body.  system may be NULL; tools is an array of
 * {name, description, parameters, volatile} or jv_null().  Consumes messages and tools.
 * The body is a function of its inputs alone (nothing of the clock, no counter), so
 * that a provider's prefix cache hits from one request to the next: tools go by name,
 * those marked "volatile": true (chosen for this turn only) after all the others, in
 * the order given (one added during a turn goes at the end).
 * Anthropic's body carries cache_control breakpoints (at most WIRE_BREAKPOINTS): the
 * last tool not volatile, the system prompt, the message that ended the request
 * before this one (the previous user message) and the last message. */
#define WIRE_BREAKPOINTS 4
jv wire_request(enum wire_kind kind, const struct wire_opts *o, const char *system, jv messages,
    jv tools);

/* The tool-name pattern of both formats is ^[a-zA-Z0-9_-]{1,64}$; skill names are
 * [a-z0-9][a-z0-9._-]{0,63}.  A skill's '.' is sent as 'D' (never in a skill name,
 * so the mapping is one to one); anything else outside the pattern (a name the model
 * made up) becomes '_'.  wire_tool_name writes at most WIRE_NAMEMAX bytes and a NUL;
 * wire_skill_name is the inverse, for the names the model sends back. */
#define WIRE_NAMEMAX 64
void wire_tool_name(const char *name, char out[WIRE_NAMEMAX + 1]);
void wire_skill_name(const char *wire, char *out, size_t n);

#define WIRE_MAXCALLS 32
#define WIRE_MAXTHINK 16

/* An Anthropic thinking block ('k': text and signature) or redacted_thinking ('r':
 * its data in text), kept whole: the next request must carry it unchanged. */
struct wire_think {
	char type;
	struct buf text, sig;
};

struct wire_call {
	char id[96], name[96];
	struct buf args;
};

struct answer {
	struct buf text, reasoning;
	int reasoning_content;   /* reasoning came in an OpenAI-format reasoning_content */
	struct wire_think think[WIRE_MAXTHINK];
	int nthink;
	struct wire_call calls[WIRE_MAXCALLS];
	int ncalls;
	long in_tokens, out_tokens;   /* in: the whole prompt, cached or not */
	long cache_read, cache_write; /* of in: read from the provider's prompt cache,
	                                 written to it (Anthropic's cache_creation) */
	int done;              /* the format's terminator was seen */
	int failed;            /* the provider sent an error inside the answer */
	char error[512], error_type[64];
	char stop[32];
};

void answer_free(struct answer *a);
jv answer_message(const struct answer *a, const char *model);   /* the neutral assistant message */

enum { WIRE_TEXT, WIRE_REASONING };
typedef void wire_emit_fn(void *ctx, int what, const char *p, size_t n);

struct wire_stream {
	enum wire_kind kind;
	struct answer *a;
	wire_emit_fn *emit;
	void *ctx;
	struct sse sse;
	/* Anthropic content blocks by index: the call or thinking slot each fills */
	struct { char type; int call; } blocks[64];
};

void wire_stream_init(struct wire_stream *w, enum wire_kind kind, struct answer *a,
    wire_emit_fn *emit, void *ctx);
int wire_stream_feed(const char *p, size_t n, void *w);   /* a fetch_fn: non-zero stops */
/* The body ended cleanly (no transport error): an OpenAI stream that said its
 * finish_reason is whole even without "data: [DONE]", as OpenAI's own SDKs take it
 * (llama.cpp before late 2024, ik_llama.cpp and MLC-LLM never send it). */
void wire_stream_end(struct wire_stream *w);
void wire_stream_free(struct wire_stream *w);

/* A whole (non-streamed) answer body: 0, or -1 with a->error set. */
int wire_parse_body(enum wire_kind kind, const char *body, size_t len, struct answer *a);
/* The provider's words from an error body, or "" when it has none. */
void wire_error_message(const char *body, size_t len, char *dst, size_t n);
#endif
