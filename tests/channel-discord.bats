#!/usr/bin/env bats
# claw-channel with Discord: signed interactions through claw-gateway, REST answers and
# rate limits, against tests/fakediscord.py; the model is tests/fakeprovider.py.

load helper

BOT_ID=1100000000000000001
# a bot token's first part is its user id in base64
DC_TOKEN=MTEwMDAwMDAwMDAwMDAwMDAwMQ.GhIjkl.fake-secret-part_0123456789abcdef

setup() {
	claw_setup
	TMP=$BATS_TEST_TMPDIR
	fakeprovider_start "$TMP/prov"
	mkdir -p "$TMP/dc"
	python3 "$BATS_TEST_DIRNAME/fakediscord.py" --port-file "$TMP/dc/port" --log "$TMP/dc/log" \
	    --token "$DC_TOKEN" --bot-id $BOT_ID --gateway-port-file "$TMP/dc/gport" \
	    --heartbeat 400 3>&- &
	echo $! >"$TMP/dc/pid"
	for _ in $(seq 100); do [ -s "$TMP/dc/port" ] && [ -s "$TMP/dc/gport" ] && break; sleep 0.05; done
	PP=$(cat "$TMP/prov/port") DP=$(cat "$TMP/dc/port")
	FAKE=http://127.0.0.1:$DP
	claw config set "providers.generic.base_url=http://127.0.0.1:$PP/v1" >/dev/null
	claw config set model=generic/test-model >/dev/null
	claw config set "channels.discord.base_url=$FAKE/api/v10" >/dev/null
	claw config set "channels.discord.gateway_url=ws://127.0.0.1:$(cat "$TMP/dc/gport")/?v=10&encoding=json" >/dev/null
	python3 "$BATS_TEST_DIRNAME/fakediscord.py" keygen "$TMP/key"
}

teardown() {
	local p
	for p in "$TMP/prov/pid" "$TMP/dc/pid" "$TMP"/bg.*.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
	done
	return 0
}

db() { sqlite3 "$CLAW_HOME/claw.db" "$@"; }
dc_add() { echo "$DC_TOKEN" | claw channel add discord --token=- >/dev/null; }
rest() { jq -c --arg m "$1" --arg p "$2" 'select(.method == $m and (.path | startswith($p))) | del(.ua, .t)' "$TMP/dc/log"; }
model_calls() { [ -f "$TMP/prov/log" ] && grep -c chat/completions "$TMP/prov/log" || echo 0; }
wait_for() {
	for _ in $(seq 300); do "$@" && return 0; sleep 0.1; done
	return 1
}

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

# signed FILE [TS]: post FILE to the interactions endpoint, signed with our key.
signed() {
	local ts=${2:-1760000000}
	hook POST /channels/discord/interactions "$1" \
	    "X-Signature-Ed25519: $(python3 "$BATS_TEST_DIRNAME/fakediscord.py" sign "$TMP/key" "$ts" "$1")" \
	    "X-Signature-Timestamp: $ts"
}

ask_body() {
	jq -cn --arg t "$1" --arg id "${2:-1200000000000000001}" '{type:2, id:$id,
	    application_id:"1000000000000000042", token:"aW50ZXJhY3Rpb246dG9rZW4_fake-1",
	    channel_id:"900", version:1, context:1, user:{id:"555", username:"ann"},
	    data:{id:"771825006014889984", name:"ask", type:1,
	    options:[{type:3, name:"text", value:$t}]}}' >"$TMP/ask.json"
}

@test "discord: add checks the bot token with users/@me" {
	run -77 claw channel add discord --token=wrong.token.x
	assert_output --partial "401"
	dc_add
	run claw channel list
	assert_output $'discord\tdiscord\tclaw'
	run rest GET /api/v10/users/@me
	assert_output --partial "\"auth\":\"Bot $DC_TOKEN\""
}

