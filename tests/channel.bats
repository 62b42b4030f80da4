#!/usr/bin/env bats
# claw-channel (claw channel): the channel framework, Telegram and WhatsApp, against
# tests/fakechannel.py (both services' wire formats) and tests/fakeprovider.py (the model).

load helper

TG_TOKEN=123456:TEST-token_abc
WA_TOKEN=EAAG-fake-token
WA_PHONE=106540352242922

setup() {
	claw_setup
	channel_fakes_start
	claw config set "channels.whatsapp.base_url=$FAKE" >/dev/null
}

teardown() { channel_fakes_stop; }

db() { sqlite3 "$CLAW_HOME/claw.db" "$@"; }

tg_add() {
	echo "$TG_TOKEN" | claw channel add telegram --token=- >/dev/null
}

# tg_say CHAT TEXT [FROM [MESSAGE_ID [TYPE]]]: an Update with a text message, queued at the fake.
tg_say() {
	local chat=$1 text=$2 from=${3:-$1} mid=${4:-7} type=${5:-private}
	jq -cn --argjson c "$chat" --arg t "$text" --argjson f "$from" --argjson m "$mid" \
	    --arg ty "$type" '{message:{message_id:$m,from:{id:$f,is_bot:false,first_name:"Ann",
	    username:"ann"},chat:{id:$c,type:$ty},date:1760000000,text:$t}}' |
		curl -sf -XPOST -H 'Content-Type: application/json' --data-binary @- \
		    "$FAKE/_control/telegram/update" >/dev/null
}

# What the fake was sent by method: one JSON body per line.
sent() { jq -c --arg m "/bot/$1" 'select(.path == $m) | .body' "$TMP/ch/log" 2>/dev/null; }
model_calls() { [ -f "$TMP/prov/log" ] && grep -c chat/completions "$TMP/prov/log" || echo 0; }

# wait_for CMD...: up to 30 s until CMD succeeds.
wait_for() {
	for _ in $(seq 300); do "$@" && return 0; sleep 0.1; done
	return 1
}

@test "add, list, status and remove; the token is sealed and checked" {
	run -78 claw channel add telegram
	assert_output --partial "no token"
	run -77 claw channel add telegram --token=999:wrong
	assert_output --partial "Unauthorized"
	run -64 claw channel add fax --token=x
	tg_add
	run claw channel list
	assert_output $'telegram\ttelegram\tclaw_bot'
	run db "SELECT value FROM config WHERE key = 'channels.telegram.token'"
	refute_output --partial "TEST-token"
	run claw config list
	assert_output --partial "channels.telegram.token=***"
	run claw channel status --json
	assert_output --partial '"name":"telegram","kind":"telegram","bot":"claw_bot"'
	run claw channel remove telegram
	assert_output "telegram: removed"
	run -66 claw channel remove telegram
	run claw channel list
	assert_output ""
	run db "SELECT count(*) FROM config WHERE key LIKE 'channels.telegram.token'"
	assert_output 0
}

@test "a conversation end to end: stored, answered through claw-chat in the chat's session" {
	tg_add
	claw config set channels.telegram.dm_policy=open
	tg_say 42 hello
	run claw channel poll --once telegram
	assert_success
	run sent sendMessage
	assert_output '{"chat_id":42,"text":"echo: hello","reply_parameters":{"message_id":7,"allow_sending_without_reply":true}}'
	run sent sendChatAction
	assert_output --partial '"action":"typing"'
	tg_say 42 again 42 8
	claw channel poll --once telegram
	run claw-chat --history -s telegram:42
	assert_line --partial '"text":"again"'
	[ "$(claw-chat --history -s telegram:42 | wc -l)" -eq 4 ]
	# the offset rule: each getUpdates asks for one past the highest id stored
	run jq -r 'select(.path == "/bot/getUpdates") | .body.offset' "$TMP/ch/log"
	assert_output $'0\n100000002'
	run db "SELECT state, count(*) FROM channel_ingress GROUP BY state"
	assert_output "done|2"
}

@test "claw channel through the front door" {
	tg_add
	run claw channel status
	assert_output --partial "telegram"
	run claw help
	assert_output --partial "channel"
}

