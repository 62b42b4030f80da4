/* doctor: the checks of an installation, each a finding {check, severity, ok,
 * message, fix}; with fix, what is safe to repair (modes, a checkpoint, a missing
 * key directory) is repaired and the finding says what was done. */
#ifndef CLAW_DOCTOR_H
#define CLAW_DOCTOR_H

struct finding {
	const char *check;            /* "home.mode", "store.quick_check", ... */
	const char *severity;         /* "info", "warning" or "error" */
	int ok;
	char message[512];
	char fix[256];                /* what to do, "" when nothing */
	char fixed[256];              /* what --fix did, "" when nothing */
};
typedef void doctor_fn(const struct finding *f, void *ctx);

/* Every check, each finding handed to fn; *errors counts those at error severity
 * that are not ok.  0, or EX_SOFTWARE when out of memory. */
int doctor_run(int fix, doctor_fn *fn, void *ctx, int *errors);
#endif