@test "discord REST: every call says User-Agent: DiscordBot (URL, VERSION)" {
	dc_add
	claw config set channels.discord.dm_policy=open
	jq -cn '{id:"1310", channel_id:"900", author:{id:"555", username:"ann"}, content:"hi",
	    type:0}' | claw channel ingest discord
	CLAW_CHANNEL_NO_WORK=1 claw channel work discord
	v=$(claw --version | awk '{print $NF}')
	run jq -r 'select(.method) | .ua' "$TMP/dc/log"
	[ "${#lines[@]}" -ge 2 ]      # users/@me at add, the answer
	for l in "${lines[@]}"; do
		[[ $l =~ ^DiscordBot\ \([a-z]+://[^,\ ]+,\ ${v//./\\.}\)$ ]] || { echo "ua: $l"; false; }
	done
	run rest POST /api/v10/channels/900/messages
	assert_output --partial '"content":"echo: hi"'
}

@test "discord interactions: PING is PONG; a bad or missing signature is 401 with no side effect" {
	dc_add
	echo '{"type":1,"id":"1","application_id":"1000000000000000042","token":"t","version":1}' >"$TMP/ping.json"
	signed "$TMP/ping.json"
	[ "$STATUS" = 403 ]           # no public key configured: refused
	claw config set "channels.discord.public_key=$(cat "$TMP/key/pk")" >/dev/null
	signed "$TMP/ping.json"
	[ "$STATUS" = 200 ]
	[ "$BODY" = '{"type":1}' ]
	grep -qi '^Content-Type: application/json' "$TMP/ans"
	claw config set channels.discord.dm_policy=open
	ask_body hello
	sig=$(python3 "$BATS_TEST_DIRNAME/fakediscord.py" sign "$TMP/key" 1760000000 "$TMP/ask.json")
	[ "${sig:0:1}" = a ] && bad=b${sig:1} || bad=a${sig:1}
	# another timestamp, a changed signature, none, another body: all 401
	hook POST /channels/discord/interactions "$TMP/ask.json" "X-Signature-Ed25519: $sig" "X-Signature-Timestamp: 1760000001"
	[ "$STATUS" = 401 ]
	hook POST /channels/discord/interactions "$TMP/ask.json" "X-Signature-Ed25519: $bad" "X-Signature-Timestamp: 1760000000"
	[ "$STATUS" = 401 ]
	hook POST /channels/discord/interactions "$TMP/ask.json"
	[ "$STATUS" = 401 ]
	hook POST /channels/discord/interactions "$TMP/ping.json" "X-Signature-Ed25519: $sig" "X-Signature-Timestamp: 1760000000"
	[ "$STATUS" = 401 ]
	hook POST /channels/discord/interactions "$TMP/ask.json" "X-Signature-Ed25519: zz$sig" "X-Signature-Timestamp: 1760000000"
	[ "$STATUS" = 401 ]
	run db "SELECT count(*) FROM channel_ingress"
	assert_output 0
	[ "$(model_calls)" -eq 0 ]
}

@test "discord /ask: deferred at once (type 5), the answer by the follow-up webhook" {
	dc_add
	claw config set "channels.discord.public_key=$(cat "$TMP/key/pk")" >/dev/null
	claw config set channels.discord.dm_policy=open
	ask_body "what is 2+2?"
	signed "$TMP/ask.json"
	[ "$STATUS" = 200 ]
	[ "$BODY" = '{"type":5}' ]
	wait_for grep -q '"PATCH"' "$TMP/dc/log"
	run rest PATCH /api/v10/webhooks/
	assert_output '{"method":"PATCH","path":"/api/v10/webhooks/1000000000000000042/aW50ZXJhY3Rpb246dG9rZW4_fake-1/messages/@original","auth":null,"body":{"content":"echo: what is 2+2?","allowed_mentions":{"parse":[]}}}'
	# Discord delivering the same interaction again: acknowledged, not answered twice
	signed "$TMP/ask.json"
	[ "$STATUS" = 200 ]
	sleep 1
	[ "$(rest PATCH /api/v10/webhooks/ | wc -l)" -eq 1 ]
	run claw-chat --history -s discord:900
	assert_output --partial 'what is 2+2?'
	# another command is not ours: answered inline, nothing stored
	jq -c '.data.name = "other" | .id = "1200000000000000009"' "$TMP/ask.json" >"$TMP/other.json"
	signed "$TMP/other.json"
	[ "$STATUS" = 200 ]
	[[ $BODY == *'"type":4'* ]]
	run db "SELECT count(*) FROM channel_ingress"
	assert_output 1
}

@test "discord /ask: a long answer is the edited original plus follow-ups, each within 2000" {
	dc_add
	claw config set "channels.discord.public_key=$(cat "$TMP/key/pk")" >/dev/null
	claw config set channels.discord.dm_policy=open
	long=$(python3 -c 'print(" ".join(["word%04d" % i for i in range(500)]))')
	ask_body "$long"
	signed "$TMP/ask.json"
	[ "$BODY" = '{"type":5}' ]
	wait_for sh -c "[ \$(grep -c webhooks '$TMP/dc/log') -ge 3 ]"
	[ "$(rest PATCH /api/v10/webhooks/ | wc -l)" -eq 1 ]
	run rest POST /api/v10/webhooks/1000000000000000042/aW50ZXJhY3Rpb246dG9rZW4_fake-1?wait=true
	[ "${#lines[@]}" -ge 2 ]
	run jq -r 'select(.path | startswith("/api/v10/webhooks/")) | .body.content | length' "$TMP/dc/log"
	for n in "${lines[@]}"; do [ "$n" -le 2000 ]; done
	run jq -r 'select(.path | startswith("/api/v10/webhooks/")) | .body.content' "$TMP/dc/log"
	[ "$(echo "$output" | tr -s ' \n' '\n\n' | grep -c '^word')" -eq 500 ]
}

@test "discord REST: a 429 waits retry_after (a float) and the answer is sent; 401 is a dead letter" {
	dc_add
	claw config set channels.discord.dm_policy=open
	echo '{"path":"/channels/900/messages","status":429,"retry_after":0.6,"global":false,"times":1}' |
		curl -sf -XPOST --data-binary @- "$FAKE/_control/fail" >/dev/null
	jq -cn '{id:"1300", channel_id:"900", author:{id:"555", username:"ann"}, content:"hello",
	    type:0}' | claw channel ingest discord
	CLAW_CHANNEL_NO_WORK=1 claw channel work discord
	run rest POST /api/v10/channels/900/messages
	[ "${#lines[@]}" -eq 2 ]
	assert_line --index 1 --partial '"body":{"content":"echo: hello","allowed_mentions":{"parse":[]},"message_reference":{"message_id":"1300","fail_if_not_exists":false}}'
	assert_line --index 1 --partial "\"auth\":\"Bot $DC_TOKEN\""
	run db "SELECT state, attempts FROM channel_egress"
	assert_output "sent|2"
	echo '{"path":"/channels/901/messages","status":403,"code":50001,"message":"Missing Access","times":9}' |
		curl -sf -XPOST --data-binary @- "$FAKE/_control/fail" >/dev/null
	jq -cn '{id:"1301", channel_id:"901", author:{id:"555", username:"ann"}, content:"hi",
	    type:0}' | claw channel ingest discord
	claw channel work discord || true
	run claw channel queue --dead
	assert_output --partial "discord: 403 code 50001 Missing Access"
}

