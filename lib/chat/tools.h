/* tools: skills offered to the model.  The catalog comes from `claw-skill list
 * --json`, a call runs as `claw-skill run NAME ARGS`; claw-chat links no skill code. */
#ifndef CLAW_TOOLS_H
#define CLAW_TOOLS_H
#include <jv.h>

#include "base/buf.h"
#include "base/proc.h"

/* The eligible skills as [{name, description, parameters, timeout, always, score}],
 * in name order; an empty array when claw-skill is not installed.  Descriptions are
 * cut to one line.  With match, the skills that text matches carry their score
 * (claw-skill list --json --match). */
jv tools_catalog(const char *match);

/* Seconds past a skill's timeout: claw-skill stops the skill, and says so, first. */
#define TOOLS_GRACE 10

/* How long a call of the skill name may take before its claw-skill is killed, in
 * ms: its timeout from the catalog plus TOOLS_GRACE; a skill the catalog gives no
 * timeout for gets PROC_TIMEOUT_MAX. */
int tools_limit_ms(jv catalog, const char *name);
/* Run one call; the text for the model goes to out, claw-skill's own stderr (at
 * most TOOLS_DIAG_MAX bytes) to diag, never to ours; the images the skill returned
 * as attachments are appended to *images (NULL: none wanted).  0, or non-zero when
 * the skill failed (out then says why, for the model to read). */
#define TOOLS_DIAG_MAX 4096
int tools_run(const char *name, const char *args, struct buf *out, struct buf *diag,
    jv *images, int timeout_ms);
#endif
