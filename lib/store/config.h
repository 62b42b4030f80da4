/* config: the keys of DESIGN.md, their validation and defaults, stored in the
 * store (secrets sealed) and overridden by CLAW_<KEY> in the environment. */
#ifndef CLAW_CONFIG_H
#define CLAW_CONFIG_H
#include <stddef.h>
#include <sqlite3.h>

enum config_source { CONFIG_DEFAULT, CONFIG_STORE, CONFIG_ENV };

int config_check_key(const char *key);              /* 0 or EX_CONFIG naming the nearest key */
int config_check(const char *key, const char *value); /* key and value: 0 or EX_CONFIG */
int config_is_secret(const char *key);
const char *config_default(const char *key);        /* NULL when none */
void config_env_name(const char *key, char *dst, size_t n);   /* model -> CLAW_MODEL */

/* Effective value: environment, then store, then default.  db may be NULL (no store).
 * Returns 0 (*value malloc'd), EX_NORESULT when unset with no default, or an error. */
int config_get(sqlite3 *db, const char *key, char **value, enum config_source *src);
/* config_get for a process that reads and goes: from $CLAW_HOME/claw.db-config, the
 * copy of the config table the store keeps, without a store connection, while the
 * store's config token says the copy is current.  0 or EX_NORESULT as config_get, or
 * -1 when the copy cannot say (none, stale, damaged, or the key is sealed): then
 * ask config_get with the store open, and config_copy_refresh() it. */
int config_get_cached(const char *key, char **value, enum config_source *src);
/* config_get_cached for a caller that has just read the store's token itself
 * (store_peek_token): the copy answers only while it was written under token. */
int config_get_copy(const char *key, int token, char **value, enum config_source *src);
/* Whether key is stored (sealed or not, never opened): 1 or 0, or -1 with err set.
 * _copy: from the copy written under token, or -1 when it cannot say (then ask the
 * store). */
int config_stored(sqlite3 *db, const char *key);
int config_stored_copy(const char *key, int token);
/* Write the copy from inside a transaction on db (config_set and config_unset do,
 * before their commit); _refresh in a read transaction of its own.  A copy that
 * cannot be written is left stale, never wrong: the token tells. */
void config_copy(sqlite3 *db);
/* Parse a copy (text[n] must be '\0'): -1 when it is not one, whole and hashing
 * right, or cannot say for key (sealed); else *token and 1 with key's value at *v,
 * *vn bytes, or 0 when key is not stored. */
int config_copy_lookup(const char *text, size_t n, const char *key, int *token,
    const char **v, size_t *vn);
int config_copy_refresh(sqlite3 *db);
int config_set(sqlite3 *db, const char *key, const char *value);
int config_unset(sqlite3 *db, const char *key);     /* EX_NORESULT when it was not set */

typedef int config_fn(const char *key, const char *value, enum config_source src, int secret,
    void *ctx);
/* Known keys with defaults, stored keys and environment overrides, sorted by key.
 * Secret values are passed sealed-not-opened as NULL. */
int config_list(sqlite3 *db, config_fn *fn, void *ctx);
const char *config_source_name(enum config_source src);
#endif
