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
 * "tool_calls":[{id,name,arguments}], "tool_call_id", "name", "thinking":[{text,signature}]}. */

struct wire_opts {
	const char *model;
	int stream;
	int thinking;
	int deepseek;          /* streams reasoning by itself, takes no reasoning_effort */
	long max_tokens;
};

/* The request body.  system may be NULL; tools is an array of
 * {name, description, parameters} or jv_null().  Consumes messages and tools. */
jv wire_request(enum wire_kind kind, const struct wire_opts *o, const char *system, jv messages,
    jv tools);

#define WIRE_MAXCALLS 32

struct wire_call {
	char id[96], name[96];
	struct buf args;
};

struct answer {
	struct buf text, reasoning, signature;
	struct wire_call calls[WIRE_MAXCALLS];
	int ncalls;
	long in_tokens, out_tokens;
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
	struct { char type; int call; } blocks[64];   /* Anthropic content blocks by index */
};

void wire_stream_init(struct wire_stream *w, enum wire_kind kind, struct answer *a,
    wire_emit_fn *emit, void *ctx);
int wire_stream_feed(const char *p, size_t n, void *w);   /* a fetch_fn: non-zero stops */
void wire_stream_free(struct wire_stream *w);

/* A whole (non-streamed) answer body: 0, or -1 with a->error set. */
int wire_parse_body(enum wire_kind kind, const char *body, size_t len, struct answer *a);
/* The provider's words from an error body, or "" when it has none. */
void wire_error_message(const char *body, size_t len, char *dst, size_t n);
#endif
