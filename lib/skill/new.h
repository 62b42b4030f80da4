/* new: a new skill made from the template — SKILL.md, a run script, config.json and
 * one test — in $CLAW_HOME/skills, ready to edit and passing its own test. */
#ifndef CLAW_SKILLNEW_H
#define CLAW_SKILLNEW_H
#include <stddef.h>

/* Make $CLAW_HOME/skills/NAME; its path into dir.  0, EX_USAGE for a name that
 * skill_name_valid refuses, EX_CANTCREAT when it exists or cannot be made. */
int skill_new(const char *name, char *dir, size_t dirlen);
#endif
