#!/usr/bin/env bats
# claw-gateway: start/stop/status and every route, against tests/fakeprovider.py on
# loopback, with curl, the official openai npm client and the Vercel AI SDK (the
# Responses API too).  HTTP hygiene and auth failures are in gateway-http.bats.

load helper

setup_file() {
	fakeprovider_home model=generic/test-model \
	    gateway.rate=0 gateway.jwt_secret=test-secret-0123456789
}

teardown_file() {
	fakeprovider_stop
}

setup() {
	fakeprovider_setup
	export CLAW_SKILLS_PATH="$BATS_TEST_DIRNAME/fixtures/chat-skills"
}

teardown() {
	claw-gateway stop 2>/dev/null || true
	claw_valgrind_logs
}

script() { printf '%s\n' "$@" >> "$FAKE_DIR/script"; }
db() { sqlite3 "$CLAW_HOME/claw.db" "$@"; }

# Start on a free port; ADDR, PID and a token of every scope for the test.
start() {
	run -0 claw-gateway start --listen 127.0.0.1:0 "$@"
	[[ $output =~ listening\ on\ (127\.0\.0\.1:[0-9]+)\ \(pid\ ([0-9]+)\) ]]
	ADDR=${BASH_REMATCH[1]}
	GWPID=${BASH_REMATCH[2]}
	TOKEN=$(claw-gateway token --scope admin)
}

api() {                         # api PATH [curl args…]: the body, the status on the last line
	local path=$1
	shift
	curl -sS -w '\n%{http_code}' -H "Authorization: Bearer $TOKEN" "$@" "http://$ADDR$path"
}

status_of() { tail -n1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }

# Descendants of a pid, one per line.
descendants() {
	local kid
	for kid in $(pgrep -P "$1"); do
		echo "$kid"
		descendants "$kid"
	done
}

# --- start, stop, status ---

@test "start returns once it listens; status and stop; the front door runs the same" {
	run -0 claw gateway start --listen 127.0.0.1:0
	[[ $output =~ listening\ on\ (127\.0\.0\.1:[0-9]+) ]]
	ADDR=${BASH_REMATCH[1]}
	run -0 curl -sS "http://$ADDR/healthz"
	assert_output '{"ok":true}'
	run -0 claw-gateway status
	assert_output --regexp "^running pid [0-9]+ on $ADDR\$"
	run -0 claw-gateway status --json
	echo "$output" | jq -e --arg a "$ADDR" '.running and .listen == $a and .pid > 0'
	[ "$(file_mode "$CLAW_HOME/run/gateway.pid")" = 600 ]
	run -0 claw gateway stop
	run -1 claw-gateway status
	assert_output "not running"
	run -1 claw-gateway status --json
	assert_output '{"running":false}'
	run -1 claw-gateway stop
	assert_output "claw-gateway: not running"
	run -7 curl -sS "http://$ADDR/healthz"
}

@test "a second start is refused while one runs, and a used port is refused" {
	start
	run -69 claw-gateway start --listen 127.0.0.1:0
	assert_output --partial "already running"
	claw-gateway stop
	python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1]); sys.stdout.flush(); time.sleep(5)' > "$BATS_TEST_TMPDIR/busy" &
	for _ in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/busy" ] && break; sleep 0.05; done
	run -69 claw-gateway start --listen "127.0.0.1:$(cat "$BATS_TEST_TMPDIR/busy")"
	assert_output --partial "Address already in use"
	kill %1 2>/dev/null || true
}

@test "bad --listen addresses are usage errors, refused before anything starts" {
	run -64 claw-gateway start --listen nonsense
	assert_output "claw-gateway: --listen nonsense: want ADDR:PORT (e.g. 127.0.0.1:3000 or [::1]:3000)"
	run -64 claw-gateway start --listen 127.0.0.1:http
	# A port past 65535 is refused, not wrapped onto another port.
	run -64 claw-gateway start --listen 127.0.0.1:99999
	assert_output "claw-gateway: --listen 127.0.0.1:99999: 99999: want a port number from 0 to 65535"
	run -64 claw-gateway start --listen 999.1.1.1:41000
	assert_output --partial "999.1.1.1: not an IP address or host name"
	run -64 claw-gateway start --listen '[::1:41000'
	run -64 claw-gateway start --listen ::1:41000
	assert_output --partial "brackets"
	run -1 claw-gateway status
}

@test "gateway.listen is checked by the same parser when it is set; a bad one from the environment is a config error" {
	run -78 claw config set gateway.listen=999.1.1.1:41000
	run -78 claw config set gateway.listen=127.0.0.1:99999
	run -78 claw config set gateway.listen=127.0.0.1
	run -0 claw config set gateway.listen=localhost:41000
	run -0 claw config set 'gateway.listen=[::1]:41000'
	# Port 0, any free one, is for --listen: not an address clients are told.
	run -78 claw config set gateway.listen=127.0.0.1:0
	CLAW_GATEWAY_LISTEN=127.0.0.1:70000 run -78 claw-gateway start --foreground
	assert_output --partial "127.0.0.1:70000: 70000: want a port number from 0 to 65535"
}

@test "a bad option is a usage error" {
	run -64 claw-gateway start --bogus
	assert_line --index 0 --partial "unrecognized option"
	run -64 claw-gateway frobnicate
	assert_line --index 0 "usage: claw-gateway"
	run -64 claw-gateway status extra
	run -0 claw-gateway --help
	assert_line --index 0 "usage: claw-gateway"
	run -0 claw-gateway --version
	assert_output --regexp '^claw-gateway [0-9]+\.[0-9]+'
}

@test "with no secret, start makes one, stores it sealed, and says how to mint a token" {
	claw config unset gateway.jwt_secret
	start
	assert_output --partial "generated gateway.jwt_secret"
	assert_output --partial "claw-gateway token"
	run -0 claw config list
	assert_line "gateway.jwt_secret=***"
	! sqlite3 "$CLAW_HOME/claw.db" "select value from config where key='gateway.jwt_secret'" | grep -q "$(claw config get gateway.jwt_secret)"
	TOKEN=$(claw-gateway token --scope chat)
	run -0 api /v1/models
	[ "$(status_of "$output")" = 200 ]
}

