/* conn: the gateway on net/server's connection loop — one connection under
 * inetd, or a listening socket under start — with its limits from gateway.*,
 * its jobs, its telemetry and SIGHUP's reload. */
#ifndef CLAW_GW_CONN_H
#define CLAW_GW_CONN_H
#include <stddef.h>

#include "gateway/gateway.h"
#include "net/server.h"

struct gw_conn {
	struct gw g;
	struct server s;
	struct gw_out o;              /* the request being answered, or whose job runs */
	char listen[300];             /* start: the address bound */
	int child;                    /* this process is a job's child */
};

/* inetd: serve the one connection on standard input and output.  0 or an exit code. */
int gw_conn_inetd(struct gw_conn *x, const char *peer);
/* start: listen on spec (ADDR:PORT), the address bound into bound; *exposed set
 * when it is not a loopback one.  0 or an exit code with err set. */
int gw_conn_listen(struct gw_conn *x, const char *spec, char *bound, size_t n, int *exposed);
/* A descriptor (the pidfile's lock) that job children must not keep. */
void gw_conn_hide(struct gw_conn *x, int fd);
/* start: serve until SIGTERM or SIGINT, then flush and let go. */
int gw_conn_run(struct gw_conn *x);
#endif
