/* admin: what `claw channel` shows and changes for people — add, list, remove,
 * status, the outbound queue and its dead letters, pairing, Telegram's webhook. */
#ifndef CLAW_CHAN_ADMIN_H
#define CLAW_CHAN_ADMIN_H
#include <sqlite3.h>
#include <stdio.h>

/* Add (or re-key) channel kind: token stored sealed, the connector's check run
 * when check is set (the token must work).  0 or an exit code with err set. */
int chan_add(sqlite3 *db, const char *kind, const char *token, const char *phone_id,
    const char *base_url, int check);
int chan_list(sqlite3 *db, int json, FILE *out);
/* The channel, its keys and its pairing codes go; its queued parts become dead
 * letters ("channel removed"); what it received stays in the history. */
int chan_remove(sqlite3 *db, const char *name);
int chan_status(sqlite3 *db, const char *name, int json, FILE *out);
int chan_queue(sqlite3 *db, const char *name, int dead, int json, FILE *out);
int chan_requeue(sqlite3 *db, const char *name, long long id, long *n);
int chan_pair_list(sqlite3 *db, const char *name, int json, FILE *out);
/* Approve (the chat is told) or deny a pending code. */
int chan_pair_decide(sqlite3 *db, const char *name, const char *code, int approve, FILE *out);
/* Telegram's setWebhook with a new secret_token (stored sealed as
 * channels.NAME.webhook_secret, which the gateway checks), or deleteWebhook when
 * url is NULL. */
int chan_webhook(sqlite3 *db, const char *name, const char *url, FILE *out);
#endif
