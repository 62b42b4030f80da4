/* fuzz/status_copy: the reader of claw.db-status, the facts claw status shows from
 * the store, believed while claw.db and its WAL are as they were read.  Whatever the
 * bytes, it answers 0 or -1; on 0 what it read, written again, is the very body it
 * read (one way to write each copy, so none other is believed), and what it
 * allocated is freed (ASan's leak check); the same bytes behind a right header
 * reach it through the copy's header parser too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "monitor/status.h"

static void
parse(const char *body, size_t n)
{
	struct status_facts f;
	struct buf again = BUF_INIT;
	char *state;

	if (status_facts_parse(body, n, &state, &f))
		return;
	status_facts_write(&again, state, &f);
	if (again.oom || again.len != n || memcmp(again.p, body, n))
		__builtin_trap();
	buf_free(&again);
	free(state);
	status_facts_free(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return copy_fuzz(data, size, "claw-status 1", parse);
}