@test "gateway.listen sets the address; the default is loopback" {
	run -0 claw config get gateway.listen
	assert_output "127.0.0.1:3000"
	local port
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	claw config set "gateway.listen=127.0.0.1:$port"
	run -0 claw-gateway start
	assert_output --regexp "listening on 127\.0\.0\.1:$port "
}

@test "stop lets the server go within a second, and the loop sits idle at no CPU" {
	start
	sleep 1
	local t0 t1
	t0=$(awk '{print $14+$15}' "/proc/$GWPID/stat")
	sleep 1
	t1=$(awk '{print $14+$15}' "/proc/$GWPID/stat")
	[ "$((t1 - t0))" -le 1 ]
	run -0 claw-gateway stop
	for _ in $(seq 20); do
		grep -q '^State:.*[ZX]' "/proc/$GWPID/status" 2>/dev/null || ! kill -0 "$GWPID" 2>/dev/null && break
		sleep 0.05
	done
	! grep -q '^State:.*[RSD]' "/proc/$GWPID/status" 2>/dev/null
}

# --- light routes ---

@test "GET /healthz needs no token" {
	start
	run -0 curl -sS -i "http://$ADDR/healthz"
	assert_line --partial "HTTP/1.1 200 OK"
	assert_line --partial "Content-Type: application/json"
	assert_line '{"ok":true}'
}

@test "GET /v1/models lists the configured chain in OpenAI's shape" {
	claw config set model=generic/test-model,generic/other
	start
	run -0 api /v1/models
	[ "$(status_of "$output")" = 200 ]
	body_of "$output" | jq -e '.object == "list" and (.data | map(.id)) == ["generic/test-model","generic/other"]
	    and (.data | all(.object == "model" and .owned_by == "generic"))'
}

@test "GET /api/v1/skills lists what claw-skill list --json lists" {
	start
	run -0 api /api/v1/skills
	[ "$(status_of "$output")" = 200 ]
	body_of "$output" | jq -c '.skills[]' > "$BATS_TEST_TMPDIR/gw"
	claw-skill list --json > "$BATS_TEST_TMPDIR/cli"
	diff "$BATS_TEST_TMPDIR/cli" "$BATS_TEST_TMPDIR/gw"
	body_of "$output" | jq -e '.skills | map(.name) | index("calc") != null'
}

@test "GET /api/v1/status and /api/v1/sessions answer an admin token" {
	start
	run -0 api /api/v1/chat -d '{"message":"remember me","session":"s-status"}'
	run -0 api /api/v1/status
	[ "$(status_of "$output")" = 200 ]
	body_of "$output" | jq -e --arg a "$ADDR" '.mode == "start" and .listen == $a and .model == "generic/test-model"
	    and .sessions == 1 and (.version | length > 0) and .uptime_s >= 0'
	run -0 api /api/v1/sessions
	body_of "$output" | jq -e '.sessions | map(.name) == ["s-status"] and .[0].messages == 2'
}

# --- chat ---

@test "POST /api/v1/chat answers with reply, session and usage; the session goes on" {
	start
	run -0 api /api/v1/chat -d '{"message":"hi there","session":"s1"}'
	[ "$(status_of "$output")" = 200 ]
	body_of "$output" | jq -e '.reply == "echo: hi there" and .session == "s1" and .model == "generic/test-model"
	    and .usage.in > 0 and .usage.out > 0'
	run -0 api /api/v1/chat -d '{"prompt":"again","session":"s1"}'
	body_of "$output" | jq -e '.reply == "echo: again"'
	# The provider saw the first turn as history.
	tail -n1 "$FAKE_DIR/log" | jq -e '[.body.messages[].content] | index("hi there") != null'
	[ "$(db "select count(*) from messages m join sessions s on m.session=s.id where s.name='s1'")" = 4 ]
}

@test "POST /api/v1/chat with stream gives claw-chat's events as SSE" {
	start
	run -0 curl -sS -N -i -H "Authorization: Bearer $TOKEN" "http://$ADDR/api/v1/chat" \
	    -d '{"message":"one two three","stream":true}'
	assert_line --partial "Content-Type: text/event-stream"
	assert_line --partial "Connection: close"
	grep '^data: ' <<<"$output" | sed 's/^data: //' > "$BATS_TEST_TMPDIR/ev"
	jq -e -s 'map(.type) | .[0] == "delta" and .[-1] == "message"' "$BATS_TEST_TMPDIR/ev"
	jq -e -s '[.[] | select(.type == "delta").text] | add == "echo: one two three"' "$BATS_TEST_TMPDIR/ev"
}

@test "a provider error before any output is an HTTP error with claw-chat's message" {
	start
	script '{"status":400,"error_message":"context too long"}'
	run -0 api /api/v1/chat -d '{"message":"x"}'
	[ "$(status_of "$output")" = 400 ]
	body_of "$output" | jq -e '.error.type == "bad_request" and (.error.message | test("context too long"))'
	script '{"status":401}'
	run -0 api /api/v1/chat -d '{"message":"x","stream":true}'
	[ "$(status_of "$output")" = 403 ]
	body_of "$output" | jq -e '.error.type == "forbidden" and (.error.message | test("refused the key"))'
}

@test "the exit-code table: a provider busy (exit 75) is 503 with Retry-After, as man/claw-gateway.1 says" {
	start
	local i
	for i in 1 2 3 4 5 6 7 8; do script '{"status":429,"retry_after":"0"}'; done
	run -0 api /api/v1/chat -d '{"message":"x"}' -D "$BATS_TEST_TMPDIR/head"
	[ "$(status_of "$output")" = 503 ]
	grep -q '^Retry-After: 1' "$BATS_TEST_TMPDIR/head"
	body_of "$output" | jq -e '.error.type == "unavailable"'
	# The man page's table is the code's.
	run -0 bash -c "sed -n '/^.Ss Exit codes of the jobs/,/^.El/p' '$CLAW_SRC/man/claw-gateway.1' | grep -c '^.It '"
	[ "$output" = 8 ]
}