@test "a duplicate update is stored and answered once" {
	tg_add
	claw config set channels.telegram.dm_policy=open
	tg_say 42 hello
	curl -sf -XPOST -H 'Content-Type: application/json' "$FAKE/_control/telegram/update" \
	    -d '{"update_id":100000001,"message":{"message_id":7,"from":{"id":42,"is_bot":false,"first_name":"Ann"},"chat":{"id":42,"type":"private"},"date":1,"text":"hello"}}' >/dev/null
	claw channel poll --once telegram
	run claw channel ingest telegram < <(jq -c 'select(.path == "/x")' /dev/null; echo '{"update_id":100000001,"message":{"message_id":7,"from":{"id":42,"is_bot":false},"chat":{"id":42,"type":"private"},"date":1,"text":"hello"}}')
	assert_output '{"type":"stored","stored":0,"duplicates":1}'
	[ "$(sent sendMessage | wc -l)" -eq 1 ]
	[ "$(model_calls)" -eq 1 ]
}

@test "pairing: an unknown sender gets a code and costs no model call; approve lets them in" {
	tg_add
	tg_say 42 hello
	claw channel poll --once telegram
	[ "$(model_calls)" -eq 0 ]
	code=$(claw channel pair list --json | jq -r .code)
	[[ $code =~ ^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}$ ]]
	run sent sendMessage
	assert_output --partial "claw channel pair approve telegram $code"
	# the same sender again: the same code, no new one
	tg_say 42 "hello?" 42 8
	claw channel poll --once telegram
	[ "$(claw channel pair list | wc -l)" -eq 1 ]
	run -66 claw channel pair approve telegram AAAAAAAA
	run claw channel pair approve telegram "$(echo "$code" | tr A-Z a-z)"
	assert_output "telegram: approved"
	tg_say 42 "now?" 42 9
	claw channel poll --once telegram
	run sent sendMessage
	assert_line --partial "You are in"
	assert_line --partial '"text":"echo: now?"'
	[ "$(model_calls)" -eq 1 ]
}

@test "pairing: a denied sender is never answered; at most 3 codes wait" {
	tg_add
	for u in 1 2 3 4; do tg_say $u hi $u $u; done
	claw channel poll --once telegram
	[ "$(claw channel pair list | wc -l)" -eq 3 ]
	[ "$(sent sendMessage | wc -l)" -eq 3 ]
	code=$(claw channel pair list --json | jq -r 'select(.sender == "2") | .code')
	run claw channel pair deny telegram "$code"
	assert_output "telegram: denied"
	tg_say 2 "let me in" 2 20
	claw channel poll --once telegram
	[ "$(sent sendMessage | wc -l)" -eq 3 ]
	[ "$(model_calls)" -eq 0 ]
	run db "SELECT state FROM channel_ingress WHERE ext = '100000005'"
	assert_output denied
}

@test "groups: answered only when the bot is mentioned or replied to" {
	tg_add
	claw config set channels.telegram.dm_policy=open
	tg_say -1001 "just chatting" 42 1 supergroup
	tg_say -1001 "@claw_bot what time is it" 42 2 supergroup
	claw channel poll --once telegram
	[ "$(model_calls)" -eq 1 ]
	run sent sendMessage
	assert_output --partial '"chat_id":-1001,"text":"echo: [ann] @claw_bot what time is it"'
}

@test "a 429 with retry_after is waited for, then sent" {
	tg_add
	claw config set channels.telegram.dm_policy=open
	echo '{"method":"sendMessage","status":429,"retry_after":1}' >"$TMP/ch/script"
	tg_say 42 hello
	claw channel poll --once telegram
	[ "$(sent sendMessage | wc -l)" -eq 2 ]
	run db "SELECT state, attempts FROM channel_egress"
	assert_output "sent|2"
}

@test "a 5xx storm ends in the dead-letter list; --retry sends it again" {
	tg_add
	claw config set channels.telegram.dm_policy=open
	claw config set channels.telegram.max_attempts=3
	for _ in 1 2 3; do echo '{"method":"sendMessage","status":502}'; done >"$TMP/ch/script"
	tg_say 42 hello
	claw channel poll --once telegram
	run claw channel queue --dead
	assert_output --partial "telegram: 502 Bad Gateway (gave up after the last attempt)"
	id=$(claw channel queue --dead --json | jq -r .id)
	run claw channel queue
	assert_output ""
	run claw channel queue --retry="$id"
	assert_output "requeued 1"
	claw channel poll --once telegram
	run claw channel queue --dead
	assert_output ""
	[ "$(sent sendMessage | wc -l)" -eq 4 ]
	[ "$(model_calls)" -eq 1 ]
}

