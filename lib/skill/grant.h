/* grant: the one permission rule (what a SKILL.md may ask for, what list calls ok, what
 * run advises and what grant accepts are the same), and the grants kept in the store. */
#ifndef CLAW_GRANT_H
#define CLAW_GRANT_H
#include <sqlite3.h>

#include "base/buf.h"
#include "skill/index.h"

/* 1 when perm is one of
 *	net			the network
 *	display			the user's X display and Wayland compositor, their sockets only
 *	fs.read:PATH		read beneath PATH
 *	fs.write:PATH		read and write beneath PATH
 *	exec:PATH		read and execute beneath PATH
 *	exec:PROG		a program name ([A-Za-z0-9._+-]), found on PATH_DEFAULT when granted
 *	env:VAR			the variable VAR ([A-Za-z_][A-Za-z0-9_]*)
 * where PATH is absolute, or ~ or ~/... (the home directory at run time), with no ..
 * component and shorter than PATH_MAX, and no permission holds a control byte.  A
 * relative PATH is refused: nothing could say what it is relative to when the user
 * grants it.  Else 0, and *why (when why is not NULL) says what is wrong, in words
 * fit to follow "PERM: ". */
int skill_perm_valid(const char *perm, const char **why);

/* perm into dst with a leading ~ of its PATH made $HOME (when HOME is set): what the
 * sandbox is given and what grants are compared as. */
void skill_perm_expand(const char *perm, char *dst, size_t n);

/* exec:PROG as "exec:/DIR/PROG" into full, the first DIR of PATH_DEFAULT that has
 * it: 0 or EX_NOINPUT. */
int skill_program_path(const char *prog, char *full, size_t n);

/* Grants are kept by a skill's identity, its name and its directory: a skill of the
 * same name elsewhere (one installed over a built-in) has none of them. */
/* Grant (on) or revoke perm for skill k.  exec:PROG is stored as the program's
 * path on PATH_DEFAULT, what the sandbox and the skill both see.  0, EX_USAGE for
 * a permission skill_perm_valid refuses, EX_NOINPUT for a program not found,
 * EX_NORESULT when revoking what was not granted, or another exit code. */
int skill_grant(sqlite3 *db, const struct skill *k, const char *perm, int on);
/* The granted permissions of skill k, one per line (malloc'd): 0 or exit code. */
int skill_grants(sqlite3 *db, const struct skill *k, char **lines);
/* Every grant of skill k, or of every skill when k is NULL, sorted by skill then
 * permission, each to fn; fn's non-zero return stops.  0, fn's return or an
 * exit code. */
typedef int skill_grant_fn(const char *skill, const char *perm, void *ctx);
int skill_grants_each(sqlite3 *db, const struct skill *k, skill_grant_fn *fn, void *ctx);
/* Grants from before they were kept by directory (dir '', those the store's migration
 * could not place) given to the skill each name finds now, all: 0 or exit code. */
int skill_grants_claim(sqlite3 *db, const struct skills *all);
/* The permissions k asks for that no grant covers, one per line, into why: the
 * stored grants, or only (one per line) when it is not NULL: 0 or exit code.  net and
 * env:VAR need that very grant; a path permission is met by any grant of its kind
 * (the kernel then opens only what was granted). */
int skill_ungranted(sqlite3 *db, const struct skill *k, const char *only, struct buf *why);
/* 1 when one of granted (one per line) covers perm: net and env:VAR that very
 * grant; a path permission a grant of its kind at or above its PATH, both resolved
 * (exec:PROG found as skill_grant finds it).  What narrows a run: a test case may
 * ask for less than the user granted, never more. */
int skill_grant_covers(const char *granted, const char *perm);
/* Cut grants (one per line, in place) to what reaches k's sandbox: net, display and
 * env:VAR (the network, the screen, secrets) only while its SKILL.md asks for them;
 * path grants (fs.*, exec:) always, as they name exactly what the user opened to
 * this skill, and a skill like shell checks them itself. */
void skill_grants_cut(const struct skill *k, char *grants);
/* What a broad permission would let a skill do, in words fit to follow "PERM: ", or
 * NULL when it is not broad: net; fs.read: or fs.write: of / or of a directory
 * holding the home directory; exec: of a shell or a directory holding one.  *refused
 * is 1 for those grant takes only with --force (write to / or home, a shell). */
const char *skill_perm_broad(const char *perm, int *refused);
/* The command that grants perm to skill name, "claw-skill grant [--force] NAME PERM",
 * with PERM quoted for the shell when it needs to be: what run advises. */
void skill_grant_command(const char *name, const char *perm, struct buf *b);
#endif
