/* client: reaching a peer (TCP, or ssh running `claw-node serve --stdio`), the
 * client handshake, and what is asked of a peer: a run with failover, a ping, a
 * pairing. */
#ifndef CLAW_NODE_CLIENT_H
#define CLAW_NODE_CLIENT_H
#include <sqlite3.h>
#include <sys/types.h>

#include "node/peer.h"
#include "node/wire.h"

#define NODE_PORT "7077"

struct node_conn {
	struct node_chan c;
	int fd;                   /* the socket, or -1 */
	pid_t ssh;                /* the ssh transport's process, or -1 */
	int rfd, wfd;
};

/* Reach host (HOST[:PORT], [V6][:PORT] or ssh:[USER@]HOST) and shake hands: pin
 * is the key the server must have, or inv (pairing).  0, or an exit code with
 * err set naming host. */
int node_open(struct node_conn *k, const char *host, const struct node_id *me,
    const unsigned char *pin, const struct node_invite *inv, const char *payload,
    int timeout_ms);
void node_close(struct node_conn *k);

/* What a run reports back. */
struct node_result {
	int exit;                 /* the program's exit, or ours */
	int relayed;              /* output reached our stdout or stderr */
	char peer[PEER_NAMEMAX];  /* who ran it */
	int tries;
	int ours;                 /* the exit is ours (err set), not the program's */
	void (*note)(const char *why);   /* told of each peer that failed over, or NULL */
};

/* Run argv on the first of peers[order[0..n)] that takes it, with our stdin,
 * stdout and stderr; a peer that fails before any output was relayed is marked
 * unhealthy and the next is tried.  Returns the exit code (75 when a peer failed
 * after output was relayed, 69 when none could run it), err set when it is ours. */
int node_exec(sqlite3 *db, const struct node_id *me, struct peer *peers, const int *order,
    int n, char *const argv[], int timeout_ms, struct node_result *res);

/* A ping: handshake, {"op":"ping"}, the answer's load and jobs; health recorded.
 * 0 with *rtt_ms, or an exit code. */
int node_ping(sqlite3 *db, const struct node_id *me, struct peer *p, int timeout_ms,
    double *rtt_ms);

/* Pair with the node at host through the invite's code: payload names us; on
 * success master gets the server's key (both sides have pinned each other). */
int node_pair(const struct node_id *me, const char *host, const struct node_invite *inv,
    const char *payload, int timeout_ms, unsigned char master[32]);

/* The argv of a request frame: {"argv":[...]}. */
void node_request_json(struct buf *b, char *const argv[]);
/* The "exit" member of an exit frame, and its load and jobs (or -1). */
int node_exit_parse(const unsigned char *p, size_t n, double *load, int *jobs);
#endif
