#!/usr/bin/env bats
# The fake model provider itself, checked with curl: the wire formats claw-chat's tests rely on.

if [ -f "$BATS_TEST_DIRNAME/helper.bash" ]; then
	load helper
else
	bats_load_library bats-support
	bats_load_library bats-assert
fi

setup_file() {
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true   # one server, one script
	local d=$BATS_FILE_TMPDIR i
	python3 "$BATS_TEST_DIRNAME/fakeprovider.py" --port-file "$d/port" --log "$d/log" \
	    --script "$d/script" >"$d/stderr" 2>&1 3>&- &
	echo $! >"$d/pid"
	for i in $(seq 100); do [ -s "$d/port" ] && break; sleep 0.05; done
	export FAKE="http://127.0.0.1:$(cat "$d/port")" SCRIPT="$d/script" LOG="$d/log"
}

teardown_file() {
	kill "$(cat "$BATS_FILE_TMPDIR/pid")"
}

openai() {
	curl -sS -N "$FAKE/v1/chat/completions" -H 'Authorization: Bearer sk-test' \
	    -H 'Content-Type: application/json' "$@"
}

anthropic() {
	curl -sS -N "$FAKE/v1/messages" -H 'x-api-key: sk-ant-test' -H 'anthropic-version: 2023-06-01' \
	    -H 'Content-Type: application/json' "$@"
}

@test "an OpenAI stream echoes the last user message in deltas and ends with [DONE]" {
	: >"$SCRIPT"
	run openai -d '{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"say hi"}]}'
	assert_success
	assert_line --index 0 --partial '"delta":{"role":"assistant","content":"","refusal":null}'
	assert_output --partial '"delta":{"content":"echo: "}'
	assert_output --partial '"delta":{"content":"hi"}'
	assert_output --partial '"finish_reason":"stop"'
	assert_line --index -1 'data: [DONE]'
}

@test "include_usage adds the usage chunk with empty choices before [DONE]" {
	run openai -d '{"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"abcd"}]}'
	assert_success
	assert_line --index -2 --regexp '^data: \{.*"choices":\[\],"usage":\{"prompt_tokens":[0-9]+,"completion_tokens":2,'
}

@test "an Anthropic stream runs from message_start to message_stop, and a base URL prefix works" {
	run curl -sS -N "$FAKE/proxy/v1/messages" -H 'x-api-key: k' -H 'anthropic-version: 2023-06-01' \
	    -d '{"model":"claude-x","stream":true,"messages":[{"role":"user","content":[{"type":"text","text":"yo"}]}]}'
	assert_success
	assert_line --index 0 'event: message_start'
	assert_output --partial '"delta":{"type":"text_delta","text":"yo"}'
	assert_output --partial '"delta":{"stop_reason":"end_turn","stop_sequence":null}'
	assert_line --index -2 'event: message_stop'
	assert_line --index -1 'data: {"type":"message_stop"}'
}

@test "a script line is used once, in order; then the default echo" {
	printf '%s\n' '{"status":429,"retry_after":"2"}' '{"text":"scripted"}' >"$SCRIPT"
	run openai -i -d '{"messages":[{"role":"user","content":"q"}]}'
	assert_line --index 0 --regexp '^HTTP/1.1 429 '
	assert_line --regexp '^Retry-After: 2'
	assert_output --partial '"code": "rate_limit_exceeded"'
	run openai -d '{"messages":[{"role":"user","content":"q"}]}'
	assert_output --partial '"content": "scripted"'
	run openai -d '{"messages":[{"role":"user","content":"q"}]}'
	assert_output --partial '"content": "echo: q"'
}

@test "bad keys get each format's 401" {
	run curl -sS -w '%{http_code}' "$FAKE/v1/chat/completions" -H 'Authorization: Bearer bad-key' -d '{}'
	assert_output --partial '"code": "invalid_api_key"'
	assert_output --regexp '401$'
	run curl -sS -w '%{http_code}' "$FAKE/v1/messages" -H 'anthropic-version: 2023-06-01' -d '{}'
	assert_output --partial '{"type":"error","error":{"type":"authentication_error",'
	assert_output --regexp '401$'
}

@test "tool calls stream as argument fragments; cut_after drops the connection" {
	printf '%s\n' '{"tool_calls":[{"id":"toolu_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"}]}' \
	    '{"text":"a b c d","cut_after":2}' >"$SCRIPT"
	run anthropic -d '{"stream":true,"messages":[{"role":"user","content":"w"}]}'
	assert_output --partial '"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}'
	assert_output --partial '"delta":{"type":"input_json_delta","partial_json":""}'
	assert_output --partial '"stop_reason":"tool_use"'
	run openai -d '{"stream":true,"messages":[{"role":"user","content":"w"}]}'
	assert_failure 18
	refute_output --partial '[DONE]'
}

@test "split sends 5-byte chunks; crlf and comments change the framing only" {
	printf '%s\n' '{"text":"caf\u00e9 \u65e5\u672c","split":5,"crlf":true,"comments":true}' \
	    '{"text":"caf\u00e9 \u65e5\u672c","split":5,"crlf":true,"comments":true}' >"$SCRIPT"
	run anthropic --raw -d '{"stream":true,"messages":[{"role":"user","content":"w"}]}'
	assert_success
	[ "$(grep -c $'^5\r$' <<<"$output")" -gt 20 ]
	run anthropic -d '{"stream":true,"messages":[{"role":"user","content":"w"}]}'
	assert_line --index 0 $': keep-alive\r'
	assert_line --index 1 $'event: message_start\r'
	assert_output --partial '"delta":{"type":"text_delta","text":"café "}'
	assert_output --partial '"delta":{"type":"text_delta","text":"日本"}'
	assert_line --index -2 $'data: {"type":"message_stop"}\r'
}

@test "the log has each request's method, path, lowercased headers and body" {
	: >"$SCRIPT"
	openai -d '{"model":"logged","messages":[{"role":"user","content":"x"}]}' >/dev/null
	run jq -c 'select(.body.model == "logged") | [.method, .path, .headers.authorization, .body.messages[0].content]' "$LOG"
	assert_output '["POST","/v1/chat/completions","Bearer sk-test","x"]'
}
