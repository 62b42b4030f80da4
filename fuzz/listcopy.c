/* fuzz/listcopy: the reader of claw.db-skills, the copy of what claw-skill list
 * shows, believed while the store's token and a new scan match.  Whatever the
 * bytes, it answers 0 or -1; on 0 the scan lies inside the input, every skill has
 * a name and a kind, and what it allocated is freed (ASan's leak
 * check); the same bytes behind a right header reach it through the copy's
 * header parser too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "skill/listcopy.h"

static void
parse(const char *body, size_t n)
{
	struct skills s;
	unsigned char *ev;
	const char *scan;
	size_t scanlen, i;

	if (listcopy_parse(body, n, &scan, &scanlen, &s, &ev))
		return;
	if (scan < body || scan + scanlen > body + n)
		__builtin_trap();
	for (i = 0; i < s.n; i++)
		if (!s.v[i].name || !*s.v[i].name || !s.v[i].kind || ev[i] > 1)
			__builtin_trap();
	skills_free(&s);
	free(ev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return copy_fuzz(data, size, "claw-skills 1", parse);
}
