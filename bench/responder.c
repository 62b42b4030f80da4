/* responder: bench/gateway's reference for inetd mode, the least a program run
 * by tcpserver can do for one HTTP request: read the head on fd 0 up to its
 * blank line, write a fixed 200 with Connection: close on fd 1, exit.  The body
 * is claw-gateway's /healthz answer, so both send the same bytes' worth. */
#define _GNU_SOURCE
#include <string.h>
#include <unistd.h>

int
main(void)
{
	static const char resp[] =
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 12\r\n"
	    "Connection: close\r\n"
	    "\r\n"
	    "{\"ok\":true}\n";
	char buf[16384];
	size_t have = 0, off;
	ssize_t n;

	alarm(10);
	for (;;) {
		if (have == sizeof buf)
			return 1;
		if ((n = read(0, buf + have, sizeof buf - have)) <= 0)
			return 1;
		/* Look again from just before the new bytes: the "\r\n\r\n" may straddle reads. */
		off = have < 3 ? 0 : have - 3;
		have += (size_t)n;
		if (memmem(buf + off, have - off, "\r\n\r\n", 4))
			break;
	}
	for (off = 0; off < sizeof resp - 1; off += (size_t)n)
		if ((n = write(1, resp + off, sizeof resp - 1 - off)) <= 0)
			return 1;
	return 0;
}
