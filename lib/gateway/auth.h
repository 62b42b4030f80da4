/* auth: a request's bearer token checked (HS256, expiry, the route's scope) and
 * counted against gateway.rate, in memory under start and in the store under inetd. */
#ifndef CLAW_GW_AUTH_H
#define CLAW_GW_AUTH_H
#include "gateway/gateway.h"
#include "net/http_req.h"

/* 0 when the request may go on, else its answer (401, 403, 429, 503) is in o. */
int gw_authorize(struct gw *g, const struct http_req *r, const char *scope, struct gw_out *o);
#endif
