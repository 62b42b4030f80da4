/* fuzz/display: the broker's reading of a connect(2) address, which the sandboxed
 * program writes.  The first byte picks the display; the rest is the address.  What
 * it lets through is one of the display's own sockets, named whole. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sandbox/display.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sandbox_display ds[] = {
		{ "/tmp/.X11-unix/X0", "" },
		{ "", "/run/user/1000/wayland-0" },
		{ "/tmp/.X11-unix/X12", "/tmp/w" },
		{ "", "" },
	};
	const struct sandbox_display *d;
	const char *p;
	size_t off = offsetof(struct sockaddr_un, sun_path), len;

	if (size < 1)
		return 0;
	d = &ds[data[0] % 4];
	p = sandbox_display_wanted(d, data + 1, size - 1);
	if (!p)
		return 0;
	if ((p != d->x11 && p != d->wayland) || !*p)
		__builtin_trap();
	len = strlen(p);
	size -= 1;
	/* the path, at the start of sun_path or after a NUL (abstract), nothing more */
	if (size < off + len || (memcmp(data + 1 + off, p, len)
	    && (size < off + 1 + len || data[1 + off] || memcmp(data + 2 + off, p, len))))
		__builtin_trap();
	return 0;
}