@test "a long answer is split at the limit on paragraph boundaries, UTF-8 whole" {
	tg_add
	claw config set channels.telegram.dm_policy=open
	# six paragraphs of 1500 characters (two bytes each), then one of 5000 with no
	# boundary at all: cut between two characters
	python3 -c '
import json
p = ["é" * 700 + " " + "ü" * 799 for _ in range(6)] + ["ß" * 5000]
print(json.dumps({"text": "\n\n".join(p)}))' >"$TMP/prov/script"
	tg_say 42 "a long one"
	claw channel poll --once telegram
	sent sendMessage >"$TMP/parts"
	run python3 -c '
import json, sys
parts = [json.loads(l)["text"] for l in open(sys.argv[1])]
p = ["é" * 700 + " " + "ü" * 799 for _ in range(6)]
want = ["\n\n".join(p[0:2]), "\n\n".join(p[2:4]), "\n\n".join(p[4:6]), "ß" * 4096, "ß" * 904]
assert parts == want, [len(x) for x in parts]
' "$TMP/parts"
	assert_success
}

@test "/new, /model and /help are answered without the model" {
	tg_add
	claw config set channels.telegram.dm_policy=open
	tg_say 42 hello 42 1
	tg_say 42 /help 42 2
	tg_say 42 /model 42 3
	tg_say 42 "/model generic/other-model" 42 4
	tg_say 42 /new 42 5
	tg_say 42 "fresh start" 42 6
	for _ in 1 2 3 4 5 6; do claw channel poll --once telegram; done
	run sent sendMessage
	assert_line --partial "/new - start a fresh conversation"
	assert_line --partial "This chat uses generic/test-model (the default)."
	assert_line --partial "This chat now uses generic/other-model."
	assert_line --partial "Started a new conversation."
	[ "$(model_calls)" -eq 2 ]
	run jq -r 'select(.path | endswith("chat/completions")) | .body.model' "$TMP/prov/log"
	assert_output $'test-model\nother-model'
	run claw-chat --sessions
	assert_output --partial "telegram:42#2"
}

@test "an oversized update is refused, never reaches the model, and does not block the queue" {
	tg_add
	claw config set channels.telegram.dm_policy=open
	python3 -c '
import json
print(json.dumps({"message": {"message_id": 1, "from": {"id": 42, "is_bot": False},
  "chat": {"id": 42, "type": "private"}, "date": 1, "text": "x" * 300000}}))' >"$TMP/big.json"
	curl -sf -XPOST -H 'Content-Type: application/json' --data-binary @"$TMP/big.json" \
	    "$FAKE/_control/telegram/update" >/dev/null
	tg_say 42 small 42 2
	claw channel poll --once telegram
	run db "SELECT state, length(text) FROM channel_ingress ORDER BY id"
	assert_output $'refused|0\ndone|5'
	[ "$(model_calls)" -eq 1 ]
}

