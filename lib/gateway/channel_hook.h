/* channel_hook: the messaging services' webhooks, each checked by the service's own
 * mechanism (never a JWT), then handed raw to `claw-channel ingest` as a child. */
#ifndef CLAW_GW_CHANNEL_HOOK_H
#define CLAW_GW_CHANNEL_HOOK_H
#include <stddef.h>

#include "gateway/gateway.h"
#include "net/http_req.h"

/* POST /channels/telegram/webhook: X-Telegram-Bot-Api-Secret-Token must equal
 * channels.telegram.webhook_secret (compared in constant time). */
void gw_hook_telegram(struct gw *g, const struct http_req *r, const char *body, size_t n,
    struct gw_out *o);
/* POST /channels/whatsapp/webhook: X-Hub-Signature-256 must be the HMAC-SHA256 of
 * the raw body keyed with channels.whatsapp.app_secret. */
void gw_hook_whatsapp(struct gw *g, const struct http_req *r, const char *body, size_t n,
    struct gw_out *o);
/* GET /channels/whatsapp/webhook: Meta's verification, hub.challenge echoed when
 * hub.verify_token is channels.whatsapp.verify_token. */
void gw_hook_verify(struct gw *g, const struct http_req *r, const char *body, size_t n,
    struct gw_out *o);
/* POST /channels/discord/interactions: X-Signature-Ed25519 over X-Signature-Timestamp
 * and the raw body, checked with channels.discord.public_key (hex). */
void gw_hook_discord(struct gw *g, const struct http_req *r, const char *body, size_t n,
    struct gw_out *o);
#endif
