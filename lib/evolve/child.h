/* child: the other claw programs a cycle runs — claw-chat for the model's answer
 * (its providers, keys and retries), claw-skill for the tests and the canary, both
 * against a scratch copy through CLAW_SKILLS_PATH, both under their own limits. */
#ifndef CLAW_EVOLVE_CHILD_H
#define CLAW_EVOLVE_CHILD_H
#include "base/buf.h"

#define CHILD_MODEL_MS  (15 * 60 * 1000)   /* a whole model answer */
#define CHILD_TEST_MS   (30 * 60 * 1000)   /* every case of a skill's tests */
#define CHILD_MAXREPORT (64u << 10)        /* bytes of a validation report kept */

/* One turn of claw-chat --requests --no-tools in session, system and prompt given:
 * 0 with the answer's text in answer; else an exit code with the error event's
 * message (or claw-chat's diagnostic) in err. */
int child_ask(const char *session, const char *system, const char *prompt,
    struct buf *answer);

/* claw-skill test NAME with the skill found first in skills_path: 0 when every
 * case passed and at least one ran; else EX_NORESULT (or the exit code), err set.
 * report gets the TAP it printed. */
int child_test(const char *skills_path, const char *name, struct buf *report);
/* The canary: claw-skill run NAME ARGS once from skills_path, which must end in
 * time, within its caps, and say something (an event line): 0 or EX_NORESULT. */
int child_canary(const char *skills_path, const char *name, const char *args,
    struct buf *report);
#endif