@test "photos go to the model as images; voice is kept and the user told; big files refused" {
	tg_add
	claw config set channels.telegram.dm_policy=open
	base64 -d >"$TMP/px.png" <<<'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='
	fid=$(curl -sf -XPOST --data-binary @"$TMP/px.png" "$FAKE/_control/telegram/file" | jq -r .file_id)
	vid=$(printf 'OggS-voice' | curl -sf -XPOST --data-binary @- "$FAKE/_control/telegram/file?mime=audio/ogg" | jq -r .file_id)
	curl -sf -XPOST "$FAKE/_control/telegram/update" -H 'Content-Type: application/json' -d \
	    "{\"message\":{\"message_id\":1,\"from\":{\"id\":42,\"is_bot\":false},\"chat\":{\"id\":42,\"type\":\"private\"},\"date\":1,\"caption\":\"what is this\",\"photo\":[{\"file_id\":\"small\",\"file_unique_id\":\"s\",\"width\":1,\"height\":1},{\"file_id\":\"$fid\",\"file_unique_id\":\"b\",\"width\":1,\"height\":1,\"file_size\":70}]}}" >/dev/null
	curl -sf -XPOST "$FAKE/_control/telegram/update" -H 'Content-Type: application/json' -d \
	    "{\"message\":{\"message_id\":2,\"from\":{\"id\":42,\"is_bot\":false},\"chat\":{\"id\":42,\"type\":\"private\"},\"date\":1,\"voice\":{\"file_id\":\"$vid\",\"file_unique_id\":\"v\",\"duration\":1,\"mime_type\":\"audio/ogg\",\"file_size\":10}}}" >/dev/null
	claw channel poll --once telegram
	[ "$(model_calls)" -eq 1 ]
	run jq -c 'select(.path | endswith("chat/completions")) | .body.messages[-1].content | map(.type)' "$TMP/prov/log"
	assert_output --partial '"image_url"'
	run sent getFile
	assert_line "{\"file_id\":\"$fid\"}"
	run sent sendMessage
	assert_line --partial "Voice messages are not set up yet"
	[ "$(ls "$CLAW_HOME/media/telegram" | wc -l)" -eq 2 ]
	claw config set channels.telegram.media_max=16
	curl -sf -XPOST "$FAKE/_control/telegram/update" -H 'Content-Type: application/json' -d \
	    "{\"message\":{\"message_id\":3,\"from\":{\"id\":42,\"is_bot\":false},\"chat\":{\"id\":42,\"type\":\"private\"},\"date\":1,\"photo\":[{\"file_id\":\"$fid\",\"file_unique_id\":\"b\",\"width\":1,\"height\":1,\"file_size\":70}]}}" >/dev/null
	claw channel poll --once telegram
	run sent sendMessage
	assert_line --partial "That file is too big (70 bytes; the limit is 16)."
	[ "$(model_calls)" -eq 1 ]
}

@test "malformed input: a body that is not an update is refused with 65, nothing stored" {
	tg_add
	run -65 claw channel ingest telegram <<<'not json'
	run -65 claw channel ingest telegram <<<'{"message":{}}'
	wa_add
	run -65 claw channel ingest whatsapp <<<'{"object":"page"}'
	run db "SELECT count(*) FROM channel_ingress"
	assert_output 0
	run -64 claw channel poll
	run -64 claw channel queue --retry=x
	run -66 claw channel poll --once nosuch
}

# --- kill -9 ---

@test "kill -9 during a turn: the restart answers it, once" {
	tg_add
	claw config set channels.telegram.dm_policy=open
	echo '{"delay_ms":3000}' >"$TMP/prov/script"
	tg_say 42 hello
	claw-channel poll telegram 3>&- &
	echo $! >"$TMP/bg.poll.pid"
	wait_for grep -q chat/completions "$TMP/prov/log"
	kill -9 "$(cat "$TMP/bg.poll.pid")"
	wait "$(cat "$TMP/bg.poll.pid")" 2>/dev/null || true     # gone, its lock with it
	run db "SELECT state FROM channel_ingress"
	assert_output working
	claw channel poll --once telegram
	[ "$(sent sendMessage | wc -l)" -eq 1 ]
	run db "SELECT state FROM channel_ingress"
	assert_output done
}

@test "kill -9 during a long poll: nothing is lost, the next poll takes it" {
	tg_add
	claw config set channels.telegram.dm_policy=open
	claw-channel poll telegram 3>&- &
	echo $! >"$TMP/bg.poll.pid"
	wait_for grep -q getUpdates "$TMP/ch/log"
	kill -9 "$(cat "$TMP/bg.poll.pid")"
	wait "$(cat "$TMP/bg.poll.pid")" 2>/dev/null || true     # gone, its lock with it
	tg_say 42 "while it was down"
	claw channel poll --once telegram
	run sent sendMessage
	assert_output --partial "echo: while it was down"
}

@test "kill -9 during a send: never sent twice, left in the dead letters to retry" {
	tg_add
	claw config set channels.telegram.dm_policy=open
	echo '{"method":"sendMessage","delay_ms":3000}' >"$TMP/ch/script"
	tg_say 42 hello
	claw-channel poll telegram 3>&- &
	echo $! >"$TMP/bg.poll.pid"
	wait_for grep -q sendMessage "$TMP/ch/log"
	kill -9 "$(cat "$TMP/bg.poll.pid")"
	wait "$(cat "$TMP/bg.poll.pid")" 2>/dev/null || true     # gone, its lock with it
	claw channel poll --once telegram
	[ "$(sent sendMessage | wc -l)" -eq 1 ]
	run claw channel queue --dead
	assert_output --partial "interrupted while sending: it may have been delivered"
	[ "$(model_calls)" -eq 1 ]
}

