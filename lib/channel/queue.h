/* queue: the channel tables in the store — inbound updates (stored before they are
 * acknowledged, one row per service id), outbound parts (sent with retries, then
 * dead letters), the chats (session generation, model, last inbound) and senders. */
#ifndef CLAW_CHAN_QUEUE_H
#define CLAW_CHAN_QUEUE_H
#include <sqlite3.h>

#include "base/buf.h"
#include "channel/chan.h"

/* Ingress states: new → working (a turn runs; pid set) → done, or straight to
 * done/skipped/refused/paired/denied/failed.  Egress: queued → sending (pid set)
 * → sent, or back to queued with next_at, or dead. */

/* Inside a write transaction: store m as new (or as state when not NULL).  1 when
 * it was stored, 0 when the channel already had that id (a duplicate). */
int q_ingest(struct chan *c, const struct chan_msg *m, const char *state);
int q_cursor(struct chan *c, char *dst, size_t n);          /* 0 or exit code */
int q_set_cursor(struct chan *c, const char *cursor);      /* in the transaction */
/* Why the service cannot be reached ("" when it can): its own transaction. */
int q_set_error(struct chan *c, const char *why);

/* Rows claimed by processes that are gone: working → new (its turn runs again:
 * no answer of it was queued), sending → dead (it may have been delivered: never
 * twice).  Its own transaction. */
int q_recover(struct chan *c);

struct q_in {
	long long id;
	char peer[64], sender[64], name[96], msgid[320];
	int group, addressed;
	int voice;                    /* it came as a voice note (set by the turn) */
	char *text, *media;           /* malloc'd */
};
/* Claim up to max new rows, the oldest of each chat that has none working: 0 and
 * *n set, or an exit code.  Its own transaction. */
int q_claim(struct chan *c, struct q_in *v, int max, int *n);
void q_in_free(struct q_in *v, int n);
/* Finish ingress row id as state with note, queueing text (split at the service's
 * limit, "" for none) to peer as a reply to reply_to.  Its own transaction. */
int q_finish(struct chan *c, long long id, const char *state, const char *note,
    const char *peer, const char *text, const char *reply_to);
/* The same, the first part replacing message edit_id (stream=edit's preview). */
int q_finish_edit(struct chan *c, long long id, const char *state, const char *note,
    const char *peer, const char *text, const char *reply_to, const char *edit_id);
/* The same, and with voice the whole text again as one voice-note part after it. */
int q_finish_voice(struct chan *c, long long id, const char *state, const char *note,
    const char *peer, const char *text, const char *reply_to, const char *edit_id, int voice);
/* Queue text to peer outside any turn (pairing approved).  Its own transaction. */
int q_say(struct chan *c, const char *peer, const char *text);

struct q_out {
	long long id;
	char peer[64], reply_to[328], edit[96];
	char *text;
	long attempts;
	int voice;                    /* send text as a voice note (claw-chat --say) */
};
/* The next part due now whose chat has nothing older waiting, claimed: 1, 0 when
 * none is due (*wait_ms: until the next one, -1 when none is queued), or -exit code. */
int q_next_out(struct chan *c, struct q_out *o, long long *wait_ms);
int q_out_sent(struct chan *c, long long id, const char *ext);
int q_out_retry(struct chan *c, long long id, long long next_at, const char *why);
int q_out_dead(struct chan *c, long long id, const char *why);
/* A sent part the service later said failed (WhatsApp statuses): dead with why. */
int q_out_failed_ext(struct chan *c, const char *ext, const char *why);
/* dead → queued with no attempts: all of the channel's when id is 0.  How many. */
int q_out_requeue(sqlite3 *db, const char *channel, long long id, long *n);

/* The chat's session name ("telegram:42", or "telegram:42#3" after /new) and
 * model ("" for the configured one). */
int q_chat(struct chan *c, const char *peer, char *session, size_t sn, char *model, size_t mn);
int q_chat_new(struct chan *c, const char *peer);
int q_chat_model(struct chan *c, const char *peer, const char *model);
long long q_chat_last_inbound(struct chan *c, const char *peer);   /* ms, 0 never */

/* A sender's standing: "allowed", "denied" or "" (unknown). */
int q_sender(struct chan *c, const char *sender, char *state, size_t n);
int q_sender_set(sqlite3 *db, const char *channel, const char *sender, const char *name,
    const char *state);
#endif
