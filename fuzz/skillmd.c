/* fuzz/skillmd: a SKILL.md as a downloaded skill might carry it.  Whatever the
 * bytes, parsing must not crash or leak, and what it accepts must show as valid JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "skill/skillmd.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skillmd s;
	char why[96], *j, *body;

	if (skillmd_parse((const char *)data, size, "fuzz-skill", &s))
		return 0;
	if (!s.name || !s.description || s.timeout < 1 || s.timeout > SKILLMD_MAXTIMEOUT ||
	    s.body < (const char *)data || s.body + s.bodylen != (const char *)data + size)
		abort();
	if (!(j = skillmd_to_json(&s)) || !json_valid(j, strlen(j), why, sizeof why))
		abort();
	if (s.install && !json_valid(s.install, strlen(s.install), why, sizeof why))
		abort();
	if (!(body = skillmd_body_expand(&s, "/skills/fuzz-skill")))
		abort();
	free(body);
	free(j);
	skillmd_free(&s);
	return 0;
}