# --- webhooks through the gateway ---

# hook METHOD PATH BODYFILE [HEADER...]: one request to claw-gateway under inetd; STATUS.
hook() {
	local m=$1 p=$2 f=$3 h=
	shift 3
	for x in "$@"; do h+="$x"$'\r\n'; done
	{ printf '%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %s\r\n%s\r\n' \
	    "$m" "$p" "$(stat -c %s "$f")" "$h"; cat "$f"; } >"$TMP/req"
	claw-gateway <"$TMP/req" >"$TMP/ans" 2>>"$TMP/gw.log"
	STATUS=$(head -1 "$TMP/ans" | cut -d' ' -f2)
	BODY=$(sed '1,/^\r$/d' "$TMP/ans")
}

@test "telegram webhook: setWebhook with a secret; a forged request is refused with no side effect" {
	tg_add
	claw config set channels.telegram.dm_policy=open
	echo '{"update_id":5,"message":{"message_id":7,"from":{"id":42,"is_bot":false},"chat":{"id":42,"type":"private"},"date":1,"text":"hello"}}' >"$TMP/u.json"
	hook POST /channels/telegram/webhook "$TMP/u.json" "X-Telegram-Bot-Api-Secret-Token: guess"
	[ "$STATUS" = 403 ]
	run claw channel webhook telegram https://example.org/channels/telegram/webhook
	assert_output "telegram: webhook https://example.org/channels/telegram/webhook"
	secret=$(sent setWebhook | jq -r .secret_token)
	[[ $secret =~ ^[A-Za-z0-9_-]{48}$ ]]
	hook POST /channels/telegram/webhook "$TMP/u.json" "X-Telegram-Bot-Api-Secret-Token: ${secret}x"
	[ "$STATUS" = 401 ]
	hook POST /channels/telegram/webhook "$TMP/u.json"
	[ "$STATUS" = 401 ]
	run db "SELECT count(*) FROM channel_ingress"
	assert_output 0
	hook POST /channels/telegram/webhook "$TMP/u.json" "X-Telegram-Bot-Api-Secret-Token: $secret"
	[ "$STATUS" = 200 ]
	run db "SELECT count(*) FROM channel_ingress"
	assert_output 1
	wait_for grep -q sendMessage "$TMP/ch/log"
	run sent sendMessage
	assert_output --partial '"text":"echo: hello"'
	# Telegram's retry of the same update: acknowledged, not answered again
	hook POST /channels/telegram/webhook "$TMP/u.json" "X-Telegram-Bot-Api-Secret-Token: $secret"
	[ "$STATUS" = 200 ]
	run -69 claw channel poll --once telegram
	assert_output --partial "409"
	[ "$(sent sendMessage | wc -l)" -eq 1 ]
}

wa_add() {
	echo "$WA_TOKEN" | claw channel add whatsapp --token=- --phone-number-id=$WA_PHONE >/dev/null
	claw config set channels.whatsapp.app_secret=app-secret-1 2>/dev/null
	claw config set channels.whatsapp.verify_token=verify-me 2>/dev/null
	claw config set channels.whatsapp.dm_policy=open
}

# wa_body FILE TEXT [ID]: an inbound text message as Meta posts it (ASCII-escaped JSON).
wa_body() {
	python3 -c '
import json, sys
print(json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{
  "field": "messages", "value": {"messaging_product": "whatsapp",
  "metadata": {"display_phone_number": "15550001111", "phone_number_id": sys.argv[3]},
  "contacts": [{"profile": {"name": "Ann"}, "wa_id": "4915112345678"}],
  "messages": [{"from": "4915112345678", "id": sys.argv[2], "timestamp": "1760000000",
                "type": "text", "text": {"body": sys.argv[1]}}]}}]}]}), end="")' \
	    "$2" "${3:-wamid.IN1}" "$WA_PHONE" >"$1"
}

sig() { python3 "$BATS_TEST_DIRNAME/fakechannel.py" sign "${2:-app-secret-1}" <"$1"; }

