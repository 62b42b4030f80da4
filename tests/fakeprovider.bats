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

# --- as strict as the real services: each broken history gets their 400, and no script line ---

@test "OpenAI: a bad tool name, in tools or in a replayed call, is refused as OpenAI refuses it" {
	printf '%s\n' '{"text":"kept for later"}' >"$SCRIPT"
	run openai -w '\n%{http_code}' -d '{"messages":[{"role":"user","content":"q"}],"tools":[{"type":"function","function":{"name":"web.search","parameters":{}}}]}'
	assert_line --index -1 400
	assert_output --partial "\"message\": \"Invalid 'tools[0].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+\$'.\""
	assert_output --partial '"param": "tools[0].function.name"'
	assert_output --partial '"code": "invalid_value"'
	long=$(printf 'a%.0s' $(seq 65))
	run openai -d '{"messages":[{"role":"user","content":"q"}],"tools":[{"type":"function","function":{"name":"'"$long"'"}}]}'
	assert_output --partial "string too long. Expected a string with maximum length 64, but got a string with length 65 instead."
	run openai -d '{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"","tool_calls":[{"id":"c","type":"function","function":{"name":"a b","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"x"}]}'
	assert_output --partial "Invalid 'messages[1].tool_calls[0].function.name'"
	run openai -d '{"messages":[{"role":"user","content":"q"}]}'
	assert_output --partial '"content": "kept for later"'
}

@test "OpenAI: tool_calls without a tool message for each id, and a stray tool message" {
	run openai -w '\n%{http_code}' -d '{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"","tool_calls":[{"id":"call_a","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"call_b","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_a","content":"1"},{"role":"user","content":"next"}]}'
	assert_line --index -1 400
	assert_output --partial "\"message\": \"An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: call_b\""
	assert_output --partial '"param": "messages.[3].role"'
	run openai -d '{"messages":[{"role":"user","content":"q"},{"role":"tool","tool_call_id":"x","content":"1"}]}'
	assert_output --partial "\"message\": \"Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.\""
}

@test "DeepSeek in thinking mode wants reasoning_content back where tools were called" {
	tc='{"role":"assistant","content":"","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}'
	run openai -w '\n%{http_code}' -d '{"model":"deepseek-reasoner","messages":[{"role":"user","content":"q"},'"$tc"',{"role":"tool","tool_call_id":"c","content":"1"}]}'
	assert_line --index -1 400
	assert_line --index 0 '{"error":{"message":"The reasoning_content in the thinking mode must be passed back to the API.","type":"invalid_request_error","param":null,"code":"invalid_request_error"}}'
	with=$(jq -c '. + {reasoning_content: "r"}' <<<"$tc")
	run openai -w '\n%{http_code}' -d '{"model":"deepseek-reasoner","messages":[{"role":"user","content":"q"},'"$with"',{"role":"tool","tool_call_id":"c","content":"1"}]}'
	assert_line --index -1 200
	run openai -w '\n%{http_code}' -d '{"model":"deepseek-chat","messages":[{"role":"user","content":"q"},'"$tc"',{"role":"tool","tool_call_id":"c","content":"1"}]}'
	assert_line --index -1 200
}

@test "reasoning_effort to a model that cannot think: Ollama's and OpenAI's words" {
	run openai -w '\n%{http_code}' -d '{"model":"llama3.2","reasoning_effort":"medium","messages":[{"role":"user","content":"q"}]}'
	assert_line --index 0 '{"error":{"message":"\"llama3.2\" does not support thinking","type":"invalid_request_error","param":null,"code":null}}'
	assert_line --index -1 400
	run openai -d '{"model":"gpt-4o","reasoning_effort":"low","messages":[{"role":"user","content":"q"}]}'
	assert_output --partial "Unsupported parameter: 'reasoning_effort' is not supported with this model."
	run openai -d '{"model":"llama3.2","messages":[{"role":"user","content":"q"}]}'
	assert_output --partial '"content": "echo: q"'
}

@test "Anthropic: bad tool names, tool_use without tool_result, a stray tool_result" {
	run anthropic -w '\n%{http_code}' -d '{"model":"claude-x","max_tokens":10,"messages":[{"role":"user","content":"q"}],"tools":[{"name":"web.search","input_schema":{"type":"object"}}]}'
	assert_line --index 0 --partial '"error":{"type":"invalid_request_error","message":"tools.0.custom.name: String should match pattern '"'^[a-zA-Z0-9_-]{1,64}\$'"'"}'
	assert_line --index -1 400
	run anthropic -d '{"max_tokens":10,"messages":[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{}}]},{"role":"user","content":"next"}]}'
	assert_output --partial '"message":"messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1. Each `tool_use` block must have a corresponding `tool_result` block in the next message."'
	run anthropic -d '{"max_tokens":10,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_9","content":"x"}]}]}'
	assert_output --partial '"message":"messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_9. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."'
}

