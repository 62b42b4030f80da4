/* fuzz/telemetry_line: a spool line on any bytes: never a read past the input, and
 * what it accepts is a row (a program and kind that end, a DETAIL inside the line
 * that is valid JSON or absent). */
#include <stdint.h>
#include <string.h>

#include "base/json.h"
#include "store/telemetry.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct telemetry_row r;

	if (telemetry_parse_line(p, size, &r) != 0)
		return 0;
	if (!memchr(r.program, 0, sizeof r.program) || !memchr(r.kind, 0, sizeof r.kind)
	    || !r.program[0] || !r.kind[0])
		__builtin_trap();
	if (r.detail && (r.detail < p || r.detail + r.dlen != p + size
	    || !json_valid(r.detail, r.dlen, NULL, 0)))
		__builtin_trap();
	return 0;
}