@test "whatsapp webhook: hub.challenge, X-Hub-Signature-256, forged bodies refused" {
	wa_add
	: >"$TMP/empty"
	hook GET "/channels/whatsapp/webhook?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me" "$TMP/empty"
	[ "$STATUS" = 200 ]
	[ "$BODY" = 1158201444 ]
	hook GET "/channels/whatsapp/webhook?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=wrong" "$TMP/empty"
	[ "$STATUS" = 403 ]
	wa_body "$TMP/b.json" "héllo"
	wa_body "$TMP/other.json" "something else"
	hook POST /channels/whatsapp/webhook "$TMP/b.json" "X-Hub-Signature-256: $(sig "$TMP/b.json" wrong-secret)"
	[ "$STATUS" = 401 ]
	hook POST /channels/whatsapp/webhook "$TMP/b.json" "X-Hub-Signature-256: $(sig "$TMP/other.json")"
	[ "$STATUS" = 401 ]
	hook POST /channels/whatsapp/webhook "$TMP/b.json"
	[ "$STATUS" = 401 ]
	run db "SELECT count(*) FROM channel_ingress"
	assert_output 0
	CLAW_CHANNEL_NO_WORK=1 hook POST /channels/whatsapp/webhook "$TMP/b.json" "X-Hub-Signature-256: $(sig "$TMP/b.json")"
	[ "$STATUS" = 200 ]
	run db "SELECT peer, name, text FROM channel_ingress"
	assert_output "4915112345678|Ann|héllo"
	claw channel work whatsapp
	run jq -c 'select(.path | endswith("/messages")) | .body | select(.type == "text")' "$TMP/ch/log"
	assert_output '{"messaging_product":"whatsapp","recipient_type":"individual","to":"4915112345678","type":"text","text":{"preview_url":false,"body":"echo: héllo"},"context":{"message_id":"wamid.IN1"}}'
	run jq -c 'select(.path | endswith("/messages")) | .body | select(.status == "read")' "$TMP/ch/log"
	assert_output --partial '"typing_indicator":{"type":"text"}'
}

@test "whatsapp: outside the 24-hour window an answer is a dead letter that says so" {
	wa_add
	wa_body "$TMP/b.json" hello
	CLAW_CHANNEL_NO_WORK=1 claw channel ingest whatsapp <"$TMP/b.json"
	db "UPDATE channel_chats SET last_inbound = last_inbound - 25 * 3600 * 1000"
	claw channel work whatsapp
	run claw channel queue --dead
	assert_output --partial "outside the 24-hour window"
	# the service's own 131047, synchronous
	echo '{"method":"messages","status":400,"code":131047}' >"$TMP/ch/script"
	wa_body "$TMP/c.json" again wamid.IN2
	CLAW_CHANNEL_NO_WORK=1 claw channel ingest whatsapp <"$TMP/c.json"
	claw channel work whatsapp
	run claw channel queue --dead --json
	assert_line --partial '131047 Re-engagement message (outside the 24-hour window'
	# and asynchronous, as a failed status of a part that was sent
	wa_body "$TMP/d.json" third wamid.IN3
	CLAW_CHANNEL_NO_WORK=1 claw channel ingest whatsapp <"$TMP/d.json"
	claw channel work whatsapp
	ext=$(db "SELECT ext FROM channel_egress WHERE state = 'sent'")
	python3 -c '
import json, sys
print(json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{
  "field": "messages", "value": {"messaging_product": "whatsapp", "statuses": [{"id": sys.argv[1],
  "status": "failed", "timestamp": "1760000001", "recipient_id": "4915112345678",
  "errors": [{"code": 131047, "title": "Re-engagement message"}]}]}}]}]}))' "$ext" >"$TMP/s.json"
	claw channel ingest whatsapp <"$TMP/s.json"
	run db "SELECT state FROM channel_egress WHERE ext = '$ext'"
	assert_output dead
}

