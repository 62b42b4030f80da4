/* gateway: what claw-gateway does with one HTTP request, whoever accepted the
 * connection.  The connection loop (cmd/claw-gateway.c) reads a head and a body
 * and calls gw_serve; light routes answer into a buffer at once, chat and skill
 * runs come back as a job that gw_job runs with the connection's descriptors:
 * in a forked child under `start`, in the process itself under inetd. */
#ifndef CLAW_GATEWAY_H
#define CLAW_GATEWAY_H
#include <sqlite3.h>
#include "base/buf.h"
#include "net/http_req.h"

#define GW_RATESLOTS 256

struct gw_rate {                  /* one token's requests in the current minute */
	unsigned char key[16];
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
	long long started;            /* clock_wall_ms() at start */
	long long requests;
	struct gw_rate rates[GW_RATESLOTS];   /* start: counted here; inetd: in the store */
	struct buf events;            /* start: telemetry rows waiting for gw_flush */
	size_t nevents;
	long long flushed;            /* clock_mono_ms() of the last flush */
	int spooled;                  /* a child may have spooled rows: flush soon */
};

/* What one request became. */
struct gw_out {
	int status;
	int close;                    /* close the connection after the answer */
	int http10;                   /* an HTTP/1.0 client: keep-alive must be said */
	struct buf resp;              /* the whole answer, head and body, when job is 0 */
	int job;                      /* GW_CHAT, GW_COMPLETIONS or GW_SKILL: run it with gw_job */
	int stream;
	struct buf arg;               /* the job's input line (claw-chat request or skill args) */
	char name[96];                /* the skill, or the model as the client named it */
	int usage_chunk;              /* completions: stream_options.include_usage */
	char route[48];               /* for telemetry: the route's pattern, never the URL */
};
enum { GW_CHAT = 1, GW_COMPLETIONS, GW_SKILL };

/* Read the gateway.* keys from the environment and the defaults (the store
 * follows when gw_store opens it), and a secret from the environment. */
void gw_init(struct gw *g, int inetd, const char *listen);
void gw_free(struct gw *g);
void gw_reload(struct gw *g);     /* start, on SIGHUP: the keys and the secret again */
int gw_store(struct gw *g);       /* open the store once: 0 or exit code */

/* A head has arrived (its body may not have): under inetd, open the store now
 * unless the route needs no token, so that the limits set there apply. */
void gw_head(struct gw *g, const struct http_req *r);
/* Answer a parsed request.  body is the Content-Length bytes after the head. */
void gw_serve(struct gw *g, const struct http_req *r, const char *body, size_t blen, struct gw_out *o);
/* An error answer: {"error":{"message","type"}} with the status's type. */
void gw_error(struct gw_out *o, int status, const char *message);
/* The same with more header lines ("Name: value\r\n" each). */
void gw_error_extra(struct gw_out *o, int status, const char *message, const char *extra);
void gw_out_free(struct gw_out *o);

/* Run a job on the connection (in: the client's bytes, out: where the answer
 * goes), blocking; returns the HTTP status sent (0 if the client went away). */
int gw_job(struct gw *g, struct gw_out *o, int in, int out);

/* Telemetry: one event per request, never with the token.  Under start the rows
 * wait in g->events and gw_flush writes them in one transaction. */
void gw_record(struct gw *g, const char *method, const char *route, int status, long long ms,
    const char *peer);
void gw_flush(struct gw *g, int force);

/* The secret: the configured one, or a new one stored sealed (*made set). */
int gw_secret(sqlite3 *db, char **secret, int *made);
#endif
