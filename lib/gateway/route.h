/* route: what the gateway answers to one parsed request, by method and path. */
#ifndef CLAW_GW_ROUTE_H
#define CLAW_GW_ROUTE_H
#include <stddef.h>

#include "gateway/gateway.h"
#include "net/http_req.h"

/* A head has arrived, its body not read: a route that needs a token has it
 * checked now (under inetd the store opened first, so that its limits apply).
 * 0 to go on, or -1 with the refusal in o: the body is never read. */
int gw_route_head(struct gw *g, const struct http_req *r, struct gw_out *o);
/* Answer a parsed request into o (or make it a job); gw_route_head passed it
 * first.  body is the Content-Length bytes after the head. */
void gw_serve(struct gw *g, const struct http_req *r, const char *body, size_t blen,
    struct gw_out *o);
#endif
