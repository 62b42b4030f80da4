/* fetch_impl: what net/fetch.c shares with its two transports (plain sockets for
 * http://, libcurl for https:// and proxies).  Not for use outside lib/net/fetch*.c. */
#ifndef CLAW_FETCH_IMPL_H
#define CLAW_FETCH_IMPL_H
#include "net/fetch.h"

#define FETCH_USER_AGENT "claw/" CLAW_VERSION

long long fetch_idle_ms(const struct fetch *f);
int fetch_idle_error(struct fetch *f);                 /* sets the error, returns FETCH_TIMEOUT */
int fetch_deliver(struct fetch *f, const char *p, size_t n);   /* body bytes: non-zero stops */

int fetch_plain_post(struct fetch *f);
int fetch_curl_post(void **curl, struct fetch *f);
void fetch_curl_free(void *curl);
#endif