@test "discord REST: an empty bucket (X-RateLimit-Remaining 0) is waited out for Reset-After; no 429" {
	dc_add
	claw config set channels.discord.dm_policy=open
	# two calls per 1.5 s on each channel's bucket, counted as Discord counts them
	echo '{"limit":2,"window":1.5}' | curl -sf -XPOST --data-binary @- "$FAKE/_control/ratelimit" >/dev/null
	for i in 1 2 3 4; do
		jq -cn --arg i "$i" '{id:("140" + $i), channel_id:"900", author:{id:"555",
		    username:"ann"}, content:("m" + $i), type:0}' | CLAW_CHANNEL_NO_WORK=1 claw channel ingest discord >/dev/null
	done
	CLAW_CHANNEL_NO_WORK=1 claw channel work discord
	run jq -c 'select(.limited)' "$TMP/dc/log"
	assert_output ""
	run db "SELECT state, attempts FROM channel_egress"
	assert_output $'sent|1\nsent|1\nsent|1\nsent|1'
	# the third call came after the first's bucket refilled
	run jq -s '[.[] | select(.method == "POST" and (.path | endswith("/900/messages"))) | .t]
	    | (.[2] - .[0]) >= 1.4' "$TMP/dc/log"
	assert_output true
	# the same through libcurl (a proxy makes fetch use it; the fake is the proxy too)
	for i in 5 6 7 8; do
		jq -cn --arg i "$i" '{id:("140" + $i), channel_id:"902", author:{id:"555",
		    username:"ann"}, content:("m" + $i), type:0}' | CLAW_CHANNEL_NO_WORK=1 claw channel ingest discord >/dev/null
	done
	claw config set "providers.generic.base_url=http://localhost:$PP/v1"   # not proxied
	http_proxy=$FAKE no_proxy=localhost NO_PROXY= CLAW_CHANNEL_NO_WORK=1 claw channel work discord
	run jq -s -c '[.[] | select(.method == "POST" and (.path | endswith("/902/messages")))]
	    | [length, all(.proxied), (.[2].t - .[0].t) >= 1.4, any(.limited)]' "$TMP/dc/log"
	assert_output '[4,true,true,false]'
}

