#!/usr/bin/env bats
# Provider prompt caching: requests whose prefix stays byte for byte from one turn to
# the next, Anthropic's cache_control breakpoints (at most four, only where the API
# takes them), and the cached tokens both formats report, stored with the turn and
# shown by --json, claw status, claw profile and export --prometheus.  Against
# tests/fakeprovider.py, which caches prefixes as the real services do.

load helper

setup_file() {
	fakeprovider_home model=generic/gpt-4.1 \
	    "providers.anth.base_url=@URL@" providers.anth.kind=anthropic \
	    providers.anth.api_key=test-key-123
}

teardown_file() {
	fakeprovider_stop
}

setup() {
	chat_skills_setup
	# A system prompt over every model's minimum (1024 tokens: 4,096 characters),
	# its own in each test: the fake's cache lives as long as the file's fake.
	SYS="You are test $BATS_TEST_NUMBER. $(printf 'Rule %d: answer exactly. ' $(seq 300))"
}

script() { printf '%s\n' "$@" >> "$FAKE_DIR/script"; }
req() { sed -n "${1}p" "$FAKE_DIR/log"; }
db() { sqlite3 "$CLAW_HOME/claw.db" "$@"; }

@test "anthropic: four breakpoints at most, on the last tool, the system, the turn before, the last" {
	run -0 claw-chat --json -m anth/claude-sonnet-4-5 -S "$SYS" -s s1 "first"
	run -0 claw-chat --json -m anth/claude-sonnet-4-5 -S "$SYS" -s s1 "second"
	req 1 | jq -e '[.. | objects | select(has("cache_control"))] | length == 3'
	req 2 | jq -e '[.. | objects | select(has("cache_control"))] | length == 4'
	req 2 | jq -e '.body | (.tools[-1].cache_control == {"type":"ephemeral"})
	    and (.system[-1].cache_control == {"type":"ephemeral"})
	    and (.messages[0].content[-1] | .text == "first" and .cache_control.type == "ephemeral")
	    and (.messages[1].content | map(has("cache_control")) | any | not)
	    and (.messages[2].content[-1] | .text == "second" and has("cache_control"))'
	req 2 | jq -e '.body.tools | map(.name) == (map(.name) | sort)'
}

@test "anthropic: the prefix of turn 2 is turn 1's request, byte for byte" {
	run -0 claw-chat --json -m anth/claude-sonnet-4-5 -S "$SYS" -s s1 "first"
	run -0 claw-chat --json -m anth/claude-sonnet-4-5 -S "$SYS" -s s1 "second"
	for k in model tools system; do
		[ "$(req 1 | jq -c ".body.$k")" = "$(req 2 | jq -c ".body.$k")" ]
	done
	# turn 1's one message stands in turn 2 as it was, its breakpoint and all
	[ "$(req 1 | jq -c '.body.messages[0]')" = "$(req 2 | jq -c '.body.messages[0]')" ]
	# and the bytes the fake read: turn 2's body begins with turn 1's up to its messages
	req 1 | jq -r '.body | del(.messages, .stream) | tojson' > "$BATS_TEST_TMPDIR/a"
	req 2 | jq -r '.body | del(.messages, .stream) | tojson' > "$BATS_TEST_TMPDIR/b"
	cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
}

@test "anthropic: a turn with a tool round replays byte for byte in the next turn" {
	script '{"tool_calls":[{"id":"toolu_1","name":"calc","arguments":"{\"expr\":\"2+3\"}"}]}' \
	    '{"text":"5"}'
	# every skill offered in both turns: with auto the second would add calc (called
	# in the first), and a changed tool list is a new prefix (see the next test)
	run -0 claw-chat --json --tools all -m anth/claude-sonnet-4-5 -S "$SYS" -s s1 "2+3?"
	run -0 claw-chat --json --tools all -m anth/claude-sonnet-4-5 -S "$SYS" -s s1 "and 3+4?"
	# what the last request of turn 1 sent is where turn 2's request begins; only
	# where the breakpoints sit may differ, and they are no part of the prefix
	strip='.body.messages | map(.content |= (if type == "array" then map(del(.cache_control)) else . end))'
	[ "$(req 2 | jq -c "$strip")" = "$(req 3 | jq -c "$strip | .[:3]")" ]
	req 3 | jq -e '.body.messages[2].content[-1] | .type == "tool_result" and has("cache_control")'
	run -0 jq -e -s 'map(select(.type == "message"))[0].usage | .cached > .in / 2' <<<"$output"
}

