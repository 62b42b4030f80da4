/* tools: skills offered to the model.  The catalog comes from `claw-skill list
 * --json`, a call runs as `claw-skill run NAME ARGS`; claw-chat links no skill code. */
#ifndef CLAW_TOOLS_H
#define CLAW_TOOLS_H
#include <jv.h>

#include "base/buf.h"

/* The eligible skills as [{name, description, parameters}]; an empty array when
 * claw-skill is not installed.  Descriptions are cut to one line. */
jv tools_catalog(void);
/* Run one call; the text for the model goes to out.  0, or non-zero when the
 * skill failed (out then says why, for the model to read). */
int tools_run(const char *name, const char *args, struct buf *out, int timeout_ms);
#endif
