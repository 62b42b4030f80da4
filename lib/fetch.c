/* fetch: libcurl, set up the way C-NOTES §2.2 says: no total timeout (an idle
 * watchdog instead), no signals, http(s) only, keys in headers only. */
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "fetch.h"

#define ERRBODY_MAX (64u << 10)

void *
fetch_handle(void)
{
	static int inited;

	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		inited = 1;
	}
	return curl_easy_init();
}

void
fetch_handle_free(void *h)
{
	if (h)
		curl_easy_cleanup(h);
}

struct sink {
	CURL *h;
	struct fetch *f;
	long long last;      /* when a byte last arrived (or the transfer began) */
	int idle;            /* the idle watchdog stopped the transfer */
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t
on_data(char *p, size_t size, size_t nmemb, void *u)
{
	struct sink *s = u;
	size_t n = size * nmemb;

	s->last = now_ms();
	if (!s->f->status)
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->f->status);
	if (s->f->status < 200 || s->f->status >= 300) {
		if (s->f->errbody.len < ERRBODY_MAX)
			buf_add(&s->f->errbody, p, n < ERRBODY_MAX - s->f->errbody.len ? n : ERRBODY_MAX - s->f->errbody.len);
		return n;
	}
	if (s->f->fn(p, n, s->f->ctx)) {
		s->f->stopped = 1;
		return 0;
	}
	return n;
}

/* The idle watchdog.  CURLOPT_LOW_SPEED_TIME averages speed over several seconds,
 * so a quiet gap right after a burst goes unnoticed; this measures the gap itself.
 * libcurl calls it about once a second even when nothing arrives. */
static int
on_progress(void *u, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct sink *s = u;
	long idle = s->f->idle_timeout > 0 ? s->f->idle_timeout : 120;

	if (s->f->cancel && *s->f->cancel)
		return 1;
	if (now_ms() - s->last > idle * 1000) {
		s->idle = 1;
		return 1;
	}
	return 0;
}

int
fetch_post(void *handle, struct fetch *f)
{
	CURL *h = handle;
	struct curl_slist *hl = NULL, *t;
	struct sink s = { h, f, 0, 0 };
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_off_t ra = -1;
	const char *const *hp;
	CURLcode rc;

	f->status = 0;
	f->retry_after = -1;
	f->stopped = 0;
	f->transport = FETCH_OK;
	f->error[0] = '\0';
	buf_reset(&f->errbody);
	for (hp = f->headers; hp && *hp; hp++) {
		if (!(t = curl_slist_append(hl, *hp))) {
			curl_slist_free_all(hl);
			snprintf(f->error, sizeof f->error, "out of memory");
			return f->transport = FETCH_OTHER;
		}
		hl = t;
	}
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, f->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, f->body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)f->len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, f->connect_timeout > 0 ? f->connect_timeout : 10L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "claw/" CLAW_VERSION);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &s);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	s.last = now_ms();
	rc = curl_easy_perform(h);
	curl_slist_free_all(hl);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &f->status);
	if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra >= 0)
		f->retry_after = (long)ra;
	if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && f->stopped))
		return FETCH_OK;
	if (s.idle) {
		snprintf(f->error, sizeof f->error, "nothing received for %ld s (--idle-timeout)",
		    f->idle_timeout > 0 ? f->idle_timeout : 120L);
		return f->transport = FETCH_TIMEOUT;
	}
	snprintf(f->error, sizeof f->error, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
	switch (rc) {
	case CURLE_COULDNT_CONNECT: case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_RESOLVE_PROXY:
		f->transport = FETCH_CONNECT; break;
	case CURLE_OPERATION_TIMEDOUT:
		f->transport = f->status ? FETCH_TIMEOUT : FETCH_CONNECT; break;
	case CURLE_RECV_ERROR: case CURLE_PARTIAL_FILE: case CURLE_GOT_NOTHING: case CURLE_HTTP2_STREAM:
	case CURLE_SEND_ERROR:
		f->transport = FETCH_RECV; break;
	default:
		f->transport = FETCH_OTHER;
	}
	return f->transport;
}
