/* route: what the gateway answers to one parsed request, by method and path. */
#ifndef CLAW_GW_ROUTE_H
#define CLAW_GW_ROUTE_H
#include <stddef.h>

#include "gateway/gateway.h"
#include "net/http_req.h"

/* A head has arrived (its body may not have): under inetd, open the store now
 * unless the route needs no token, so that the limits set there apply. */
void gw_route_head(struct gw *g, const struct http_req *r);
/* Answer a parsed request into o (or make it a job).  body is the Content-Length
 * bytes after the head. */
void gw_serve(struct gw *g, const struct http_req *r, const char *body, size_t blen,
    struct gw_out *o);
#endif
