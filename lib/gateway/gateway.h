/* gateway: what claw-gateway knows across requests — its gateway.* limits, the
 * secret, the store opened on first need, rate counts and telemetry — and what
 * one request becomes (struct gw_out).  route.c answers requests, auth.c checks
 * tokens, job.c runs chats and skills, reply.c writes answers, conn.c puts them
 * on net/server's connection loop. */
#ifndef CLAW_GATEWAY_H
#define CLAW_GATEWAY_H
#include <sqlite3.h>

#include "base/buf.h"
#include "store/telemetry.h"

#define GW_RATESLOTS 256
#define GW_PEERSLOTS 64           /* peers whose refusals are counted in one minute */
#define GW_REFUSED_ROWS 10        /* refused requests recorded a minute per peer */

struct gw_rate {                  /* one token's requests in the current minute */
	unsigned char key[16];
	long long window;
	long count;
};

struct gw_peer {                  /* one address's refused requests in the current minute */
	char addr[64];
	long long window;
	long count;
};

struct gw {
	int inetd;                    /* one connection on stdin/stdout */
	const char *listen;           /* ADDR:PORT under start, else NULL */
	sqlite3 *db;                  /* opened on first need: inetd /healthz never opens it */
	char *secret;                 /* gateway.jwt_secret, or NULL when none is set */
	long rate;                    /* requests a minute per token, 0: no limit */
	long long max_body;
	int head_timeout, body_timeout;   /* seconds */
	int max_children, children;
	int max_per_peer;             /* start: connections from one address */
	long long started;            /* clock_wall_ms() at start */
	long long requests;
	struct gw_rate rates[GW_RATESLOTS];   /* start: counted here; inetd: in the store */
	struct telemetry tel;         /* rows waiting for gw_flush (start) or the spool (inetd) */
	long long flushed;            /* clock_mono_ms() of the last flush */
	int spooled;                  /* a child may have spooled rows: flush soon */
	long long minute;             /* start: the minute the counts below are of */
	long healthz;                 /* /healthz answered in it, written as one row */
	long unrecorded;              /* refused requests over GW_REFUSED_ROWS for their peer */
	struct gw_peer refused[GW_PEERSLOTS];
};

/* What one request became. */
struct gw_out {
	int status;
	int close;                    /* close the connection after the answer */
	int http10;                   /* an HTTP/1.0 client: keep-alive must be said */
	struct buf resp;              /* the whole answer, head and body, when job is 0 */
	int job;                      /* GW_CHAT, _COMPLETIONS, _RESPONSES or _SKILL: gw_job */
	int stream;
	struct buf arg;               /* the job's input line (claw-chat request or skill args) */
	char name[96];                /* the skill, or the model named (else the chain's first) */
	int usage_chunk;              /* completions: stream_options.include_usage */
	char route[48];               /* for telemetry: the route's pattern, never the URL */
	char id[48];                  /* Responses: the answer's id, resp_… */
	/* GW_CHILD: the answer made in the job's child (a child process's run that may
	 * be slow: /metrics, a webhook's ingest), so the loop goes on meanwhile */
	void (*child)(struct gw *g, struct gw_out *o);
	int head;                     /* GW_CHILD for a HEAD request: no body */
};
enum { GW_CHAT = 1, GW_COMPLETIONS, GW_RESPONSES, GW_SKILL, GW_CHILD };

/* Read the gateway.* keys from the environment and the defaults (the store
 * follows when gw_store opens it), and a secret from the environment. */
void gw_init(struct gw *g, int inetd, const char *listen);
void gw_free(struct gw *g);       /* flushes the telemetry first */
void gw_reload(struct gw *g);     /* start, on SIGHUP: the keys and the secret again */
int gw_store(struct gw *g);       /* open the store once: 0 or exit code */
/* In a job's forked child: let go of the loop's store connection without
 * touching it (the child opens its own), and spool telemetry as inetd does. */
void gw_forked(struct gw *g);

/* Telemetry: one "request" event per request, never with the token, but for
 * /healthz (under start counted, one "requests" row a minute; under inetd not at
 * all) and refused ones (4xx: at most GW_REFUSED_ROWS a minute per peer, the rest
 * counted in one "requests" row).  Under start the rows wait and gw_flush writes
 * them (at most once a second unless force). */
void gw_record(struct gw *g, const char *method, const char *route, int status, long long ms,
    const char *peer);
void gw_flush(struct gw *g, int force);
/* start: when (clock_mono_ms) the counts of the current minute want writing, or -1. */
long long gw_summary_due(const struct gw *g);

/* The secret for minting tokens, from the store: the configured one, else
 * JWT_SECRET, else a new one stored sealed (*made set).  0 or an exit code. */
int gw_secret(char **secret, int *made);
#endif
