/* job: the chat and skill runs a request became, run on its connection. */
#ifndef CLAW_GW_JOB_H
#define CLAW_GW_JOB_H
#include "gateway/gateway.h"

/* Run o's job, blocking, writing the answer to out: the HTTP status sent, 0
 * when the client went away. */
int gw_job(struct gw *g, struct gw_out *o, int out);
#endif
