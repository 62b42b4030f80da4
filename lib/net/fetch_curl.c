/* fetch_curl: HTTPS (and proxies) through libcurl, loaded with dlopen on first
 * use: linking it costs every claw-chat start ~20 ms, a local model needs none of it.
 * Set up the way C-NOTES §2.2 says: no signals, http(s) only, keys in headers only. */
#define CURL_DISABLE_TYPECHECK
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "base/clock.h"
#include "net/fetch.h"
#include "net/fetch_impl.h"

#define ERRBODY_MAX (64u << 10)

static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *);
	void (*easy_reset)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	int ok;
} C;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
load(void)
{
	void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);

	if (!lib)
		return;
#define SYM(field, name) if (!(*(void **)&C.field = dlsym(lib, name))) return
	SYM(global_init, "curl_global_init");
	SYM(easy_init, "curl_easy_init");
	SYM(easy_cleanup, "curl_easy_cleanup");
	SYM(easy_reset, "curl_easy_reset");
	SYM(easy_setopt, "curl_easy_setopt");
	SYM(easy_perform, "curl_easy_perform");
	SYM(easy_getinfo, "curl_easy_getinfo");
	SYM(easy_strerror, "curl_easy_strerror");
	SYM(slist_append, "curl_slist_append");
	SYM(slist_free_all, "curl_slist_free_all");
#undef SYM
	C.ok = C.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

void
fetch_curl_free(void *h)
{
	if (h && C.ok)
		C.easy_cleanup(h);
}

struct sink {
	CURL *h;
	struct fetch *f;
	long long last;      /* when a byte last arrived (or the transfer began) */
	int idle;            /* the idle watchdog stopped the transfer */
	int interim;         /* the head being read is a 1xx's: its headers are not told */
};

static size_t
on_data(char *p, size_t size, size_t nmemb, void *u)
{
	struct sink *s = u;
	size_t n = size * nmemb;

	s->last = clock_mono_ms();
	if (!s->f->status)
		C.easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->f->status);
	return fetch_deliver(s->f, p, n) ? 0 : n;
}

/* One header line as libcurl hands it ("Name: value\r\n", a status line, the blank
 * line), told to f->header the way net/http_resp tells them on the plain path. */
static size_t
on_header(char *p, size_t size, size_t nitems, void *u)
{
	struct sink *s = u;
	size_t n = size * nitems, k, e;
	char name[128], value[1024];
	const char *colon;

	if (n > 5 && memcmp(p, "HTTP/", 5) == 0) {
		colon = memchr(p, ' ', n);
		s->interim = colon && (size_t)(colon - p) + 1 < n && colon[1] == '1';
		return n;
	}
	if (s->interim || !(colon = memchr(p, ':', n)) || (k = (size_t)(colon - p)) == 0
	    || k >= sizeof name)
		return n;
	memcpy(name, p, k);
	name[k] = '\0';
	for (k++; k < n && (p[k] == ' ' || p[k] == '\t'); k++)
		;
	for (e = n; e > k && strchr(" \t\r\n", p[e - 1]); e--)
		;
	if (e - k >= sizeof value)
		return n;
	memcpy(value, p + k, e - k);
	value[e - k] = '\0';
	s->f->header(name, value, s->f->hctx);
	return n;
}

/* The idle watchdog.  CURLOPT_LOW_SPEED_TIME averages speed over several seconds,
 * so a quiet gap right after a burst goes unnoticed; this measures the gap itself.
 * libcurl calls it about once a second even when nothing arrives. */
static int
on_progress(void *u, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct sink *s = u;

	if (s->f->cancel && *s->f->cancel)
		return 1;
	if (clock_mono_ms() - s->last > fetch_idle_ms(s->f)) {
		s->idle = 1;
		return 1;
	}
	return 0;
}

int
fetch_curl_post(void **handle, struct fetch *f)
{
	struct curl_slist *hl = NULL, *t;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct sink s = { NULL, f, 0, 0, 0 };
	curl_off_t ra = -1;
	const char *const *hp;
	CURLcode rc;
	CURL *h;

	pthread_once(&once, load);
	if (!C.ok) {
		snprintf(f->error, sizeof f->error, "libcurl.so.4 cannot be loaded: %s",
		    "install libcurl4");
		return f->transport = FETCH_OTHER;
	}
	if (!*handle && !(*handle = C.easy_init())) {
		snprintf(f->error, sizeof f->error, "libcurl: cannot start");
		return f->transport = FETCH_OTHER;
	}
	s.h = h = *handle;
	for (hp = f->headers; hp && *hp; hp++) {
		if (!(t = C.slist_append(hl, *hp))) {
			C.slist_free_all(hl);
			snprintf(f->error, sizeof f->error, "out of memory");
			return f->transport = FETCH_OTHER;
		}
		hl = t;
	}
	C.easy_reset(h);
	C.easy_setopt(h, CURLOPT_URL, f->url);
	C.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	C.easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	C.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (f->method && strcmp(f->method, "GET") == 0)
		C.easy_setopt(h, CURLOPT_HTTPGET, 1L);
	else {
		C.easy_setopt(h, CURLOPT_POST, 1L);
		C.easy_setopt(h, CURLOPT_POSTFIELDS, f->body);
		C.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)f->len);
		if (f->method && strcmp(f->method, "POST"))      /* PATCH: a body, its verb */
			C.easy_setopt(h, CURLOPT_CUSTOMREQUEST, f->method);
	}
	C.easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	C.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	C.easy_setopt(h, CURLOPT_WRITEDATA, &s);
	if (f->header) {
		C.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
		C.easy_setopt(h, CURLOPT_HEADERDATA, &s);
	}
	C.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	C.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, f->connect_timeout > 0 ? f->connect_timeout : 10L);
	C.easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	C.easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	C.easy_setopt(h, CURLOPT_USERAGENT,
	    f->user_agent ? f->user_agent : FETCH_USER_AGENT);
	C.easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	C.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	C.easy_setopt(h, CURLOPT_XFERINFODATA, &s);
	C.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	s.last = clock_mono_ms();
	rc = C.easy_perform(h);
	C.slist_free_all(hl);
	C.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &f->status);
	if (C.easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra >= 0)
		f->retry_after = (long)ra;
	if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && f->stopped))
		return FETCH_OK;
	if (s.idle)
		return fetch_idle_error(f);
	snprintf(f->error, sizeof f->error, "%s", errbuf[0] ? errbuf : C.easy_strerror(rc));
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		f->transport = FETCH_CONNECT; break;
	case CURLE_OPERATION_TIMEDOUT:
		f->transport = f->status ? FETCH_TIMEOUT : FETCH_CONNECT; break;
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2_STREAM:
	case CURLE_SEND_ERROR:
		f->transport = FETCH_RECV; break;
	default:
		f->transport = FETCH_OTHER;
	}
	return f->transport;
}
