/* serve: the server side of the node protocol — one session on a connection
 * (inetd, tcpserver, systemd Accept=yes, ssh), and the listener that forks one
 * per connection. */
#ifndef CLAW_NODE_SERVE_H
#define CLAW_NODE_SERVE_H

struct node_serve {
	int timeout_ms;          /* for the handshake and for the request after it */
	int max_children;        /* sessions at once under --listen */
	const char *name;        /* this node's name, told to peers */
	void (*log)(const char *line);   /* what the server says: refusals, pairings */
};

/* One session on rfd/wfd from addr ("-" when unknown): the exit code of what ran,
 * or of why the session was refused. */
int node_session(const struct node_serve *s, int rfd, int wfd, const char *addr);
/* Listen on spec and serve each connection in a child until SIGTERM or SIGINT.
 * bound gets the address bound (port 0 picks one) before ready(bound) is called. */
int node_listen(const struct node_serve *s, const char *spec, void (*ready)(const char *bound));

/* This machine's 1-minute load average and the sessions running now. */
double node_loadavg(void);
int node_jobs(void);
#endif
