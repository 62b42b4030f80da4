/* fetch: one HTTP POST, its body streamed to a callback as it arrives, over the
 * transport the URL calls for: plain http:// in fetch_plain.c (no libcurl), https://
 * and anything behind a proxy in fetch_curl.c. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/fetch.h"
#include "net/fetch_impl.h"

#define ERRBODY_MAX (64u << 10)

struct fetcher {
	void *curl;     /* created on the first https:// request */
};

void *
fetch_handle(void)
{
	return calloc(1, sizeof(struct fetcher));
}

void
fetch_handle_free(void *h)
{
	struct fetcher *fh = h;

	if (fh) {
		fetch_curl_free(fh->curl);
		free(fh);
	}
}

long long
fetch_idle_ms(const struct fetch *f)
{
	return f->idle_timeout > 0 ? f->idle_timeout * 1000LL : LLONG_MAX;
}

int
fetch_idle_error(struct fetch *f)
{
	snprintf(f->error, sizeof f->error, "nothing received for %lld s (--idle-timeout)",
	    fetch_idle_ms(f) / 1000);
	return f->transport = FETCH_TIMEOUT;
}

int
fetch_deliver(struct fetch *f, const char *p, size_t n)
{
	if (f->status < 200 || f->status >= 300) {
		size_t held = f->errbody.len < ERRBODY_MAX ? f->errbody.len : ERRBODY_MAX;
		size_t room = ERRBODY_MAX - held;
		buf_add(&f->errbody, p, n < room ? n : room);
		return 0;
	}
	if (f->fn(p, n, f->ctx))
		return f->stopped = 1;
	return 0;
}

/* libcurl honours these (lower-case http_proxy only: the httpoxy defence); so do we,
 * by handing such requests to it. */
static int
proxied(void)
{
	const char *const vars[] = { "http_proxy", "all_proxy", "ALL_PROXY" };
	size_t i;

	for (i = 0; i < sizeof vars / sizeof vars[0]; i++)
		if (getenv(vars[i]) && *getenv(vars[i]))
			return 1;
	return 0;
}

int
fetch_post(void *handle, struct fetch *f)
{
	struct fetcher *fh = handle;

	f->status = 0;
	f->retry_after = -1;
	f->stopped = 0;
	f->transport = FETCH_OK;
	f->error[0] = '\0';
	buf_reset(&f->errbody);
	if (strncmp(f->url, "http://", 7) == 0 && !proxied())
		return fetch_plain_post(f);
	return fetch_curl_post(&fh->curl, f);
}
