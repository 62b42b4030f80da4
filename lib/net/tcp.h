/* tcp: a listening socket from ADDR:PORT, and a connection to HOST:PORT within a
 * time limit — what claw's listeners and claw-node's client share. */
#ifndef CLAW_TCP_H
#define CLAW_TCP_H
#include <stddef.h>

/* ADDR:PORT or [V6]:PORT into host and port: 0, or EX_CONFIG with err set. */
int tcp_split(const char *spec, char *host, size_t hn, char *port, size_t pn);
/* Bind and listen (non-blocking, close-on-exec): the descriptor with the address
 * bound in bound (port 0 picks one) and *exposed set when it is not loopback;
 * or -1 with err set (EX_CONFIG malformed, EX_NOPERM, EX_UNAVAILABLE in use). */
int tcp_listen(const char *spec, char *bound, size_t n, int *exposed);
/* Connect to the first address of host:port that answers within timeout_ms: a
 * blocking descriptor with TCP_NODELAY, or -1 with err set (EX_UNAVAILABLE, or
 * EX_TEMPFAIL when it timed out). */
int tcp_dial(const char *host, const char *port, int timeout_ms);
/* The first of res's addresses that connects by deadline (clock_mono_ms): a
 * non-blocking descriptor with TCP_NODELAY and SO_KEEPALIVE, or -1 with *err the
 * errno of the last failure (ETIMEDOUT when time ran out). */
struct addrinfo;
int tcp_connect_any(const struct addrinfo *res, long long deadline, int *err);
#endif
