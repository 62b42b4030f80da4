/* fuzz/record: the jq-free record reader.  The whole input walked at once must give
 * the same lines as the same bytes fed in pieces to record_take (cut where the first
 * byte says), and every record handed out must be one valid JSON object. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/record.h"

static int
collect(const char *rec, size_t len, long lineno, const char *why, void *ctx)
{
	struct buf *b = ctx;
	char w[8];

	if (rec && (!json_valid(rec, len, w, sizeof w) || !memchr(rec, '{', len)))
		__builtin_trap();
	if (!rec && !why)
		__builtin_trap();
	if (rec)
		buf_add(b, rec, len);
	else
		buf_adds(b, why);
	buf_addc(b, '\n');
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf whole = BUF_INIT, pieces = BUF_INIT, b = BUF_INIT;
	size_t cut = size ? 1 + data[0] % 64 : 1, max = size ? 4 + data[0] % 200 : 8, i, off, n;
	uint8_t *copy = malloc(size ? size : 1);
	const char *rec, *why, *last;
	int r = 0;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	/* Only complete lines: what follows the last newline is left out of both. */
	last = size ? memrchr(copy, '\n', size) : NULL;
	n = last ? (size_t)(last - (char *)copy) + 1 : 0;
	record_each_mem((char *)copy, n, max, collect, &whole);
	for (i = 0; i < n && r >= 0; i += cut) {
		buf_add(&b, copy + i, i + cut <= n ? cut : n - i);
		off = 0;
		while ((r = record_take(&b, &off, max, &rec, &n, &why)) > 0)
			collect(rec, n, 0, why, &pieces);
		buf_consume(&b, off);
		n = last ? (size_t)(last - (char *)copy) + 1 : 0;
	}
	if (r >= 0 && (whole.len != pieces.len || (whole.len && memcmp(whole.p, pieces.p, whole.len))))
		__builtin_trap();
	buf_free(&whole);
	buf_free(&pieces);
	buf_free(&b);
	free(copy);
	return 0;
}
