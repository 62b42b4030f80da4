/* session: named conversations in the store.  Every message is kept; compaction
 * only adds summaries, each covering the messages up to its `upto` id. */
#ifndef CLAW_SESSION_H
#define CLAW_SESSION_H
#include <jv.h>
#include <sqlite3.h>

long session_tokens(const char *text);   /* the estimate used everywhere: bytes/4 + 4 */
long session_msg_tokens(jv msg);

/* The session's id, created when create is set: 0, EX_NORESULT (no such session) or error. */
int session_open(sqlite3 *db, const char *name, int create, long long *id);
/* Append a neutral message (borrowed): 0 or error. */
int session_append(sqlite3 *db, long long sid, jv msg, const char *model, int incomplete,
    long long *msgid);
/* The newest summary (or null) and the messages after it, oldest first, each as
 * {"id", "msg"}: 0 or error. */
int session_context(sqlite3 *db, long long sid, jv *summary, long long *upto, jv *msgs);
/* msgs (consumed) as a history every provider takes: a tool call with no result
 * (a session stored before claw answered every call) gets one saying none was
 * recorded, and a tool result that answers no call of the message before it is
 * left out.  What is stored is never changed. */
jv session_replayable(jv msgs);
int session_add_summary(sqlite3 *db, long long sid, long long upto, const char *text);

/* Every message (fn gets a history event), or every session (fn gets a session event). */
typedef int session_fn(jv ev, void *ctx);
int session_history(sqlite3 *db, long long sid, session_fn *fn, void *ctx);
int session_list(sqlite3 *db, session_fn *fn, void *ctx);
#endif
