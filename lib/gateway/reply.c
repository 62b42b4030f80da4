/* reply: answers are built whole in a buffer (streams aside), with a
 * Content-Length; the tables below are the statuses' types and the exit codes'
 * statuses, as man/claw-gateway.1 lists them. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "gateway/reply.h"
#include "net/http_req.h"

static const struct {
	int status;
	const char *type;
} types[] = {
	{ 400, "bad_request" }, { 401, "unauthorized" }, { 403, "forbidden" },
	{ 404, "not_found" }, { 405, "method_not_allowed" }, { 408, "timeout" },
	{ 411, "bad_request" }, { 413, "too_large" }, { 414, "too_large" },
	{ 417, "bad_request" }, { 422, "skill_error" }, { 429, "rate_limited" },
	{ 431, "too_large" }, { 501, "bad_request" }, { 503, "unavailable" },
	{ 505, "bad_request" },
};

/* The exit codes of claw-chat and claw-skill (and the codes of their error
 * events), and what each is over HTTP. */
static const struct {
	long code;
	int status, retry;
} exits[] = {
	{ 0, 200, 0 },
	{ EX_NORESULT, 422, 0 },      /* a skill ran and said it failed */
	{ EX_USAGE, 400, 0 },
	{ EX_DATAERR, 400, 0 },       /* the request's data was refused: a provider's 4xx, a
	                               * skill's arguments */
	{ EX_NOINPUT, 404, 0 },       /* no such session, no such skill */
	{ EX_UNAVAILABLE, 503, 0 },   /* no provider reachable, no sandbox installed */
	{ EX_TEMPFAIL, 503, 1 },      /* busy, rate limited, cut short, out of time */
	{ EX_NOPERM, 403, 0 },        /* a key refused, a permission not granted */
};

int
gw_exit_status(long code, int *retry)
{
	size_t i;

	for (i = 0; i < sizeof exits / sizeof exits[0] && exits[i].code != code; i++)
		;
	if (retry)
		*retry = i < sizeof exits / sizeof exits[0] && exits[i].retry;
	return i < sizeof exits / sizeof exits[0] ? exits[i].status : 500;
}

const char *
gw_error_type(int status)
{
	size_t i;

	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].status == status)
			return types[i].type;
	return status >= 500 ? "internal" : "bad_request";
}

/* The date an origin server must send (RFC 9110 §6.6.1), formatted once a
 * second, by hand: strftime would read /etc/localtime at every inetd start, and
 * glibc's gmtime_r does too (tzset).  Days to a civil date: H. Hinnant's
 * days_from_civil inverted (proleptic Gregorian, eras of 400 years). */
static const char *
http_date(void)
{
	static const char days[] = "ThuFriSatSunMonTueWed",     /* 1970-01-01 was a Thursday */
	    months[] = "MarAprMayJunJulAugSepOctNovDecJanFeb";    /* the year starts in March */
	static char text[40];
	static time_t last;
	time_t now = time(NULL);
	long long z, era, doe, yoe, doy, mp, y, d, s;

	if (now != last && now >= 0) {
		z = (long long)now / 86400;
		s = (long long)now % 86400;
		era = (z + 719468) / 146097;
		doe = z + 719468 - era * 146097;
		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
		mp = (5 * doy + 2) / 153;
		d = doy - (153 * mp + 2) / 5 + 1;
		y = yoe + era * 400 + (mp >= 10);
		snprintf(text, sizeof text, "%.3s, %02lld %.3s %04lld %02lld:%02lld:%02lld GMT",
		    days + 3 * (z % 7), d, months + 3 * mp, y, s / 3600, s / 60 % 60, s % 60);
		last = now;
	}
	return text;
}

