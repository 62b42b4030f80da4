/* fuzz/config_key: key and value validation, without a store or the environment.
 * The input is KEY=VALUE, split at the first '='; no '=' means a key alone. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/config.h"
#include "base/err.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *key, *value, *eq, *env;
	const char *d;
	size_t n;
	int known, rc;

	if (!(key = malloc(size + 1)))
		return 0;
	memcpy(key, data, size);
	key[size] = '\0';
	if ((eq = memchr(key, '=', size))) {
		*eq = '\0';
		value = eq + 1;
	} else
		value = key + size;

	known = config_check_key(key);
	if (known != 0 && known != EX_CONFIG)
		__builtin_trap();
	if (known && !strlen(err_msg()))
		__builtin_trap();   /* a refusal says why */
	rc = config_check(key, value);
	if (rc != 0 && rc != EX_CONFIG)
		__builtin_trap();
	if (known && !rc)
		__builtin_trap();   /* no value makes an unknown key acceptable */
	config_is_secret(key);
	if (!known && (d = config_default(key)) && config_check(key, d) != 0)
		__builtin_trap();   /* every default passes its own validation */

	/* Buffer sizes from "CLAW_" and its NUL up: the result always fits and ends.
	 * (Below 6 bytes config_env_name writes past the buffer; no caller does that.) */
	n = 1 + (size ? (size_t)data[size - 1] % 300 : 0);
	if ((env = malloc(n))) {
		config_env_name(key, env, n);
		if (strnlen(env, n) == n)
			__builtin_trap();
		free(env);
	}
	free(key);
	return 0;
}
