/* secret: seal and open values with the store key ($CLAW_HOME/keys/store.key, 0600).
 * A sealed value is base64(nonce || XSalsa20-Poly1305 box). */
#ifndef CLAW_SECRET_H
#define CLAW_SECRET_H

int secret_seal(const char *plain, char **sealed);   /* 0 or exit code; *sealed malloc'd */
int secret_open(const char *sealed, char **plain);   /* 0 or exit code; *plain malloc'd */
void secret_free(char *plain);                       /* wipes, then frees */
#endif
