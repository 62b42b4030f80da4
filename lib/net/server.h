/* server: the HTTP/1.1 connection loop every claw listener shares — one poll(2)
 * loop over non-blocking connections, each read head then body under caps and
 * deadlines, answered, kept alive or closed; a request the owner hands to a job
 * runs in a forked child that takes the connection over (in the process itself
 * when the server has one connection, as under inetd).  What a request means is
 * the owner's, through the callbacks in struct server_ops. */
#ifndef CLAW_SERVER_H
#define CLAW_SERVER_H
#include <stddef.h>

#include "base/buf.h"
#include "net/http_req.h"

#define SERVER_MAXCONNS 1024

struct server_limits {
	const char *keys;             /* the config namespace of these limits, named in refusals */
	long long max_body;           /* bytes of a request body: more is 413 */
	int head_ms, body_ms;         /* a head due after the accept (a kept connection: after its
	                               * first byte), its body after the head: else 408 */
	int idle_ms;                  /* a kept connection idle this long is closed */
	int max_requests;             /* on one connection */
	int write_ms;                 /* a reader that takes no bytes this long is dropped */
	int max_children;             /* jobs at once: more are refused with 503 */
	int max_per_peer;             /* connections from one address, 0: no limit */
};

struct server_conn {
	int in, out;                  /* one socket, or 0 and 1 under inetd */
	char peer[64];                /* the client's address, "-" when unknown */
	struct buf rx, tx;
	size_t head;                  /* the head's length once it parsed */
	long long length;             /* its body's */
	int state, close, nreq, partial, dead;
	int linger;                   /* closed after a refusal with a body unread: drain it */
	long long drained;
	long long t0, deadline;       /* clock_mono_ms() */
	long long born;               /* the accept's clock_mono_ms() */
	char method[16], label[48];   /* for ops->done: the method, and what the owner calls it */
	int status;                   /* the answer's, 0 when there is nothing to log */
};

/* What the owner made of a request. */
struct server_reply {
	int status;
	int close;                    /* close the connection after the answer */
	const char *resp;             /* the whole answer, head and body (copied) */
	size_t len;
	int job;                      /* instead: run ops->job on the connection */
	char label[48];
};

struct server_ops {
	/* A head arrived, its body not read yet: 0 to go on, or 1 with the answer
	 * (a refusal) in rp, sent at once unless the framing is refused (411, 413:
	 * the limits may follow from this call), without reading the body or
	 * sending 100 Continue, and the connection closed when a body was to follow. */
	int (*head)(void *ctx, const struct http_req *r, struct server_reply *rp);
	/* A whole request: answer it or ask for a job in rp. */
	void (*request)(void *ctx, const struct http_req *r, const char *body, size_t n,
	    struct server_reply *rp);
	/* The owner's error answer, for what the server refuses itself; extra is more
	 * header lines or NULL.  The connection closes after it. */
	void (*error)(void *ctx, int status, const char *message, const char *extra,
	    struct server_reply *rp);
	/* The job of the last request, on the connection's descriptors (blocking):
	 * the status sent, 0 when the client went away. */
	int (*job)(void *ctx, int in, int out);
	/* In a job's forked child, before the job. */
	void (*forked)(void *ctx);
	/* An exchange ended, in whichever process answered it: log it.  In a job's
	 * child it is the last call before the child exits. */
	void (*done)(void *ctx, const struct server_conn *c, long long ms);
	void (*reload)(void *ctx);    /* SIGHUP */
	/* Once a loop turn, with how many job children ended since the last: the
	 * next time (clock_mono_ms) it wants a turn, or -1. */
	long long (*tick)(void *ctx, int reaped);
};

struct server {
	const struct server_ops *ops;
	void *ctx;
	struct server_limits lim;
	int one;                      /* one connection (server_add): jobs run in the process */
	int lfd, sfd;                 /* listening socket, signalfd; -1 when none */
	int exposed;                  /* server_listen bound an address that is not loopback */
	int children;                 /* jobs running */
	int stopping;                 /* SIGTERM or SIGINT: finish what is being written */
	int hidden[4], nhidden;       /* descriptors a job's child must not keep */
	long long accept_pause, next_tick;
	int nconns, maxconns;
	struct server_conn *conns[SERVER_MAXCONNS];
};

void server_init(struct server *s, const struct server_ops *ops, void *ctx,
    const struct server_limits *lim);
/* Under start, a full table (or a peer at max_per_peer) sheds the connection
 * that has made the least progress, an idle kept one or the oldest still reading
 * its head, to take the new one; with none such the new one is closed. */
/* Bind and listen on ADDR:PORT ([v6]:PORT for IPv6); the address actually bound
 * (port 0 picks one) into bound.  0, or EX_CONFIG for a malformed address,
 * EX_NOPERM, EX_UNAVAILABLE (in use); err set. */
int server_listen(struct server *s, const char *spec, char *bound, size_t n);
/* Serve one connection on in and out (inetd): the loop ends with it. */
int server_add(struct server *s, int in, int out, const char *peer);
/* fd (a pidfile's lock) is closed in a job's child. */
void server_hide(struct server *s, int fd);
/* The loop: until SIGTERM or SIGINT (listening; signals are taken over), or until
 * the one connection is done.  0, or an exit code with err set. */
int server_run(struct server *s);
void server_free(struct server *s);
#endif