@test "auto catalog: the skills chosen for a turn follow the ones that stay, past the breakpoint" {
	claw config set tools.always=translate
	run -0 claw-chat --json -m anth/claude-sonnet-4-5 -S "$SYS" "calculate 2+3 for me"
	# translate stays from turn to turn and carries the tools' breakpoint; calc, chosen
	# by this prompt, comes after it, so a turn that chooses otherwise keeps that prefix
	[ "$(req 1 | jq -c '[.body.tools[] | [.name, has("cache_control")]]')" = \
	    '[["translate",true],["calc",false]]' ]
	run -0 jq -e -s 'map(select(.type == "tools"))[0].offered | map(.why) == ["always", "prompt"]' \
	    <<<"$output"
}

@test "anthropic: turn 1 writes the cache, turn 2 reads it; --json and the store say so" {
	run -0 claw-chat --json -m anth/claude-sonnet-4-5 -S "$SYS" -s s1 "first"
	run -0 jq -e -s 'map(select(.type == "message"))[0].usage
	    | .cached == 0 and .cache_write > 1000 and .in > .cache_write' <<<"$output"
	run -0 claw-chat --json -m anth/claude-sonnet-4-5 -S "$SYS" -s s1 "second"
	run -0 jq -e -s 'map(select(.type == "message"))[0].usage
	    | .cached > 1000 and .cached < .in' <<<"$output"
	# stored with the turn: the telemetry row and the hourly sums
	run -0 db "SELECT json_extract(detail, '\$.tokens_cached') > 1000,
	    json_extract(detail, '\$.tokens_cache_write') >= 0 FROM events
	    WHERE kind = 'turn' ORDER BY id DESC LIMIT 1"
	assert_output "1|1"
	run -0 db "SELECT sum(tokens_cached) > 1000 FROM token_hours"
	assert_output 1
	run -0 claw status
	assert_line --regexp '^cached    today [0-9]{4,} of [0-9]+ in \([0-9]+%\); 7 days '
	run -0 claw profile --json
	run -0 jq -e -s 'map(select(.type == "group" and .kind == "turn"))[0].tokens_cached
	    > 1000' <<<"$output"
	run -0 claw-monitor export --prometheus
	assert_line --regexp '^claw_tokens_cached_total\{op="read"\} [0-9]{4,}$'
	assert_line --regexp '^claw_tokens_cached_total\{op="write"\} [0-9]{4,}$'
	printf '%s\n' "$output" | promtool check metrics
}

@test "anthropic --no-stream: the body's usage counts the same" {
	run -0 claw-chat --json --no-stream -m anth/claude-sonnet-4-5 -S "$SYS" -s s1 "first"
	run -0 claw-chat --json --no-stream -m anth/claude-sonnet-4-5 -S "$SYS" -s s1 "second"
	run -0 jq -e -s 'map(select(.type == "message"))[0].usage | .cached > 1000' <<<"$output"
}

@test "anthropic: a prefix under the model's minimum is not cached (haiku 4.5: 4096)" {
	run -0 claw-chat --json -m anth/claude-haiku-4-5 -S "$SYS" -s s1 "first"
	run -0 claw-chat --json -m anth/claude-haiku-4-5 -S "$SYS" -s s1 "second"
	run -0 jq -e -s 'map(select(.type == "message"))[0].usage
	    | .cached == 0 and .cache_write == 0' <<<"$output"
}

@test "anthropic: a tool round reads the turn's own prefix" {
	script '{"tool_calls":[{"id":"toolu_1","name":"calc","arguments":"{\"expr\":\"2+3\"}"}]}' \
	    '{"text":"5"}'
	run -0 claw-chat --json -m anth/claude-sonnet-4-5 -S "$SYS" "2+3?"
	req 2 | jq -e '[.. | objects | select(has("cache_control"))] | length == 4'
	run -0 jq -e -s 'map(select(.type == "message"))[0].usage | .cached > 1000' <<<"$output"
}

