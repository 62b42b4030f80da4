/* eligible: whether a skill can run on this machine — what its metadata.openclaw
 * requires (programs, variables, configuration keys, the system) is here. */
#ifndef CLAW_ELIGIBLE_H
#define CLAW_ELIGIBLE_H
#include <sqlite3.h>

#include "base/buf.h"
#include "skill/index.h"

/* What keeps a skill from running here (broken, missing bins, env, config, os),
 * appended to why as "bins: gh; env: GITHUB_TOKEN"; nothing when it is eligible. */
void skill_missing(sqlite3 *db, const struct skill *k, struct buf *why);
/* skill_missing without the store: configuration keys from its copy as written under
 * token (config_get_copy).  0, or -1 when the copy cannot say (ask the store). */
int skill_missing_copy(int token, const struct skill *k, struct buf *why);
#endif