@test "an error after the stream began is an SSE error event" {
	start
	script '{"text":"a b c d","error_after":2}'
	run -0 curl -sS -N -H "Authorization: Bearer $TOKEN" "http://$ADDR/api/v1/chat" \
	    -d '{"message":"x","stream":true}'
	grep '^data: ' <<<"$output" | sed 's/^data: //' | jq -e -s '.[0].type == "delta" and .[-1].type == "error"'
}

@test "bad chat bodies are 400s, and a client never names files on this machine" {
	start
	run -0 api /api/v1/chat -d 'not json'
	[ "$(status_of "$output")" = 400 ]
	body_of "$output" | jq -e '.error.type == "bad_request" and (.error.message | test("not JSON"))'
	run -0 api /api/v1/chat -d '[1]'
	[ "$(status_of "$output")" = 400 ]
	run -0 api /api/v1/chat -d '{"session":"x"}'
	[ "$(status_of "$output")" = 400 ]
	body_of "$output" | jq -e '.error.message | test("message")'
	run -0 api /api/v1/chat -d '{"message":7}'
	[ "$(status_of "$output")" = 400 ]
	run -0 api /api/v1/chat -d '{"message":"x","model":"no-slash"}'
	[ "$(status_of "$output")" = 400 ]
	run -0 api /api/v1/chat -d '{"message":"x","session":""}'
	[ "$(status_of "$output")" = 400 ]
	run -0 api /api/v1/chat -d '{"message":"read this","attachments":["/etc/passwd"]}'
	[ "$(status_of "$output")" = 200 ]
	! grep -q 'root:' "$FAKE_DIR/log"
	[ "$(wc -l < "$FAKE_DIR/log")" = 1 ]
}

# --- OpenAI-compatible ---

@test "POST /v1/chat/completions answers in OpenAI's shape (curl)" {
	start
	run -0 api /v1/chat/completions -d '{"model":"claw","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"yo"}]}'
	[ "$(status_of "$output")" = 200 ]
	body_of "$output" | jq -e '.object == "chat.completion" and (.id | startswith("chatcmpl-"))
	    and .model == "generic/test-model"
	    and .choices[0].message.role == "assistant" and .choices[0].message.content == "echo: yo"
	    and .choices[0].finish_reason == "stop"
	    and .usage.total_tokens == .usage.prompt_tokens + .usage.completion_tokens'
	tail -n1 "$FAKE_DIR/log" | jq -e '.body.messages[0] == {"role":"system","content":"be brief"}'
}

@test "/v1/chat/completions and /v1/responses carry the provider's cached tokens" {
	start
	local sys req
	sys="Gateway cache test $$. $(printf 'Rule %d: answer exactly. ' $(seq 300))"
	req=$(jq -cn --arg s "$sys" '{"model":"claw","messages":[{"role":"system","content":$s},
	    {"role":"user","content":"yo"}]}')
	run -0 api /v1/chat/completions -d "$req"
	body_of "$output" | jq -e '.usage.prompt_tokens_details.cached_tokens == 0'
	run -0 api /v1/chat/completions -d "$req"
	body_of "$output" | jq -e '.usage.prompt_tokens_details.cached_tokens >= 1024
	    and .usage.prompt_tokens_details.cached_tokens < .usage.prompt_tokens'
	run -0 api /v1/responses -d "$(jq -cn --arg s "$sys" '{"model":"claw","instructions":$s,
	    "input":"yo"}')"
	body_of "$output" | jq -e '.usage.input_tokens_details.cached_tokens >= 1024'
	run -0 api /v1/chat/completions -d "$(jq -c '. + {"stream":true,
	    "stream_options":{"include_usage":true}}' <<<"$req")"
	grep '^data: {' <<<"$output" | sed 's/^data: //' | jq -e -s \
	    '.[-1].usage.prompt_tokens_details.cached_tokens >= 1024'
}

