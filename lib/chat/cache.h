/* cache: answers kept by the hash of everything that shapes them (model, messages,
 * tools, options), so an identical request is answered with no network call. */
#ifndef CLAW_CACHE_H
#define CLAW_CACHE_H
#include <jv.h>
#include <sqlite3.h>

void cache_key(jv request, char hex[65]);          /* request borrowed */
/* 0 with *answer set, EX_NORESULT on a miss (or entry older than ttl seconds), or error. */
int cache_get(sqlite3 *db, const char *key, long ttl, jv *answer);
int cache_put(sqlite3 *db, const char *key, jv answer);   /* answer borrowed */
#endif