@test "discord REST: a global 429 (X-RateLimit-Global) holds every route for retry_after" {
	dc_add
	claw config set channels.discord.dm_policy=open
	claw config set channels.discord.parallel=1          # 900 answered first, then 901
	echo '{"path":"/channels/900/messages","status":429,"retry_after":1.2,"global":true,"times":1}' |
		curl -sf -XPOST --data-binary @- "$FAKE/_control/fail" >/dev/null
	for ch in 900 901; do
		jq -cn --arg c "$ch" '{id:("15" + $c), channel_id:$c, author:{id:"555",
		    username:"ann"}, content:"hi", type:0}' | CLAW_CHANNEL_NO_WORK=1 claw channel ingest discord >/dev/null
	done
	CLAW_CHANNEL_NO_WORK=1 claw channel work discord
	run jq -s '[.[] | select(.method == "POST" and (.path | endswith("/messages")))]
	    | [.[0].path, .[1].path,
	    (.[1].t - .[0].t) >= 1.1]' -c "$TMP/dc/log"
	assert_output '["/api/v10/channels/900/messages","/api/v10/channels/901/messages",true]'
	run db "SELECT state FROM channel_egress ORDER BY id"
	assert_output $'sent\nsent'
}

@test "discord messages: guilds only on mention, bots never, malformed refused with 65" {
	dc_add
	claw config set channels.discord.dm_policy=open
	jq -cn '{id:"1400", channel_id:"800", guild_id:"700", author:{id:"555", username:"ann"},
	    content:"just chatting", type:0}' | claw channel ingest discord >/dev/null
	jq -cn --arg b "<@$BOT_ID> are you there?" '{id:"1401", channel_id:"800", guild_id:"700",
	    author:{id:"555", username:"ann"}, content:$b, type:0}' | claw channel ingest discord >/dev/null
	jq -cn '{id:"1402", channel_id:"800", author:{id:"556", username:"robot", bot:true},
	    content:"beep", type:0}' | claw channel ingest discord >/dev/null
	claw channel work discord
	run rest POST /api/v10/channels/800/messages
	[ "${#lines[@]}" -eq 1 ]
	assert_output --partial 'are you there?'
	run -65 claw channel ingest discord <<<'{"id":"1","author":{}}'
	run -65 claw channel ingest discord <<<'[1,2]'
	run -65 claw channel ingest discord <<<'{"type":2,"id":"5"}'
}

gw() { curl -sf -XPOST -H 'Content-Type: application/json' --data-binary "${2:-{\}}" "$FAKE/_control/gateway/$1" >/dev/null; }
gwlog() { jq -c --argjson op "$1" 'select(.gateway == $op)' "$TMP/dc/log"; }
say() {
	gw message "$(jq -cn --arg id "$1" --arg t "$2" '{id:$id, channel_id:"900", type:0,
	    author:{id:"555", username:"ann"}, content:$t}')"
}
posts() { rest POST /api/v10/channels/900/messages; }
posts_n() { [ "$(posts | wc -l)" -ge "$1" ]; }
# the poller started and identified (a message before READY is not the bot's to see)
poller() {
	claw channel poll discord 2>>"$TMP/poll.err" &
	echo $! >"$TMP/bg.poll.pid"
	wait_for sh -c "jq -e 'select(.gateway == 1)' '$TMP/dc/log' >/dev/null"
}

