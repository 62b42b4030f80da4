/* chan: one messaging channel as every connector sees it — its settings from the
 * channels.NAME.* keys, the message parsed from an update, and the connector table
 * (Telegram, WhatsApp, Discord, Signal). */
#ifndef CLAW_CHAN_H
#define CLAW_CHAN_H
#include <stddef.h>
#include <sqlite3.h>

#include "base/buf.h"
#include "store/telemetry.h"

#define CHAN_UPDATE_MAX (256u << 10)   /* one update's JSON; more is refused, not stored */
#define CHAN_MEDIA_MAX  (20u << 20)    /* what a Telegram bot may download */

enum { CHAN_OPEN, CHAN_PAIRING, CHAN_ALLOWLIST };

struct chan {
	char name[32];                /* the channel: telegram, whatsapp */
	const struct chan_conn *conn;
	sqlite3 *db;
	void *http;                   /* fetch handle */
	char *token;                  /* channels.NAME.token, opened (wiped at chan_close) */
	char base_url[512];
	char bot[64], botid[32];      /* Telegram: the bot's username and id, for mentions */
	char phone_id[64], version[16];   /* WhatsApp */
	int policy;
	int stream_edit;              /* channels.NAME.stream=edit */
	enum { VOICE_AUTO, VOICE_ALWAYS, VOICE_NEVER } voice_reply;
	int down;                     /* the last poll found the service away (status says so) */
	/* While set, told every response header of chan_http's answers (Discord's limits). */
	void (*on_header)(const char *name, const char *value, void *ctx);
	void *hdr_ctx;
	long max_attempts, media_max, parallel, poll_timeout;
	struct telemetry tel;
};

/* One inbound message as the queue keeps it. */
struct chan_msg {
	char ext[80];                 /* the service's id for the update: dedup key */
	char peer[64];                /* the conversation: a session per peer */
	char sender[64];
	char name[96];
	char msgid[320];              /* the service's id of the message, to reply to (Discord:
	                               * an interaction's application id and token) */
	int group, addressed;         /* a group chat; the bot mentioned or replied to */
	int skip;                     /* stored for dedup only: not a message to answer */
	int oversized;
	struct buf text;
	struct buf media;             /* JSON array of {kind, id, mime, size} */
};

/* What one send came to. */
struct chan_sent {
	enum { SENT_OK, SENT_RETRY, SENT_FATAL } how;
	long retry_after;             /* SENT_RETRY: seconds the service asked for, or -1 */
	char ext[96];                 /* SENT_OK: the service's id of the message */
	char why[300];
};

typedef int chan_msg_fn(struct chan *c, struct chan_msg *m, void *ctx);

struct chan_conn {
	const char *kind;
	const char *base_url;         /* the public API, when channels.NAME.base_url is unset */
	size_t text_max;              /* a message's limit in UTF-16 units */
	int can_edit;                 /* send may replace a sent message (stream=edit) */
	int no_token;                 /* no channels.NAME.token: a local daemon (Signal) */
	int reply_all;                /* every part carries reply_to, later ones as "+ID" */
	const char *user_agent;       /* the service asks for its own (NULL: fetch's) */
	/* A webhook body (or one poll's result): fn for each message in it.  0, or
	 * EX_DATAERR when it is not what the service sends. */
	int (*parse)(struct chan *c, const char *body, size_t n, chan_msg_fn *fn, void *ctx);
	/* Long polling: fetch what is new after the cursor, fn for each message in
	 * order, *next the cursor past them.  NULL when the service only pushes. */
	int (*poll)(struct chan *c, const char *cursor, int timeout, chan_msg_fn *fn, void *ctx,
	    char *next, size_t nextlen);
	/* Send text to peer (reply_to may be ""); edit: replace message edit_id. */
	void (*send)(struct chan *c, const char *peer, const char *text, const char *reply_to,
	    const char *edit_id, struct chan_sent *r);
	void (*typing)(struct chan *c, const char *peer, const char *msgid);
	/* Send the OGG/Opus note at path, read whole into audio, to peer as a voice note
	 * (NULL: the connector cannot). */
	void (*voice)(struct chan *c, const char *peer, const char *path,
	    const struct buf *audio, const char *reply_to, struct chan_sent *r);
	/* Download media id into the open file fd, at most max bytes: 0 or exit code. */
	int (*media)(struct chan *c, const char *id, int fd, long max, char *mime, size_t mlen);
	/* At add: check the token and learn what the connector needs (the bot's name). */
	int (*check)(struct chan *c);
	/* Point the service's webhook at url with secret (NULL url: delete it). */
	int (*hook)(struct chan *c, const char *url, const char *secret);
	/* The webhook's own side effects outside messages (WhatsApp statuses). */
	int (*statuses)(struct chan *c, const char *body, size_t n);
};

const struct chan_conn *chan_conn(const char *kind);      /* NULL when unknown */
const char *chan_kinds(void);                               /* "telegram, whatsapp" */

/* Open channel name: its row in channels and its keys.  need_token: a token
 * must be set.  0 or an exit code with err set. */
int chan_open(struct chan *c, sqlite3 *db, const char *name, int need_token);
void chan_close(struct chan *c);
/* channels.NAME.KEY's effective value into dst ("" when unset). */
void chan_key(const struct chan *c, const char *key, char *dst, size_t n);

void chan_msg_init(struct chan_msg *m);
void chan_msg_free(struct chan_msg *m);

/* One request to the service: method "GET" or "POST", body JSON or NULL; the answer's
 * body (2xx or not) into out, at most max bytes (more: *big set, transfer stopped).
 * The HTTP status, or 0 on a transport failure (why in err). */
long chan_http(struct chan *c, const char *method, const char *url, const char *auth,
    const char *body, size_t len, struct buf *out, size_t max, long timeout, int *big,
    long *retry_after);
/* The same with the body's Content-Type header line (an upload's multipart/form-data). */
long chan_http_type(struct chan *c, const char *method, const char *url, const char *auth,
    const char *ctype, const char *body, size_t len, struct buf *out, size_t max,
    long timeout, int *big, long *retry_after);
#endif
