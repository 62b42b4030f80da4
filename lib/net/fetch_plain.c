/* fetch_plain: plain http:// (a local model: Ollama, llama.cpp, vLLM) over our own
 * socket, the response read by net/http_resp, so a local turn never loads libcurl. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "net/fetch.h"
#include "net/fetch_impl.h"
#include "net/http_resp.h"
#include "net/tcp.h"

struct url {
	char host[256], port[8], path[2048];
};

static int
parse_url(const char *u, struct url *url)
{
	const char *h = u + 7, *hend, *p, *slash;

	slash = h + strcspn(h, "/?#");
	if (*h == '[') {
		if (!(hend = memchr(h, ']', (size_t)(slash - h))))
			return -1;
		h++;
		p = hend + 1;
	} else {
		hend = memchr(h, ':', (size_t)(slash - h));
		if (!hend)
			hend = slash;
		p = hend;
	}
	if (hend == h || (size_t)(hend - h) >= sizeof url->host ||
	    memchr(h, '@', (size_t)(hend - h)))
		return -1;
	snprintf(url->host, sizeof url->host, "%.*s", (int)(hend - h), h);
	if (*p == ':') {
		size_t n = (size_t)(slash - p - 1);
		if (n == 0 || n > 5 || strspn(p + 1, "0123456789") < n)
			return -1;
		snprintf(url->port, sizeof url->port, "%.*s", (int)n, p + 1);
	} else if (p == slash)
		snprintf(url->port, sizeof url->port, "80");
	else
		return -1;
	if (snprintf(url->path, sizeof url->path, "%s",
	    *slash == '/' ? slash : "/") >= (int)sizeof url->path)
		return -1;
	url->path[strcspn(url->path, "#")] = '\0';
	return 0;
}

/* Connect to the first address that answers within the connect timeout. */
static int
dial(struct fetch *f, const struct url *url)
{
	struct addrinfo hints = { 0 }, *res;
	long long deadline = clock_mono_ms() +
	    (f->connect_timeout > 0 ? f->connect_timeout : 10) * 1000LL;
	int fd, rc, err;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(url->host, url->port, &hints, &res))) {
		snprintf(f->error, sizeof f->error, "Could not resolve host: %s (%s)", url->host,
		    gai_strerror(rc));
		return -1;
	}
	fd = tcp_connect_any(res, deadline, &err);
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(f->error, sizeof f->error, "Failed to connect to %s port %s: %s",
		    url->host, url->port, strerror(err));
		return -1;
	}
	return fd;
}

/* Wait until fd is ready, in one-second steps so a cancel or the idle limit is seen. */
static int
await(struct fetch *f, int fd, short events, long long last)
{
	struct pollfd pfd = { fd, events, 0 };
	int rc;

	for (;;) {
		if (f->cancel && *f->cancel) {
			snprintf(f->error, sizeof f->error, "interrupted");
			return f->transport = FETCH_OTHER;
		}
		if (clock_mono_ms() - last > fetch_idle_ms(f))
			return fetch_idle_error(f);
		if ((rc = poll(&pfd, 1, 1000)) > 0)
			return 0;
		if (rc < 0 && errno != EINTR) {
			snprintf(f->error, sizeof f->error, "poll: %s", strerror(errno));
			return f->transport = FETCH_RECV;
		}
	}
}

struct plain {
	struct fetch *f;
	struct http_resp h;
};

/* The head is parsed by the time body bytes come: route them by its status. */
static int
body_cb(const char *p, size_t n, void *ctx)
{
	struct plain *pl = ctx;

	pl->f->status = pl->h.status;
	return fetch_deliver(pl->f, p, n);
}

static void
header_cb(const char *name, const char *value, void *ctx)
{
	struct plain *pl = ctx;

	pl->f->header(name, value, pl->f->hctx);
}

int
fetch_plain_post(struct fetch *f)
{
	struct url url;
	struct buf req = BUF_INIT;
	struct plain pl = { .f = f };
	struct http_resp *h = &pl.h;
	const char *const *hp;
	size_t off = 0;
	long long last;
	char chunk[16384];
	int fd, rc = FETCH_OK, r, get = f->method && strcmp(f->method, "GET") == 0;

	if (parse_url(f->url, &url) < 0) {
		snprintf(f->error, sizeof f->error, "bad URL");
		return f->transport = FETCH_OTHER;
	}
	if ((fd = dial(f, &url)) < 0)
		return f->transport = FETCH_CONNECT;
	buf_printf(&req, "%s %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: %s\r\nAccept: */*\r\n"
	    "Connection: close\r\n", get ? "GET" : f->method ? f->method : "POST", url.path,
	    strchr(url.host, ':') ? "[" : "", url.host, strchr(url.host, ':') ? "]" : "", url.port,
	    f->user_agent ? f->user_agent : FETCH_USER_AGENT);
	if (!get)
		buf_printf(&req, "Content-Length: %zu\r\n", f->len);
	for (hp = f->headers; hp && *hp; hp++)
		buf_printf(&req, "%s\r\n", *hp);
	buf_adds(&req, "\r\n");
	if (!get)
		buf_add(&req, f->body, f->len);
	if (req.oom) {
		close(fd);
		buf_free(&req);
		snprintf(f->error, sizeof f->error, "out of memory");
		return f->transport = FETCH_OTHER;
	}
	last = clock_mono_ms();
	while (off < req.len) {
		ssize_t n = send(fd, req.p + off, req.len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			last = clock_mono_ms();
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if ((rc = await(f, fd, POLLOUT, last)))
				goto out;
		} else {
			snprintf(f->error, sizeof f->error, "Send failure: %s", strerror(errno));
			rc = f->transport = FETCH_RECV;
			goto out;
		}
	}
	http_resp_init(h, body_cb, &pl);
	if (f->header)
		h->header = header_cb;
	for (;;) {
		ssize_t n = recv(fd, chunk, sizeof chunk, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if ((rc = await(f, fd, POLLIN, last)))
				break;
			continue;
		}
		if (n < 0) {
			snprintf(f->error, sizeof f->error, "Recv failure: %s", strerror(errno));
			rc = f->transport = FETCH_RECV;
			break;
		}
		if (n == 0) {
			if (http_resp_eof(h) < 0) {
				snprintf(f->error, sizeof f->error, "%s", h->error);
				rc = f->transport = FETCH_RECV;
			}
			break;
		}
		last = clock_mono_ms();
		r = http_resp_feed(h, chunk, (size_t)n);
		f->status = h->status;
		f->retry_after = h->retry_after;
		if (r == 1 || r == 2)
			break;
		if (r < 0) {
			snprintf(f->error, sizeof f->error, "%s", h->error);
			rc = f->transport = FETCH_RECV;
			break;
		}
	}
	f->status = h->status;
	f->retry_after = h->retry_after;
	http_resp_free(h);
out:
	close(fd);
	buf_free(&req);
	return rc;
}