@test "whatsapp: images are downloaded in two steps with the token and checked" {
	wa_add
	base64 -d >"$TMP/px.png" <<<'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='
	mid=$(curl -sf -XPOST --data-binary @"$TMP/px.png" "$FAKE/_control/whatsapp/media?mime=image/png" | jq -r .id)
	python3 -c '
import json, sys
print(json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "W", "changes": [{
  "field": "messages", "value": {"messaging_product": "whatsapp",
  "metadata": {"phone_number_id": sys.argv[2]},
  "messages": [{"from": "4915112345678", "id": "wamid.IMG", "timestamp": "1", "type": "image",
    "image": {"caption": "look", "mime_type": "image/png", "id": sys.argv[1]}}]}}]}]}))' \
	    "$mid" "$WA_PHONE" >"$TMP/i.json"
	CLAW_CHANNEL_NO_WORK=1 claw channel ingest whatsapp <"$TMP/i.json"
	claw channel work whatsapp
	run jq -c 'select(.path | endswith("chat/completions")) | .body.messages[-1].content | map(.type)' "$TMP/prov/log"
	assert_output --partial '"image_url"'
	# the two steps: the media's URL, then its bytes there
	run jq -r 'select(.path | endswith("/'"$mid"'")) | .method + " " + .path' "$TMP/ch/log"
	assert_output $'GET /v23.0/'"$mid"$'\nGET /media/'"$mid"
	# a voice note: kept, and the sender told
	vid=$(printf 'OggS-voice' | curl -sf -XPOST --data-binary @- "$FAKE/_control/whatsapp/media?mime=audio/ogg" | jq -r .id)
	sed "s/wamid.IMG/wamid.VOICE/; s/\"type\": \"image\"/\"type\": \"audio\"/; s/\"image\": {\"caption\": \"look\", \"mime_type\": \"image\/png\", \"id\": \"$mid\"}/\"audio\": {\"mime_type\": \"audio\/ogg; codecs=opus\", \"id\": \"$vid\", \"voice\": true}/" \
	    "$TMP/i.json" >"$TMP/v.json"
	grep -q '"voice": true' "$TMP/v.json"
	CLAW_CHANNEL_NO_WORK=1 claw channel ingest whatsapp <"$TMP/v.json"
	claw channel work whatsapp
	run jq -r 'select(.path | endswith("/messages")) | .body.text.body // empty' "$TMP/ch/log"
	assert_line --partial "Voice messages are not set up yet"
	[ "$(model_calls)" -eq 1 ]
	[ "$(ls "$CLAW_HOME/media/whatsapp" | wc -l)" -eq 2 ]
}

@test "whatsapp: an approved sender is told at once (no poller to wait for)" {
	wa_add
	claw config set channels.whatsapp.dm_policy=pairing
	wa_body "$TMP/b.json" hello
	CLAW_CHANNEL_NO_WORK=1 claw channel ingest whatsapp <"$TMP/b.json"
	claw channel work whatsapp
	code=$(claw channel pair list --json | jq -r .code)
	run claw channel pair approve whatsapp "$code"
	assert_output "whatsapp: approved"
	wait_for grep -q "You are in" "$TMP/ch/log"
}

@test "stream=edit: the answer grows in one message, edited, the last edit the whole answer" {
	tg_add
	claw config set channels.telegram.dm_policy=open
	claw config set channels.telegram.stream=edit
	echo '{"text":"one two three four five six seven","token_delay_ms":500}' >"$TMP/prov/script"
	tg_say 42 hello
	claw channel poll --once telegram
	[ "$(sent sendMessage | wc -l)" -eq 1 ]
	[ "$(sent editMessageText | wc -l)" -ge 2 ]
	run sent editMessageText
	assert_line --index -1 '{"chat_id":42,"message_id":1,"text":"one two three four five six seven"}'
}

@test "allowlist: only the senders named are answered; an expired code lets no one in" {
	tg_add
	claw config set channels.telegram.dm_policy=allowlist
	claw config set channels.telegram.allow=41,42
	tg_say 42 hello 42 1
	tg_say 43 hello 43 2
	claw channel poll --once telegram
	run sent sendMessage
	assert_output --partial '"chat_id":42,"text":"echo: hello"'
	refute_output --partial '"chat_id":43'
	[ "$(claw channel pair list | wc -l)" -eq 0 ]
	claw config set channels.telegram.dm_policy=pairing
	tg_say 44 hello 44 3
	claw channel poll --once telegram
	code=$(claw channel pair list --json | jq -r .code)
	db "UPDATE channel_pairing SET expires = 1"
	run -66 claw channel pair approve telegram "$code"
	run db "SELECT count(*) FROM channel_senders"
	assert_output 0
}
