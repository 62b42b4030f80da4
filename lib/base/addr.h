/* addr: the one parser of ADDR:PORT listen addresses, shared by the config
 * validator (gateway.listen, node.listen) and the code that binds and dials (net/tcp). */
#ifndef CLAW_ADDR_H
#define CLAW_ADDR_H
#include <stddef.h>

/* spec is HOST:PORT, [IPV6]:PORT: HOST a dotted IPv4 address, a host name
 * (letters, digits, '-' and '.'), PORT 0 to 65535 (0: any free port).  0 with
 * host (brackets dropped) and *port set, or -1 with a one-line reason in why. */
int addr_split(const char *spec, char *host, size_t hn, unsigned *port, char *why, size_t wn);
#endif
