/* path: where claw keeps its state ($CLAW_HOME, default ~/.claw) and how it is created. */
#ifndef CLAW_PATH_H
#define CLAW_PATH_H
#include <stddef.h>

/* The search PATH when the environment has none, and the one skills run with. */
#define PATH_DEFAULT "/usr/local/bin:/usr/bin:/bin"

const char *path_home(void);               /* $CLAW_HOME or ~/.claw; NULL (err set) if unknown */
/* Create $CLAW_HOME[/sub] mode 0700: 0, EX_CANTCREAT, or EX_NOPERM when either is
 * owned by another user.  One of ours that group or others may use is set to 0700,
 * never through a symbolic link; path_tightened() then says which, for the caller
 * to tell the user ("DIR was 0777, now 0700"), else it is NULL. */
int path_mkhome(const char *sub);
const char *path_tightened(void);
int path_in_home(char *dst, size_t n, const char *name);  /* $CLAW_HOME/name: 0 or EX_CANTCREAT */
int path_mkdirs(const char *dir, int mode); /* mkdir -p; 0 or -1 with errno */
void path_rmtree(const char *dir);         /* rm -rf, never following a link; best effort */
int path_self_dir(char *dst, size_t n);    /* directory of the running executable */
/* A claw program: beside this executable, in ../libexec/claw, in the installed
 * libexec, then on PATH.  0 with dst set, or -1. */
int path_find_prog(const char *prog, char *dst, size_t n);
#endif
