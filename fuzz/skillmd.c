/* fuzz/skillmd: a SKILL.md as a downloaded skill might carry it.  Whatever the bytes,
 * parsing must not crash or leak, what it accepts must show as valid JSON, and every
 * permission it accepts must be one that claw-skill grant accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "skill/grant.h"
#include "skill/skillmd.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skillmd s;
	char why[96], *j, *body;
	size_t i;

	if (skillmd_parse((const char *)data, size, "fuzz-skill", &s))
		return 0;
	if (!s.name || !s.description || s.timeout < 1 || s.timeout > SKILLMD_MAXTIMEOUT ||
	    s.body < (const char *)data || s.body + s.bodylen != (const char *)data + size)
		abort();
	if (!(j = skillmd_to_json(&s)) || !json_valid(j, strlen(j), why, sizeof why))
		abort();
	if (s.install && !json_valid(s.install, strlen(s.install), why, sizeof why))
		abort();
	/* What a SKILL.md may ask for is exactly what grant accepts. */
	for (i = 0; i < s.permissions.n; i++)
		if (!skill_perm_valid(s.permissions.v[i], NULL))
			abort();
	if (!(body = skillmd_body_expand(&s, "/skills/fuzz-skill")))
		abort();
	free(body);
	free(j);
	skillmd_free(&s);
	return 0;
}
