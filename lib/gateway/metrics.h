/* metrics: GET /metrics, the Prometheus text that `claw-monitor export --prometheus`
 * writes, run as a child: the gateway never includes monitor/. */
#ifndef CLAW_GW_METRICS_H
#define CLAW_GW_METRICS_H
#include <stddef.h>

#include "gateway/gateway.h"
#include "net/http_req.h"

void gw_metrics(struct gw *g, const struct http_req *r, const char *body, size_t n,
    struct gw_out *o);
#endif