@test "fake: more than four breakpoints get Anthropic's 400, and so do misplaced ones" {
	local cc='"cache_control":{"type":"ephemeral"}' b
	post() {
		curl -s -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' -H 'x-api-key: k' \
		    -H 'anthropic-version: 2023-06-01' -H 'content-type: application/json' \
		    --data-binary "$1" "http://127.0.0.1:$PORT/v1/messages"
	}
	b='{"model":"claude-sonnet-4-5","max_tokens":10,"system":[{"type":"text","text":"s",'$cc'}],
	    "messages":[{"role":"user","content":[{"type":"text","text":"a",'$cc'},
	    {"type":"text","text":"b",'$cc'},{"type":"text","text":"c",'$cc'},
	    {"type":"text","text":"d",'$cc'}]}]}'
	run -0 post "$b"
	assert_output 400
	run -0 jq -c 'del(.request_id)' "$BATS_TEST_TMPDIR/out"
	assert_output '{"type":"error","error":{"type":"invalid_request_error","message":"A maximum of 4 blocks with cache_control may be provided. Found 5."}}'
	run -0 post '{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user",
	    "content":[{"type":"text","text":"",'$cc'}]}]}'
	assert_output 400
	run -0 jq -r .error.message "$BATS_TEST_TMPDIR/out"
	assert_output "messages.0.content.0.text: cache_control cannot be set for empty text blocks"
	run -0 post '{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user",
	    "content":"q"},{"role":"assistant","content":[{"type":"thinking","thinking":"t",
	    "signature":"x",'$cc'}]}]}'
	assert_output 400
	run -0 jq -r .error.message "$BATS_TEST_TMPDIR/out"
	assert_output "messages.1.content.0.thinking.cache_control: Extra inputs are not permitted"
	run -0 post '{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user",
	    "content":[{"type":"text","text":"q","cache_control":{"type":"forever"}}]}]}'
	assert_output 400
	run -0 post '{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user",
	    "content":[{"type":"text","text":"q",'$cc'}]}]}'
	assert_output 200
}

@test "openai format: automatic prefix caching, 128-token steps from 1024, streamed or not" {
	run -0 claw-chat --json -S "$SYS" -s s1 "first"
	run -0 jq -e -s 'map(select(.type == "message"))[0].usage.cached == 0' <<<"$output"
	req 1 | jq -e '.body.stream_options.include_usage == true'
	run -0 claw-chat --json -S "$SYS" -s s1 "second"
	run -0 jq -e -s 'map(select(.type == "message"))[0].usage
	    | .cached >= 1024 and .cached % 128 == 0 and .cached < .in and .cache_write == 0' \
	    <<<"$output"
	run -0 claw-chat --json --no-stream -S "$SYS" -s s1 "third"
	run -0 jq -e -s 'map(select(.type == "message"))[0].usage.cached >= 1152' <<<"$output"
	run -0 db "SELECT json_extract(detail, '\$.tokens_cached') >= 1152 FROM events
	    WHERE kind = 'turn' ORDER BY id DESC LIMIT 1"
	assert_output 1
}

@test "a changed system prompt misses: nothing volatile may lead the prefix" {
	run -0 claw-chat --json -S "$SYS" -s s1 "first"
	run -0 claw-chat --json -S "Now: $(date +%s%N). $SYS" -s s1 "second"
	run -0 jq -e -s 'map(select(.type == "message"))[0].usage.cached == 0' <<<"$output"
}

@test "malformed cache counts in usage: no crash, counted as none" {
	script '{"usage":{"cache_read_input_tokens":"many","cache_creation_input_tokens":-7}}' \
	    '{"usage":{"cache_read_input_tokens":1e300,"input_tokens":null}}'
	run -0 claw-chat --json -m anth/claude-sonnet-4-5 "one"
	run -0 jq -e -s 'map(select(.type == "message"))[0].usage | .cached == 0
	    and .cache_write == 0 and .in > 0' <<<"$output"
	run -0 claw-chat --json --no-stream -m anth/claude-sonnet-4-5 "two"
	run -0 jq -e -s 'map(select(.type == "message"))[0].usage.cached == 0' <<<"$output"
	script '{"usage":{"prompt_tokens_details":"none"}}' \
	    '{"usage":{"prompt_tokens_details":{"cached_tokens":99999999}}}' \
	    '{"usage":{"prompt_tokens_details":{"cached_tokens":[1]}}}'
	run -0 claw-chat --json "three"
	run -0 jq -e -s 'map(select(.type == "message"))[0].usage.cached == 0' <<<"$output"
	run -0 claw-chat --json "four"
	run -0 jq -e -s 'map(select(.type == "message"))[0].usage | .cached == .in' <<<"$output"
	run -0 claw-chat --json --no-stream "five"
	run -0 jq -e -s 'map(select(.type == "message"))[0].usage.cached == 0' <<<"$output"
}
