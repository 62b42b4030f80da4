/* turn: one conversation turn — store the user message, build the context (with
 * compaction), ask the model (retries, fallbacks, the cache), run tool calls
 * until it answers, store the answer, record telemetry.  Events go to a callback. */
#ifndef CLAW_TURN_H
#define CLAW_TURN_H
#include <jv.h>
#include <sqlite3.h>

struct turn_opts {
	const char *models;      /* "provider/model[,provider/model…]" */
	const char *session;     /* NULL: a new session named auto-… */
	const char *system;
	const char *prompt;      /* the user's text, or NULL with messages */
	jv images;               /* [{media_type, data, name}] or null */
	jv messages;             /* explicit conversation ({role, content}…) or null */
	int stream, thinking, tools, cache, compact_only;
	long cache_ttl;          /* seconds; 0: no expiry */
	int chain_limit, retries;
	long idle_timeout, max_tokens, keep_recent;
	const volatile int *cancel;   /* set by a signal handler: stop, keep what arrived */
};

/* Events are objects with "type"; emit consumes them. */
typedef void turn_emit_fn(void *ctx, jv ev);

/* 0, or an exit code; an error event has been emitted for it. */
int turn_run(sqlite3 *db, void *http, const struct turn_opts *o, turn_emit_fn *emit, void *ctx);
#endif