@test "stream: true gives chat.completion.chunk SSE ending with data: [DONE] (curl)" {
	start
	run -0 curl -sS -N -H "Authorization: Bearer $TOKEN" "http://$ADDR/v1/chat/completions" \
	    -d '{"model":"generic/test-model","stream":true,"messages":[{"role":"user","content":"a b c"}]}'
	[ "$(grep -c '^data: ' <<<"$output")" -ge 5 ]
	[ "$(grep '^data: ' <<<"$output" | tail -n1)" = "data: [DONE]" ]
	grep '^data: {' <<<"$output" | sed 's/^data: //' > "$BATS_TEST_TMPDIR/ch"
	jq -e -s 'all(.object == "chat.completion.chunk" and .model == "generic/test-model")
	    and .[0].choices[0].delta.role == "assistant"
	    and ([.[].choices[0].delta.content // ""] | add) == "echo: a b c"
	    and .[-1].choices[0].finish_reason == "stop"
	    and (map(.id) | unique | length) == 1' "$BATS_TEST_TMPDIR/ch"
}

@test "the official openai npm client talks to /v1 (plain and streaming)" {
	[ -d "$CLAW_SRC/tests/npm/node_modules/openai" ] || skip "npm packages not installed (make deps)"
	start
	export OPENAI_API_KEY=$(claw-gateway token --scope chat)
	run -0 node "$CLAW_SRC/tests/npm/openai-chat.js" "http://$ADDR/v1" "hello client"
	assert_line --index 0 "echo: hello client"
	assert_line --index 1 "finish stop"
	assert_line --index 2 --regexp '^usage [0-9]+ [0-9]+$'
	run -0 node "$CLAW_SRC/tests/npm/openai-chat.js" "http://$ADDR/v1" "hello stream" stream
	assert_line --index 0 "echo: hello stream"
	assert_line --index 1 "finish stop"
	assert_line --index 2 --regexp '^usage [0-9]+ [0-9]+$'
	OPENAI_API_KEY=wrong run -1 node "$CLAW_SRC/tests/npm/openai-chat.js" "http://$ADDR/v1" "x"
	assert_output --partial "401"
}

@test "completions refuses bodies without messages" {
	start
	run -0 api /v1/chat/completions -d '{"model":"claw"}'
	[ "$(status_of "$output")" = 400 ]
	body_of "$output" | jq -e '.error.type == "bad_request" and (.error.message | test("messages"))'
	run -0 api /v1/chat/completions -d '{"messages":[]}'
	[ "$(status_of "$output")" = 400 ]
}

# --- skills ---

@test "POST /api/v1/skills/NAME/run runs the skill and answers its result" {
	start
	run -0 api /api/v1/skills/calc/run -d '{"expr":"6*7"}'
	[ "$(status_of "$output")" = 200 ]
	body_of "$output" | jq -e '.skill == "calc" and .result == "42" and (.events | map(.type) | index("result") != null)'
}

@test "skill runs: unknown 404, bad names 404 (upper case too), bad args 400, refused args 400" {
	start
	run -0 api /api/v1/skills/nope/run -d '{}'
	[ "$(status_of "$output")" = 404 ]
	run -0 api /api/v1/skills/..%2fetc/run -d '{}'
	[ "$(status_of "$output")" = 404 ]
	# One skill-name rule everywhere: no skill is named in upper case.
	run -0 api /api/v1/skills/Calc/run -d '{"expr":"6*7"}'
	[ "$(status_of "$output")" = 404 ]
	body_of "$output" | jq -e '.error.type == "not_found"'
	run -0 api /api/v1/skills/calc/run -d '{"expr":'
	[ "$(status_of "$output")" = 400 ]
	# The skill refused its arguments (exit 65): the client's to fix.
	run -0 api /api/v1/skills/calc/run -d '{"expr":"1/"}'
	[ "$(status_of "$output")" = 400 ]
	body_of "$output" | jq -e '.error.type == "bad_request"'
	run -0 api /api/v1/skills/calc/run -X GET
	[ "$(status_of "$output")" = 405 ]
}

# --- processes ---

@test "a client that hangs up mid-stream: claw-chat is stopped and every child reaped" {
	start
	script '{"text":"w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17 w18 w19 w20","token_delay_ms":150}'
	run curl -sS -N --max-time 0.6 -H "Authorization: Bearer $TOKEN" "http://$ADDR/api/v1/chat" \
	    -d '{"message":"x","stream":true,"session":"cut"}'
	assert_output --partial '"type":"delta"'
	local kids=""
	for _ in $(seq 60); do
		kids=$(descendants "$GWPID")
		[ -z "$kids" ] && break
		sleep 0.1
	done
	[ -z "$kids" ]
	! grep -q ' Z ' <(ps -o stat= --ppid "$GWPID")
	# claw-chat kept what had arrived, marked incomplete.
	[ "$(db "select m.incomplete from messages m join sessions s on m.session = s.id where s.name='cut' and m.role='assistant'")" = 1 ]
	run -0 curl -sS "http://$ADDR/healthz"
}

@test "concurrent chats each get their answer while /healthz stays quick" {
	start
	local i
	for i in 1 2 3 4 5 6; do
		script '{"token_delay_ms":60}'
	done
	for i in 1 2 3 4 5 6; do
		api /api/v1/chat -d "{\"message\":\"m$i\",\"session\":\"c$i\"}" > "$BATS_TEST_TMPDIR/out$i" &
	done
	run -0 curl -sS --max-time 1 "http://$ADDR/healthz"
	wait
	for i in 1 2 3 4 5 6; do
		[ "$(tail -n1 "$BATS_TEST_TMPDIR/out$i")" = 200 ]
		sed '$d' "$BATS_TEST_TMPDIR/out$i" | jq -e --arg w "echo: m$i" --arg s "c$i" '.reply == $w and .session == $s'
	done
}

@test "over gateway.max_children a chat is refused with 503 and Retry-After" {
	claw config set gateway.max_children=1
	start
	script '{"text":"slow slow slow slow","token_delay_ms":300}'
	curl -sS -N -H "Authorization: Bearer $TOKEN" "http://$ADDR/api/v1/chat" -d '{"message":"a","stream":true}' \
	    > "$BATS_TEST_TMPDIR/first" &
	for _ in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/first" ] && break; sleep 0.05; done
	run -0 curl -sS -i -H "Authorization: Bearer $TOKEN" "http://$ADDR/api/v1/chat" -d '{"message":"b"}'
	assert_line --partial "HTTP/1.1 503"
	assert_line --partial "Retry-After: 1"
	wait
	# Once the first child has exited (valgrind makes that slow), there is room again.
	for _ in $(seq 50); do
		run -0 api /api/v1/chat -d '{"message":"c"}'
		[ "$(status_of "$output")" = 503 ] || break
		sleep 0.1
	done
	[ "$(status_of "$output")" = 200 ]
}

@test "inetd mode runs a chat in the process itself and records it" {
	local body='{"message":"via inetd"}'
	run -0 bash -c "printf 'POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s' \
	    \"\$(claw-gateway token)\" ${#body} '$body' | claw-gateway"
	assert_line --index 0 --partial "HTTP/1.1 200 OK"
	assert_line --partial "Connection: close"
	tail -n1 <<<"$output" | jq -e '.reply == "echo: via inetd"'
	db "select detail from events where program='claw-gateway'" | jq -e -s 'map(.route) == ["/api/v1/chat"] and .[0].status == 200'
}

@test "start mode records chats and light routes alike, flushed by stop" {
	start
	api /healthz > /dev/null
	api /api/v1/chat -d '{"message":"x"}' > /dev/null
	api /nowhere > /dev/null
	claw-gateway stop
	db "select detail from events where program='claw-gateway' and kind='request' order by id" | jq -e -s '
	    (map(.route) | sort) == ["-","/api/v1/chat"] and (map(.status) | sort) == [200,404]
	    and all(.peer == "127.0.0.1")'
	# /healthz is counted: one row a minute, and on stop.
	db "select detail from events where program='claw-gateway' and kind='requests'" | jq -e -s '
	    length == 1 and .[0].route == "/healthz" and .[0].count == 1'
	! grep -qF "$TOKEN" "$CLAW_HOME/claw.db"
}

@test "inetd: a request that never opens the store spools its row; the next gateway with the store open moves it into events" {
	local i
	for i in 1 2 3; do
		printf 'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n' | TCPREMOTEIP=10.1.2.3 claw-gateway > /dev/null
	done
	# /healthz is not recorded at all under inetd.
	printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' | claw-gateway > /dev/null
	[ "$(wc -l < "$CLAW_HOME/run/telemetry.spool")" = 3 ]
	[ "$(file_mode "$CLAW_HOME/run/telemetry.spool")" = 600 ]
	[ "$(db "select count(*) from events where program='claw-gateway'")" = 0 ]
	printf 'GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n' "$(claw-gateway token)" | claw-gateway > /dev/null
	[ ! -s "$CLAW_HOME/run/telemetry.spool" ]
	db "select detail from events where program='claw-gateway' order by id" | jq -e -s '
	    map(.route) == ["-","-","-","/v1/models"] and (.[0:3] | all(.peer == "10.1.2.3"))'
}

@test "a spool with a torn line loses only that line" {
	mkdir -p "$CLAW_HOME/run"
	printf '1 2 1 claw-gateway request {"method":"GET","route":"/healthz","status":200,"peer":"-"}\n1 2 1 claw-gateway request {"meth\n' > "$CLAW_HOME/run/telemetry.spool"
	printf 'GET /api/v1/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n' "$(claw-gateway token --scope admin)" | claw-gateway > /dev/null
	[ "$(db "select count(*) from events where program='claw-gateway'")" = 2 ]
}

@test "SIGHUP reloads the keys and the secret: a rotated secret takes effect without a restart" {
	start
	local old=$TOKEN
	run -0 api /api/v1/status
	[ "$(status_of "$output")" = 200 ]
	claw config set gateway.jwt_secret=rotated-secret-987654321
	kill -HUP "$GWPID"
	sleep 0.2
	run -0 api /api/v1/status
	[ "$(status_of "$output")" = 401 ]
	TOKEN=$(claw-gateway token --scope admin)
	[ "$TOKEN" != "$old" ]
	run -0 api /api/v1/status
	[ "$(status_of "$output")" = 200 ]
	run -0 claw-gateway status
}

@test "a chat's telemetry row reaches the store within seconds while the server runs" {
	start
	api /api/v1/chat -d '{"message":"x"}' > /dev/null
	for _ in $(seq 40); do
		[ "$(db "select count(*) from events where program='claw-gateway' and detail->>'route' = '/api/v1/chat'")" = 1 ] && break
		sleep 0.1
	done
	[ "$(db "select count(*) from events where program='claw-gateway' and detail->>'route' = '/api/v1/chat'")" = 1 ]
}

@test "out of descriptors, start stops accepting for a moment instead of spinning, and recovers" {
	run -0 bash -c 'ulimit -n 40 && exec claw-gateway start --listen 127.0.0.1:0'
	[[ $output =~ listening\ on\ (127\.0\.0\.1:[0-9]+)\ \(pid\ ([0-9]+)\) ]]
	ADDR=${BASH_REMATCH[1]}
	GWPID=${BASH_REMATCH[2]}
	python3 -c 'import socket, sys, time
h, p = sys.argv[1].rsplit(":", 1)
s = [socket.create_connection((h, int(p))) for _ in range(60)]
time.sleep(2.5)' "$ADDR" &
	sleep 0.5
	local t0 t1
	t0=$(awk '{print $14+$15}' "/proc/$GWPID/stat")
	sleep 1
	t1=$(awk '{print $14+$15}' "/proc/$GWPID/stat")
	[ "$((t1 - t0))" -le 20 ]              # clock ticks: a spinning loop would take ~100
	wait
	run -0 curl -sS --max-time 5 "http://$ADDR/healthz"
	assert_output '{"ok":true}'
}

@test "a gateway killed with SIGKILL leaves a stale pidfile that status sees through and start reuses" {
	start
	kill -9 "$GWPID"
	for _ in $(seq 40); do
		claw-gateway status >/dev/null || break
		sleep 0.05
	done
	run -1 claw-gateway status
	assert_output "not running"
	[ -e "$CLAW_HOME/run/gateway.pid" ]
	start
	run -0 curl -sS "http://$ADDR/healthz"
}

@test "a head dribbled a byte at a time gets no more than gateway.head_timeout from the accept" {
	CLAW_GATEWAY_HEAD_TIMEOUT=1 start
	run -0 python3 -c 'import socket, sys, time
h, p = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((h, int(p)))
t0 = time.monotonic()
s.settimeout(0.3)
got = b""
for c in b"GET /healthz HTTP/1.1\r\nHost: x\r\n":
    try:
        s.send(bytes([c]))
    except OSError:
        break
    try:
        d = s.recv(4096)
        if not d:
            break
        got += d
    except socket.timeout:
        pass
    except OSError:         # a reset after the 408: the answer is already in got
        break
print(got.split(b"\r\n")[0].decode(), "in time" if time.monotonic() - t0 < 2.5 else "late")' "$ADDR"
	assert_output "HTTP/1.1 408 Request Timeout in time"
}

@test "a malformed gateway limit in the environment means its default, not zero" {
	local body
	body=$(printf '{"message":"%s"}' "$(head -c 2000 /dev/zero | tr '\0' x)")
	run -0 bash -c "printf 'POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s' ${#body} '$body' \
	    | CLAW_GATEWAY_MAX_BODY=junk claw-gateway"
	assert_line --index 0 --partial "HTTP/1.1 401"
	run -0 bash -c "printf 'POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s' ${#body} '$body' \
	    | CLAW_GATEWAY_MAX_BODY=1000 claw-gateway"
	assert_line --index 0 --partial "HTTP/1.1 413"
}

@test "without claw-chat beside it or on PATH, a chat is a 503 that names what is missing" {
	mkdir -p "$BATS_TEST_TMPDIR/alone"
	cp "$CLAW_BIN/claw-gateway" "$BATS_TEST_TMPDIR/alone/"
	local body='{"message":"x"}' t
	t=$(claw-gateway token)
	run -0 bash -c "printf 'POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s' \
	    '$t' ${#body} '$body' | PATH=/usr/bin:/bin '$BATS_TEST_TMPDIR/alone/claw-gateway'"
	assert_line --index 0 --partial "HTTP/1.1 503"
	tail -n1 <<<"$output" | jq -e '.error.type == "unavailable" and (.error.message | test("claw-chat is not installed"))'
}

# --- OpenAI's newer clients: roles, parts, images, answers, mistakes, Responses ---

sse_data() { grep '^data: {' <<<"$1" | sed 's/^data: //'; }
need_npm() {
	[ -d "$CLAW_SRC/tests/npm/node_modules/$1" ] || skip "npm packages not installed (make deps)"
}

# A 1x1 png, as clients send one.
PNG=iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==

# --- roles, parts, images ---

@test "the developer role reaches the model as system (completions and responses)" {
	start
	run -0 api /v1/chat/completions -d '{"messages":[{"role":"developer","content":"be terse"},{"role":"user","content":"hi"}]}'
	[ "$(status_of "$output")" = 200 ]
	tail -n1 "$FAKE_DIR/log" | jq -e '.body.messages[0] == {"role":"system","content":"be terse"}
	    and (.body.messages | map(select(.role == "user").content) | index("be terse") == null)'
	run -0 api /v1/responses -d '{"input":[{"role":"developer","content":"be kind"},{"role":"user","content":"hi"}]}'
	[ "$(status_of "$output")" = 200 ]
	tail -n1 "$FAKE_DIR/log" | jq -e '.body.messages[0] == {"role":"system","content":"be kind"}'
}

@test "text parts are joined with a newline, as the man page says" {
	start
	run -0 api /v1/chat/completions -d '{"messages":[{"role":"user","content":[{"type":"text","text":"one"},{"type":"text","text":"two"}]}]}'
	[ "$(status_of "$output")" = 200 ]
	body_of "$output" | jq -e '.choices[0].message.content == "echo: one\ntwo"'
	grep -q 'joined with a newline' "$CLAW_SRC/man/claw-gateway.1"
}

@test "a data: image reaches the model as an image; other images are 400s that say why" {
	start
	run -0 api /v1/chat/completions -d '{"messages":[{"role":"user","content":[{"type":"text","text":"what is it"},{"type":"image_url","image_url":{"url":"data:image/png;base64,'"$PNG"'"}}]}]}'
	[ "$(status_of "$output")" = 200 ]
	tail -n1 "$FAKE_DIR/log" | jq -e --arg png "$PNG" '.body.messages[-1].content
	    | (map(select(.type == "image_url").image_url.url) == ["data:image/png;base64," + $png])
	    and (map(select(.type == "text").text) == ["what is it"])'
	: > "$FAKE_DIR/log"
	run -0 api /v1/chat/completions -d '{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]}'
	[ "$(status_of "$output")" = 400 ]
	body_of "$output" | jq -e '.error.message | test("messages\\[0\\].content\\[0\\]: image not passed on: only data: URLs")'
	run -0 api /v1/chat/completions -d '{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/svg+xml;base64,PHN2Zy8+"}}]}]}'
	[ "$(status_of "$output")" = 400 ]
	body_of "$output" | jq -e '.error.message | test("png, jpeg, gif or webp")'
	run -0 api /v1/chat/completions -d '{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]}]}'
	[ "$(status_of "$output")" = 400 ]
	body_of "$output" | jq -e '.error.message | test("input_audio part is not passed on")'
	# Bytes that are no image, and a picture over claw-chat's cap: claw-chat says so.
	run -0 api /v1/chat/completions -d '{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,!!!!"}}]}]}'
	[ "$(status_of "$output")" = 400 ]
	body_of "$output" | jq -e '.error.message | test("not base64")'
	claw config set gateway.max_body=8000000
	claw-gateway stop
	start
	head -c 5300000 /dev/zero | sed 's/^/\x89PNG\r\n\x1a\n/' | base64 -w0 > "$BATS_TEST_TMPDIR/big"
	printf '{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,%s"}}]}]}' \
	    "$(cat "$BATS_TEST_TMPDIR/big")" > "$BATS_TEST_TMPDIR/body"
	run -0 api /v1/chat/completions --data-binary @"$BATS_TEST_TMPDIR/body"
	[ "$(status_of "$output")" = 413 ]
	body_of "$output" | jq -e '.error.message | test("request too large: a turn is at most 4194304 bytes")'
	[ ! -s "$FAKE_DIR/log" ]
}

@test "claw-chat --requests takes data: URLs as attachments, classified by their bytes" {
	start
	run -0 claw-chat --requests <<<'{"prompt":"look","attachments":["data:image/png;base64,'"$PNG"'"]}'
	tail -n1 "$FAKE_DIR/log" | jq -e '.body.messages[-1].content | map(.type) | sort == ["image_url","text"]'
	# Text in a data: URL is text, whatever it calls itself.
	run -0 claw-chat --requests <<<'{"prompt":"read","attachments":["data:image/png;base64,'"$(printf 'plain words' | base64)"'"]}'
	tail -n1 "$FAKE_DIR/log" | jq -e '.body.messages[-1].content | test("plain words")'
	run -65 claw-chat --requests <<<'{"prompt":"x","attachments":["data:image/png;base64,@@@"]}'
	assert_output --partial "data: URL: not base64"
	run -65 claw-chat --requests <<<'{"prompt":"x","attachments":["data:image/png,raw"]}'
	assert_output --partial "want data:TYPE;base64,DATA"
}

@test "an image in the Responses API's input_image reaches the model" {
	start
	run -0 api /v1/responses -d '{"input":[{"role":"user","content":[{"type":"input_text","text":"see"},{"type":"input_image","image_url":"data:image/png;base64,'"$PNG"'"}]}]}'
	[ "$(status_of "$output")" = 200 ]
	tail -n1 "$FAKE_DIR/log" | jq -e '.body.messages[-1].content | map(.type) | sort == ["image_url","text"]'
	run -0 api /v1/responses -d '{"input":[{"role":"user","content":[{"type":"input_image","file_id":"file-123"}]}]}'
	[ "$(status_of "$output")" = 400 ]
	body_of "$output" | jq -e '.error.message | test("no file_id")'
}

# --- the answer ---

@test "when tools ran, streamed and whole answers are the same: every round's text, a blank line between" {
	start
	local calls='[{"id":"c1","name":"calc","arguments":"{\"expr\":\"2+2\"}"}]'
	script '{"text":"Let me work it out.","tool_calls":'"$calls"'}' '{"text":"It is 4."}'
	run -0 api /v1/chat/completions -d '{"messages":[{"role":"user","content":"2+2?"}]}'
	[ "$(status_of "$output")" = 200 ]
	body_of "$output" | jq -e '.choices[0].message.content == "Let me work it out.\n\nIt is 4."'
	script '{"text":"Let me work it out.","tool_calls":'"$calls"'}' '{"text":"It is 4."}'
	run -0 api /v1/chat/completions -N -d '{"stream":true,"messages":[{"role":"user","content":"2+2?"}]}'
	sse_data "$output" | jq -e -s '[.[].choices[0].delta.content // ""] | add == "Let me work it out.\n\nIt is 4."'
	script '{"text":"Let me work it out.","tool_calls":'"$calls"'}' '{"text":"It is 4."}'
	run -0 api /api/v1/chat -d '{"message":"2+2?"}'
	body_of "$output" | jq -e '.reply == "Let me work it out.\n\nIt is 4."'
	script '{"text":"Let me work it out.","tool_calls":'"$calls"'}' '{"text":"It is 4."}'
	run -0 api /api/v1/chat -N -d '{"message":"2+2?","stream":true}'
	sse_data "$output" | jq -e -s '([.[] | select(.type == "delta").text] | add) == "Let me work it out.\n\nIt is 4."
	    and (map(select(.type == "message"))[0].text == "Let me work it out.\n\nIt is 4.")'
	script '{"text":"Let me work it out.","tool_calls":'"$calls"'}' '{"text":"It is 4."}'
	run -0 api /v1/responses -N -d '{"stream":true,"input":"2+2?"}'
	sse_data "$output" | jq -e -s '([.[] | select(.type == "response.output_text.delta").delta] | add) == "Let me work it out.\n\nIt is 4."
	    and (map(select(.type == "response.completed"))[0].response.output[0].content[0].text == "Let me work it out.\n\nIt is 4.")'
}

@test "the answer names the model that answered, streamed or not" {
	start
	claw config set model=generic/missing,generic/test-model
	script '{"status":404}'
	run -0 api /v1/chat/completions -d '{"messages":[{"role":"user","content":"hi"}]}'
	body_of "$output" | jq -e '.model == "generic/test-model"'
	script '{"status":404}'
	run -0 api /v1/chat/completions -N -d '{"stream":true,"messages":[{"role":"user","content":"hi"}]}'
	sse_data "$output" | jq -e -s '.[-1].model == "generic/test-model"'
	run -0 api /v1/chat/completions -d '{"model":"claw","messages":[{"role":"user","content":"hi"}]}'
	body_of "$output" | jq -e '.model == "generic/missing"'
}

# --- client mistakes ---

@test "a model the client names that is not there is a 404 with nothing of the server in it" {
	start
	run -0 api /v1/chat/completions -d '{"model":"nosuch/x","messages":[{"role":"user","content":"hi"}]}'
	[ "$(status_of "$output")" = 404 ]
	body_of "$output" | jq -e '.error.type == "not_found" and .error.message == "no such model: nosuch/x"'
	script '{"status":404}'
	run -0 api /v1/chat/completions -d '{"model":"generic/gone","messages":[{"role":"user","content":"hi"}]}'
	[ "$(status_of "$output")" = 404 ]
	body_of "$output" | jq -e '.error.message == "no such model: generic/gone"'
	refute_output --partial "127.0.0.1"
	refute_output --partial "claw config"
	# The owner finds the details in the gateway's log.
	grep -q 'generic/gone: not found at http://127.0.0.1' "$CLAW_HOME/log/gateway.log"
	run -0 api /api/v1/chat -d '{"message":"x","model":"nosuch/x"}'
	[ "$(status_of "$output")" = 404 ]
	run -0 api /v1/responses -d '{"input":"x","model":"nosuch/x"}'
	[ "$(status_of "$output")" = 404 ]
}

@test "a provider the gateway cannot reach is its owner's problem: 503, the details in its log only" {
	start
	claw config set providers.generic.base_url=http://127.0.0.1:1/v1
	run -0 api /v1/chat/completions -d '{"messages":[{"role":"user","content":"hi"}]}'
	[ "$(status_of "$output")" = 503 ]
	refute_output --partial "127.0.0.1"
	refute_output --partial "claw config"
	grep -q 'cannot reach http://127.0.0.1:1/v1' "$CLAW_HOME/log/gateway.log"
}

@test "an unknown skill is 404 no such skill: NAME" {
	start
	run -0 api /api/v1/skills/nope/run -d '{}'
	[ "$(status_of "$output")" = 404 ]
	body_of "$output" | jq -e '.error.message == "no such skill: nope"'
}

# --- the Responses API ---

@test "POST /v1/responses answers a response object (curl)" {
	start
	run -0 api /v1/responses -d '{"model":"generic/test-model","instructions":"be brief","input":"hello"}'
	[ "$(status_of "$output")" = 200 ]
	body_of "$output" | jq -e '.object == "response" and (.id | test("^resp_[0-9a-f]{32}$")) and .status == "completed"
	    and .model == "generic/test-model" and (.created_at | type) == "number"
	    and (.output | length) == 1 and .output[0].type == "message" and .output[0].role == "assistant"
	    and .output[0].status == "completed" and (.output[0].id | startswith("msg_"))
	    and .output[0].content == [{"type":"output_text","annotations":[],"text":"echo: hello"}]
	    and .usage.total_tokens == .usage.input_tokens + .usage.output_tokens and .usage.input_tokens > 0'
	tail -n1 "$FAKE_DIR/log" | jq -e '.body.messages == [{"role":"system","content":"be brief"},{"role":"user","content":"hello"}]'
}

@test "POST /v1/responses with stream sends OpenAI's event sequence" {
	start
	run -0 curl -sS -N -i -H "Authorization: Bearer $TOKEN" "http://$ADDR/v1/responses" \
	    -d '{"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"a b c"}]}],"stream":true}'
	assert_line --partial "Content-Type: text/event-stream"
	# Each event is named, and its data says the same type.
	paste -d' ' <(grep '^event: ' <<<"$output" | cut -d' ' -f2) <(sse_data "$output" | jq -r .type) |
	    awk '$1 != $2 { exit 1 }'
	sse_data "$output" > "$BATS_TEST_TMPDIR/ev"
	jq -e -s 'map(.type) | (.[0:4] == ["response.created","response.in_progress","response.output_item.added","response.content_part.added"])
	    and (.[-4:] == ["response.output_text.done","response.content_part.done","response.output_item.done","response.completed"])
	    and (.[4:-4] | length > 0 and all(. == "response.output_text.delta"))' "$BATS_TEST_TMPDIR/ev"
	jq -e -s '(map(.sequence_number) == [range(length)])
	    and ([.[] | select(.type == "response.output_text.delta").delta] | add) == "echo: a b c"
	    and (.[0].response.status == "in_progress") and (.[-1].response.status == "completed")
	    and (.[-1].response.output[0].content[0].text == "echo: a b c")
	    and ([.[] | .item_id // empty] | unique | length == 1)
	    and (.[0].response.id == .[-1].response.id)' "$BATS_TEST_TMPDIR/ev"
	! grep -q '\[DONE\]' <<<"$output"
}

@test "previous_response_id goes on with that conversation; an unknown one is 404" {
	start
	run -0 api /v1/responses -d '{"input":"my name is Ada"}'
	id=$(body_of "$output" | jq -r .id)
	run -0 api /v1/responses -d '{"input":"what is my name","previous_response_id":"'"$id"'"}'
	[ "$(status_of "$output")" = 200 ]
	tail -n1 "$FAKE_DIR/log" | jq -e '[.body.messages[].content] == ["my name is Ada","echo: my name is Ada","what is my name"]'
	body_of "$output" | jq -e --arg id "$id" '.id != $id and (.id[0:29] == $id[0:29])'
	run -0 api /v1/responses -d '{"input":"x","previous_response_id":"resp_00000000000000000000000000000000"}'
	[ "$(status_of "$output")" = 404 ]
	body_of "$output" | jq -e '.error.message | test("no such response")'
	run -0 api /v1/responses -d '{"input":[{"role":"assistant","content":"hm"}],"previous_response_id":"'"$id"'"}'
	[ "$(status_of "$output")" = 400 ]
}

@test "bad Responses bodies are 400s" {
	start
	run -0 api /v1/responses -d '{}'
	[ "$(status_of "$output")" = 400 ]
	body_of "$output" | jq -e '.error.message | test("input")'
	run -0 api /v1/responses -d '{"input":[{"type":"function_call_output","call_id":"x","output":"1"}]}'
	[ "$(status_of "$output")" = 400 ]
	body_of "$output" | jq -e '.error.message | test("function_call_output item is not passed on")'
	run -0 api /v1/responses -d '{"input":7}'
	[ "$(status_of "$output")" = 400 ]
	run -0 api /v1/responses -d '{"input":"x","instructions":3}'
	[ "$(status_of "$output")" = 400 ]
	run -0 api /v1/responses -X GET
	[ "$(status_of "$output")" = 405 ]
	# Only instructions, or only a system message: nothing for the model to answer.
	run -0 api /v1/responses -d '{"input":[],"instructions":"be brief"}'
	[ "$(status_of "$output")" = 400 ]
	body_of "$output" | jq -e '.error.message == "input: want a user message, not only a system one"'
	run -0 api /v1/chat/completions -d '{"messages":[{"role":"system","content":"x"}]}'
	[ "$(status_of "$output")" = 400 ]
	[ ! -s "$FAKE_DIR/log" ]
}

@test "a provider error before output is an HTTP error; after it, an error event" {
	start
	script '{"status":400,"error_message":"context too long: see https://docs.example/limits"}'
	run -0 api /v1/responses -d '{"input":"x"}'
	[ "$(status_of "$output")" = 400 ]
	body_of "$output" | jq -e '.error.message | test("context too long: see \\[URL\\]$")'
	script '{"text":"a b c d","error_after":2}'
	run -0 api /v1/responses -N -d '{"input":"x","stream":true}'
	sse_data "$output" | jq -e -s '.[-1].type == "error" and (.[-1].message | length > 0)
	    and (.[-1].error.message == .[-1].message)'
}

@test "the official openai npm client's responses.create (plain and streaming)" {
	start
	need_npm openai
	export OPENAI_API_KEY=$TOKEN
	run -0 node "$CLAW_SRC/tests/npm/openai-responses.js" "http://$ADDR/v1" "hello client"
	assert_line --index 0 "echo: hello client"
	assert_line --index 1 --regexp '^usage [0-9]+ [0-9]+$'
	run -0 node "$CLAW_SRC/tests/npm/openai-responses.js" "http://$ADDR/v1" "hello stream" stream
	assert_line --index 0 "echo: hello stream"
	assert_line --index 1 --regexp '^usage [0-9]+ [0-9]+$'
	assert_line --index 2 "completed"
}

@test "the Vercel AI SDK's default openai provider (generateText, streamText)" {
	start
	need_npm @ai-sdk/openai
	export OPENAI_API_KEY=$TOKEN
	run -0 node "$CLAW_SRC/tests/npm/ai-sdk.mjs" "http://$ADDR/v1" "hello sdk"
	assert_line --index 0 "echo: hello sdk"
	assert_line --index 1 "finish stop"
	assert_line --index 2 --regexp '^usage [0-9]+ [0-9]+$'
	run -0 node "$CLAW_SRC/tests/npm/ai-sdk.mjs" "http://$ADDR/v1" "hello sdk stream" stream
	assert_line --index 0 "echo: hello sdk stream"
	assert_line --index 1 "finish stop"
	assert_line --index 2 --regexp '^usage [0-9]+ [0-9]+$'
	# The SDK sent the system prompt as the Responses API's system role.
	grep -q '"be brief"' "$FAKE_DIR/log"
}