@test "discord gateway: identify with the intents, heartbeats acked, a DM answered by REST" {
	dc_add
	claw config set channels.discord.dm_policy=open
	poller
	run gwlog 2
	assert_output '{"gateway":2,"d":{"token":"***","intents":37376,"properties":{"os":"linux","browser":"claw","device":"claw"}}}'
	say 1600 "hello gateway"
	wait_for posts_n 1
	run posts
	assert_output --partial '"content":"echo: hello gateway"'
	assert_output --partial '"message_reference":{"message_id":"1600"'
	# beats keep coming at the interval while idle
	n=$(gwlog 1 | wc -l)
	wait_for sh -c "[ \$(jq -c 'select(.gateway == 1)' '$TMP/dc/log' | wc -l) -gt $((n + 1)) ]"
	run db "SELECT ext, state FROM channel_ingress"
	assert_output "m:1600|done"
}

@test "discord gateway: a forced reconnect (op 7) resumes the session; what was missed is replayed" {
	dc_add
	claw config set channels.discord.dm_policy=open
	poller
	say 1601 one
	wait_for posts_n 1
	# (asked again if it came while the poller was between connections)
	for _ in 1 2 3 4 5; do
		gw reconnect
		for _ in $(seq 50); do gwlog 6 | grep -q . && break 2; sleep 0.1; done
	done
	run gwlog 6
	[ -n "$output" ]
	run gwlog 6
	assert_output --partial '"session_id":"sess-1"'
	say 1602 two
	wait_for posts_n 2
	run posts
	assert_line --index 1 --partial '"content":"echo: two"'
	# the TCP connection cut: resumed again, nothing twice
	gw drop
	say 1603 three
	wait_for posts_n 3
	sleep 1
	[ "$(posts | wc -l)" -eq 3 ]
	[ "$(gwlog 2 | wc -l)" -eq 1 ]
}

@test "discord gateway: an invalid session (op 9) means a new identify; a bad token stops with 77" {
	dc_add
	claw config set channels.discord.dm_policy=open
	poller
	wait_for sh -c "[ \$(jq -c 'select(.gateway == 2)' '$TMP/dc/log' | wc -l) -ge 1 ]"
	gw invalid
	wait_for sh -c "[ \$(jq -c 'select(.gateway == 2)' '$TMP/dc/log' | wc -l) -ge 2 ]"
	say 1604 after
	wait_for posts_n 1
	kill "$(cat "$TMP/bg.poll.pid")"
	claw config set channels.discord.token=wrong.token.zz
	run -77 claw channel poll discord
	assert_output --partial "4004"
}

@test "discord gateway over wss://: the chain checked against the hashed CA directory, roots read as needed; an unknown root refused" {
	mkdir -p "$TMP/ca" "$TMP/tls"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
	    -keyout "$TMP/tls/key.pem" -out "$TMP/ca/root.pem" 2>/dev/null
	openssl rehash "$TMP/ca"
	python3 "$BATS_TEST_DIRNAME/fakediscord.py" --port-file "$TMP/tls/port" --log "$TMP/tls/log" \
	    --token "$DC_TOKEN" --gateway-port-file "$TMP/tls/gport" --heartbeat 400 \
	    --gateway-tls "$TMP/ca/root.pem,$TMP/tls/key.pem" 3>&- &
	echo $! >"$TMP/bg.tls.pid"
	for _ in $(seq 100); do [ -s "$TMP/tls/gport" ] && break; sleep 0.05; done
	dc_add
	claw config set "channels.discord.gateway_url=wss://localhost:$(cat "$TMP/tls/gport")/?v=10&encoding=json"
	# the system's roots do not include this one: no session, said in one line
	run claw channel poll --once discord
	assert_output --partial "cannot connect to the Gateway"
	run jq -r 'select(.gateway == "tls-refused") | .why' "$TMP/tls/log"
	assert_line --partial "UNKNOWN_CA"
	run jq -c 'select(.gateway == 2)' "$TMP/tls/log"
	assert_output ""
	# trusted through SSL_CERT_DIR (OpenSSL's variable for the hashed directory)
	SSL_CERT_DIR=$TMP/ca claw channel poll --once discord
	run jq -c 'select(.gateway == 2) | .d.token' "$TMP/tls/log"
	assert_output '"***"'
}
