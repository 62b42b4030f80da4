/* secret: seal and open values with the store key ($CLAW_HOME/keys/store.key, 0600).
 * A sealed value is base64(nonce || XSalsa20-Poly1305 box). */
#ifndef CLAW_SECRET_H
#define CLAW_SECRET_H

int secret_seal(const char *plain, char **sealed);   /* 0 or exit code; *sealed malloc'd */
int secret_open(const char *sealed, char **plain);   /* 0 or exit code; *plain malloc'd */
void secret_free(char *plain);                       /* wipes, then frees */
/* Keep what this process decrypts out of core files and away from the user's
 * other processes: PR_SET_DUMPABLE 0 (no core, no ptrace attach, /proc/PID private)
 * and RLIMIT_CORE 0, which children inherit (execve makes them dumpable again).
 * It changes the process, on purpose: seal and open call it, and so does every
 * program that holds a key it did not open (claw-chat, from the environment).
 * 0, or EX_SOFTWARE with err set. */
int secret_harden(void);
#endif
