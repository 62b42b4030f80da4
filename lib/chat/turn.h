/* turn: one conversation turn — store the user message, build the context (with
 * compaction), ask the model (retries, fallbacks, the cache), run tool calls
 * until it answers, store the answer, record telemetry.  Events go to a callback. */
#ifndef CLAW_TURN_H
#define CLAW_TURN_H
#include <jv.h>
#include <sqlite3.h>

#include "base/buf.h"

#define TURN_MAXMODELS 1024

/* tools.mode: which skills a turn offers (chat/catalog.h). */
enum turn_tools { TURN_TOOLS_NONE, TURN_TOOLS_ALL, TURN_TOOLS_AUTO };

struct turn_opts {
	char models[TURN_MAXMODELS];  /* "provider/model[,provider/model…]" */
	const char *session;     /* NULL: a new session named chat-… */
	const char *system;
	const char *prompt;      /* the user's text, or NULL with messages */
	jv images;               /* [{media_type, data, name}] or null */
	jv messages;             /* explicit conversation ({role, content}…) or null */
	int stream, thinking, compact_only;
	int tools;               /* enum turn_tools */
	int cache;               /* answer from the cache; also on when cache_ttl > 0 */
	long cache_ttl;          /* seconds; 0: no expiry */
	long chain_limit, retries, idle_timeout, keep_recent;
	long context_max;        /* tokens before compaction; 0: the model's window */
	long max_tokens;         /* chat.max_tokens; 0: the provider's (Anthropic: 4096) */
	const volatile int *cancel;   /* set by a signal handler: stop, keep what arrived */
	/* An attachment that is audio: its transcript appended to text (0), EX_NORESULT when
	 * path is not audio (then read as any attachment), else an exit code with err set.
	 * claw-chat fills it from media/ (speech to text); NULL: audio is refused. */
	int (*audio)(void *ctx, const char *path, struct buf *text);
	void *audio_ctx;
};

/* The options from the config (store, environment, the key table's defaults):
 * model, thinking, cache.ttl, context.*, chat.*, tools.mode; streaming on, no
 * images or messages.  0, or EX_CONFIG (err set) for a value out of its range. */
int turn_opts_load(sqlite3 *db, struct turn_opts *o);
/* Set the option that config key stands for from its text, checked as the config
 * checks it: 0, or EX_CONFIG with err set.  The way an override (a command-line
 * option, a request's field) reaches struct turn_opts. */
int turn_opts_set(struct turn_opts *o, const char *key, const char *value);
/* A request object's fields over o (claw-chat --requests, see claw-chat(1)):
 * session, system, model, messages, prompt (else the given prompt) and the
 * attachments, read into text and o->images.  o's strings point into req and
 * text, which must outlive it.  0, or an exit code with err set ("nothing to
 * say" when there is neither text nor messages nor an image). */
int turn_opts_request(struct turn_opts *o, jv req, const char *prompt, struct buf *text);
/* Free what turn_opts_request left in o (images, messages). */
void turn_opts_free(struct turn_opts *o);

/* Events are objects with "type"; emit consumes them. */
typedef void turn_emit_fn(void *ctx, jv ev);

/* 0, or an exit code; an error event has been emitted for it. */
int turn_run(sqlite3 *db, void *http, const struct turn_opts *o, turn_emit_fn *emit, void *ctx);
/* One request's turn: base with req's fields over it (turn_opts_request), run.
 * req is borrowed; an invalid req (a bad line lineno of the input, with why as its
 * message) gets its error event and EX_DATAERR.  Returns what turn_run does. */
int turn_request(sqlite3 *db, void *http, const struct turn_opts *base, jv req, long lineno,
    const char *prompt, turn_emit_fn *emit, void *ctx);
#endif