@test "Anthropic thinking: the final assistant message starts with a signed thinking block" {
	printf '%s\n' '{"reasoning":"hmm","tool_calls":[{"id":"toolu_t","name":"f","arguments":"{}"}]}' '{"redacted":"x"}' >"$SCRIPT"
	th='"thinking":{"type":"enabled","budget_tokens":1024}'
	run anthropic -d '{"max_tokens":2048,'"$th"',"messages":[{"role":"user","content":"q"}]}'
	block=$(jq -c '.content[0]' <<<"$output")
	use='{"type":"tool_use","id":"toolu_t","name":"f","input":{}}'
	result='{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_t","content":"1"}]}'
	run anthropic -d '{"max_tokens":2048,'"$th"',"messages":[{"role":"user","content":"q"},{"role":"assistant","content":['"$use"']},'"$result"']}'
	assert_output --partial '"message":"messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"'
	forged=$(jq -c '.thinking = "edited"' <<<"$block")
	run anthropic -d '{"max_tokens":2048,'"$th"',"messages":[{"role":"user","content":"q"},{"role":"assistant","content":['"$forged,$use"']},'"$result"']}'
	assert_output --partial 'messages.1.content.0: Invalid `signature` in `thinking` block'
	run anthropic -d '{"max_tokens":2048,'"$th"',"messages":[{"role":"user","content":"q"},{"role":"assistant","content":['"$block,$use"']},'"$result"']}'
	assert_output --partial '"type":"redacted_thinking","data":'
	run anthropic -d '{"max_tokens":1024,'"$th"',"messages":[{"role":"user","content":"q"}]}'
	assert_output --partial '`max_tokens` must be greater than `thinking.budget_tokens`'
	run anthropic -d '{"model":"claude-3-haiku-20240307","max_tokens":8192,"messages":[{"role":"user","content":"q"}]}'
	assert_output --partial '"message":"max_tokens: 8192 > 4096, which is the maximum allowed number of output tokens for claude-3-haiku-20240307"'
}

@test "no_done: an OpenAI stream that stops after finish_reason and usage" {
	printf '%s\n' '{"text":"hi","no_done":true}' >"$SCRIPT"
	run openai -d '{"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"q"}]}'
	assert_success
	assert_output --partial '"finish_reason":"stop"'
	assert_line --index -1 --partial '"usage":{"prompt_tokens"'
	refute_output --partial '[DONE]'
}

@test "prompt caching: a long prefix is written, then read, in both formats' usage fields" {
	: >"$SCRIPT"
	local big body
	big="fakeprovider cache $$ $(printf 'line %d of a long system prompt. ' $(seq 200))"
	body=$(jq -cn --arg s "$big" '{"model":"claude-sonnet-4-5","max_tokens":10,
	    "system":[{"type":"text","text":$s,"cache_control":{"type":"ephemeral"}}],
	    "messages":[{"role":"user","content":"q"}]}')
	run -0 anthropic -d "$body"
	jq -e '.usage | .cache_read_input_tokens == 0 and .cache_creation_input_tokens > 1024
	    and .cache_creation.ephemeral_5m_input_tokens == .cache_creation_input_tokens' <<<"$output"
	run -0 anthropic -d "$body"
	jq -e '.usage | .cache_read_input_tokens > 1024 and .cache_creation_input_tokens == 0
	    and .input_tokens < 50' <<<"$output"
	# streamed: message_start says it
	run -0 anthropic -d "$(jq -c '. + {"stream":true}' <<<"$body")"
	grep -m1 '^data: {"type":"message_start"' <<<"$output" | sed 's/^data: //' |
	    jq -e '.message.usage.cache_read_input_tokens > 1024'
	body=$(jq -cn --arg s "$big" '{"model":"gpt-4o","messages":[{"role":"system","content":$s},
	    {"role":"user","content":"q"}]}')
	run -0 openai -d "$body"
	jq -e '.usage.prompt_tokens_details.cached_tokens == 0' <<<"$output"
	run -0 openai -d "$body"
	jq -e '.usage | .prompt_tokens_details.cached_tokens >= 1024
	    and .prompt_tokens_details.cached_tokens % 128 == 0' <<<"$output"
}