void
gw_head(struct buf *b, int status, const char *ctype, long long length, int close,
    const char *extra)
{
	buf_printf(b, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: claw-gateway\r\n", status,
	    http_reason(status), http_date());
	if (ctype)
		buf_printf(b, "Content-Type: %s\r\nCache-Control: no-store\r\n"
		    "X-Content-Type-Options: nosniff\r\n", ctype);
	if (length >= 0)
		buf_printf(b, "Content-Length: %lld\r\n", length);
	if (close == 1)
		buf_adds(b, "Connection: close\r\n");
	else if (close == 2)
		buf_adds(b, "Connection: keep-alive\r\n");   /* HTTP/1.0 assumes close otherwise */
	if (extra)
		buf_adds(b, extra);
	buf_adds(b, "\r\n");
}

void
gw_answer(struct gw_out *o, int status, const char *json, size_t n, const char *extra)
{
	o->status = status;
	buf_reset(&o->resp);
	gw_head(&o->resp, status, "application/json", (long long)n + 1,
	    o->close ? 1 : o->http10 ? 2 : 0, extra);
	buf_add(&o->resp, json, n);
	buf_addc(&o->resp, '\n');
}

void
gw_answer_ok(struct gw_out *o, const struct buf *b)
{
	if (b->oom || !b->p)
		gw_error(o, 500, "out of memory");
	else
		gw_answer(o, 200, b->p, b->len, NULL);
}

void
gw_error_body(struct buf *b, int status, const char *message)
{
	buf_adds(b, "{\"error\":{\"message\":");
	buf_add_json_str(b, message, strlen(message));
	buf_printf(b, ",\"type\":\"%s\"}}", gw_error_type(status));
}

void
gw_error_extra(struct gw_out *o, int status, const char *message, const char *extra)
{
	struct buf b = BUF_INIT;

	gw_error_body(&b, status, message);
	/* After an error the rest of the bytes cannot be trusted to frame a request. */
	if (status == 400 || status == 408 || status == 411 || status == 413 || status == 414
	    || status == 417 || status == 431 || status == 505 || status >= 500)
		o->close = 1;
	gw_answer(o, status, b.p ? b.p : "{}", b.p ? b.len : 2, extra);
	buf_free(&b);
}

void
gw_error(struct gw_out *o, int status, const char *message)
{
	gw_error_extra(o, status, message, NULL);
}

void
gw_out_free(struct gw_out *o)
{
	buf_free(&o->resp);
	buf_free(&o->arg);
}

/* URLs out of a message: a provider's base URL is the owner's business. */
static void
scrub_urls(const char *msg, struct buf *m)
{
	const char *p = msg, *u;

	while ((u = strstr(p, "://"))) {
		const char *s = u;
		while (s > p && ((s[-1] >= 'a' && s[-1] <= 'z') || (s[-1] >= 'A' && s[-1] <= 'Z')))
			s--;
		buf_add(m, p, (size_t)(s - p));
		buf_adds(m, s == u ? "://" : "[URL]");
		p = u + 3;
		if (s != u)
			p += strcspn(p, " \t\n\"')],;");
	}
	buf_adds(m, p);
}

int
gw_client_error(long code, const char *msg, struct buf *m, int *retry)
{
	int status = gw_exit_status(code, retry);
	const char *c;

	if (code == EX_CONFIG && strstr(msg, "(HTTP 404") && (c = strstr(msg, ": "))
	    && memchr(msg, '/', (size_t)(c - msg))) {
		fprintf(stderr, "claw-gateway: %s\n", msg);
		buf_printf(m, "no such model: %.*s", (int)(c - msg), msg);
		return 404;
	}
	if (code == EX_CONFIG || code == EX_UNAVAILABLE) {
		fprintf(stderr, "claw-gateway: %s\n", msg);     /* stderr is the gateway's log */
		buf_adds(m, code == EX_CONFIG
		    ? "the gateway is not configured for this: its log says why"
		    : "unavailable: the gateway's log says why");
		return status;
	}
	scrub_urls(msg, m);
	return status;
}
