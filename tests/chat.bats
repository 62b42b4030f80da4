#!/usr/bin/env bats
# claw-chat against tests/fakeprovider.py on loopback, both wire formats.

load helper

setup_file() {
	export FAKE_DIR="$BATS_FILE_TMPDIR/fake"
	fakeprovider_start "$FAKE_DIR"
	# One configured home, copied for each test: five config sets per test add up.
	local port kv
	port=$(cat "$FAKE_DIR/port")
	for kv in "providers.generic.base_url=http://127.0.0.1:$port/v1" model=generic/test-model \
	    "providers.anth.base_url=http://127.0.0.1:$port/v1" providers.anth.kind=anthropic \
	    providers.anth.api_key=test-key-123; do
		CLAW_HOME="$FAKE_DIR/home" "$CLAW_BIN/claw" config set "$kv"
	done
}

teardown_file() {
	kill "$(cat "$FAKE_DIR/pid")" 2>/dev/null || true
}

setup() {
	claw_setup
	PORT=$(cat "$FAKE_DIR/port")
	: > "$FAKE_DIR/log"
	: > "$FAKE_DIR/script"
	# The real claw-skill (beside claw-chat) with two built-in skills.
	export CLAW_SKILLS_PATH="$BATS_TEST_DIRNAME/fixtures/chat-skills"
	export FIXTURE_SKILL_LOG="$BATS_TEST_TMPDIR/skill.log"
	cp -a "$FAKE_DIR/home" "$CLAW_HOME"
}

script() { printf '%s\n' "$@" >> "$FAKE_DIR/script"; }
req() { sed -n "${1}p" "$FAKE_DIR/log"; }          # the Nth request as logged
nreq() { wc -l < "$FAKE_DIR/log" | tr -d ' '; }
db() { sqlite3 "$CLAW_HOME/claw.db" "$@"; }

# --- the basics ---

@test "one turn streams the answer as text" {
	run -0 claw-chat hello world
	assert_output "echo: hello world"
	[ "$(req 1 | jq -r '.body.stream')" = true ]
	[ "$(req 1 | jq -r '.path')" = /v1/chat/completions ]
	[ "$(req 1 | jq -r '.body.model')" = test-model ]
}

@test "--json writes delta events then a message with usage" {
	run -0 claw-chat --json -s s1 hi there
	echo "$output" | jq -e -s 'map(.type) | .[0] == "delta" and .[-1] == "message"'
	echo "$output" | jq -e -s '[.[] | select(.type=="delta").text] | add == "echo: hi there"'
	echo "$output" | jq -e -s '.[-1] | .model == "generic/test-model" and .session == "s1" and .usage.in > 0 and .usage.out > 0'
}

@test "--no-stream asks for a whole answer" {
	run -0 claw-chat --no-stream hello
	assert_output "echo: hello"
	[ "$(req 1 | jq -r '.body.stream')" = false ]
}

@test "piped stdin is added to the prompt as context" {
	run -0 sh -c 'printf "line one\nline two\n" | claw-chat summarise'
	req 1 | jq -e '.body.messages[-1].content | startswith("summarise\n\nline one\nline two")'
}

@test "stdin alone is the prompt" {
	run -0 sh -c 'echo "just stdin" | claw-chat'
	assert_output "echo: just stdin"
}

@test "no prompt at all is a usage error" {
	run -64 claw-chat </dev/null
	assert_output --partial "nothing to say"
}

@test "-S sets the system prompt (OpenAI: first message; Anthropic: system)" {
	run -0 claw-chat -S "be brief" hi
	req 1 | jq -e '.body.messages[0] == {"role":"system","content":"be brief"}'
	run -0 claw-chat -m anth/claude-sonnet-4-5 -S "be brief" hi
	req 2 | jq -e '.body.system == "be brief" and .path == "/v1/messages"'
}

@test "anthropic: key in x-api-key, version header, never in the URL, argv or events" {
	run -0 claw-chat --json -m anth/claude-sonnet-4-5 hello
	req 1 | jq -e '.headers["x-api-key"] == "test-key-123" and .headers["anthropic-version"] == "2023-06-01"'
	req 1 | jq -e '.path | contains("test-key") | not'
	refute_output --partial test-key-123
	echo "$output" | jq -e -s '.[-1].text == "echo: hello"'
	! grep -q test-key-123 "$CLAW_HOME/claw.db" "$CLAW_HOME"/claw.db-wal
}

@test "openai: the key from config or the environment goes in the Authorization header" {
	claw config set providers.generic.api_key=sk-from-config
	run -0 claw-chat hi
	[ "$(req 1 | jq -r '.headers.authorization')" = "Bearer sk-from-config" ]
	run -0 env CLAW_PROVIDERS_GENERIC_API_KEY=sk-override claw-chat hi
	[ "$(req 2 | jq -r '.headers.authorization')" = "Bearer sk-override" ]
	# An empty override means no key at all, not an empty one.
	run -0 env CLAW_PROVIDERS_GENERIC_API_KEY= claw-chat hi
	req 3 | jq -e '.headers | has("authorization") | not'
	claw config unset providers.generic.api_key
	run -0 env CLAW_API_KEY=sk-env claw-chat hi
	[ "$(req 4 | jq -r '.headers.authorization')" = "Bearer sk-env" ]
}

# --- streaming robustness ---

@test "SSE split into 3-byte packets with CRLF and comments, UTF-8 cut anywhere" {
	script '{"text":"héllo 日本 🎉 done","split":3,"crlf":true,"comments":true}'
	run -0 claw-chat hi
	assert_output "héllo 日本 🎉 done"
	script '{"text":"héllo 日本 🎉 done","split":1,"crlf":true,"comments":true}'
	run -0 claw-chat -m anth/claude-sonnet-4-5 hi
	assert_output "héllo 日本 🎉 done"
}

@test "an error event after HTTP 200 exits 75 and keeps the partial answer, marked incomplete" {
	script '{"text":"one two three four five","error_after":2}'
	run -75 claw-chat -m anth/claude-sonnet-4-5 -s cut hi
	assert_output --partial "one"
	assert_output --partial "overloaded"
	[ "$(nreq)" = 1 ]      # output was written: no retry
	db "select incomplete from messages where role='assistant'" | grep -qx 1
	run -0 claw-chat --history -s cut
	echo "$output" | jq -e -s '.[0].role == "user" and .[1].incomplete == true'
}

@test "OpenAI error chunk after 200 exits 75" {
	script '{"text":"a b c d","error_after":1}'
	run -75 claw-chat --json hi
	echo "$output" | jq -e -s '.[-1].type == "error" and .[-1].code == 75'
}

@test "a stream cut short exits 75, stores what arrived" {
	script '{"text":"alpha beta gamma delta","cut_after":2}'
	run -75 claw-chat -s cut2 hi
	assert_output --partial "cut short"
	db "select json_extract(body,'\$.text'), incomplete from messages where role='assistant'" | grep -q '|1$'
}

@test "usage-only chunk, reasoning_content from DeepSeek becomes reasoning events" {
	claw config set providers.deepseek.base_url "http://127.0.0.1:$PORT/v1"
	script '{"text":"42","reasoning":"let me think"}'
	run -0 env DEEPSEEK_API_KEY=dk claw-chat --json -m deepseek/deepseek-reasoner q
	echo "$output" | jq -e -s '[.[] | select(.type=="reasoning").text] | add == "let me think"'
	echo "$output" | jq -e -s '.[-1].text == "42" and .[-1].usage.out > 0'
	req 1 | jq -e '.body | has("reasoning_effort") | not'
}

# --- thinking ---

@test "thinking=on maps to reasoning_effort (OpenAI) and a thinking budget (Anthropic)" {
	claw config set thinking=on
	run -0 claw-chat hi
	req 1 | jq -e '.body.reasoning_effort == "medium"'
	script '{"text":"answer","reasoning":"pondering"}'
	run -0 claw-chat -m anth/claude-sonnet-4-5 hi
	req 2 | jq -e '.body.thinking.type == "enabled" and .body.thinking.budget_tokens >= 1024 and .body.max_tokens > .body.thinking.budget_tokens'
	assert_output "answer"          # reasoning hidden in text mode
	run -0 claw-chat --thinking off hi
	req 3 | jq -e '.body | has("reasoning_effort") | not'
}

@test "--show-thinking writes reasoning to stderr in text mode" {
	script '{"text":"answer","reasoning":"pondering"}'
	run -0 --separate-stderr claw-chat -m anth/claude-sonnet-4-5 --show-thinking hi
	assert_output "answer"
	[[ "$stderr" == *pondering* ]]
}

# --- reliability ---

@test "429 with Retry-After is retried, then answers" {
	script '{"status":429,"retry_after":0}' '{"text":"finally"}'
	run -0 claw-chat hi
	assert_output "finally"
	[ "$(nreq)" = 2 ]
}

@test "529 overloaded (Anthropic) is retried" {
	script '{"status":529}' '{"text":"ok now"}'
	run -0 claw-chat -m anth/claude-sonnet-4-5 hi
	assert_output "ok now"
}

@test "5xx past the retries exits 75" {
	script '{"status":503,"retry_after":0}' '{"status":503,"retry_after":0}'
	run -75 claw-chat --retries 1 hi
	[ "$(nreq)" = 2 ]
}

@test "a refused key exits 77 and does not echo the key" {
	claw config set providers.anth.api_key=bad-key
	run -77 claw-chat -m anth/claude-sonnet-4-5 hi
	assert_output --partial "refused the key"
	refute_output --partial "bad-key"
}

@test "no provider reachable exits 69 and says how to get one" {
	claw config set providers.ollama.base_url=http://127.0.0.1:9/v1
	run -69 claw-chat -m ollama/llama3.2 hi
	assert_output --partial "OPENAI_API_KEY"
	assert_output --partial "claw config set model="
	assert_output --partial "Ollama"
	run -69 env -u OPENAI_API_KEY claw-chat -m openai/gpt-4o hi
	assert_output --partial "OPENAI_API_KEY"
}

@test "the user message is stored even when no provider answers" {
	claw config set providers.ollama.base_url=http://127.0.0.1:9/v1
	run -69 claw-chat -m ollama/llama3.2 -s kept "remember me"
	run -0 claw-chat --history -s kept
	echo "$output" | jq -e -s 'length == 1 and .[0].text == "remember me"'
}

@test "a model list falls back in order" {
	claw config set providers.ollama.base_url=http://127.0.0.1:9/v1
	run -0 claw-chat --json -m ollama/llama3.2,generic/second hi
	echo "$output" | jq -e -s '.[-1].model == "generic/second"'
	script '{"status":500}'
	run -0 claw-chat --json --retries 0 -m generic/first,anth/claude-haiku-4-5 hi
	echo "$output" | jq -e -s '.[-1].model == "anth/claude-haiku-4-5"'
}

@test "bad config exits 78" {
	run -78 claw-chat -m nomodel hi
	run -78 claw-chat -m nosuch/x hi
	assert_output --partial "providers.nosuch.base_url"
	claw config set providers.anth.kind=anthropic
	script '{"status":404}'
	run -78 claw-chat -m generic/missing hi
}

@test "an idle stream times out with 75 (idle timeout, not a total one)" {
	script '{"text":"a b","token_delay_ms":3000}'
	run -75 claw-chat --retries 0 --idle-timeout 1 hi
}

@test "a slow but steady stream is not cut by the idle timeout" {
	script '{"text":"a b c d","token_delay_ms":400}'
	run -0 claw-chat --idle-timeout 1 hi
	assert_output "a b c d"
}

# --- sessions and memory ---

@test "-s continues a session; --history and --sessions show it" {
	run -0 claw-chat -s trip "plan a trip"
	run -0 claw-chat -s trip "make it cheaper"
	req 2 | jq -e '[.body.messages[].content] == ["plan a trip","echo: plan a trip","make it cheaper"]'
	run -0 claw-chat --history -s trip
	echo "$output" | jq -e -s 'length == 4 and map(.role) == ["user","assistant","user","assistant"]'
	run -0 claw-chat --sessions
	assert_output --partial "trip	4"
	run -0 claw-chat --sessions --json
	echo "$output" | jq -e -s 'map(select(.name=="trip"))[0] | .messages == 4'
	run -66 claw-chat --history -s nosuch
}

@test "long sessions are compacted: summary + recent tail, full history kept" {
	for i in 1 2 3 4; do
		run -0 claw-chat -s long "turn $i: $(printf 'words %.0s' $(seq 60))"
	done
	claw config set context.max_tokens=300
	claw config set context.keep_recent=60
	script '{"text":"SUMMARY-TEXT"}'
	run -0 claw-chat --json -s long "what did we say?"
	echo "$output" | jq -e -s 'map(select(.type=="summary")) | length == 1'
	last=$(nreq)
	req "$last" | jq -e '.body.messages[0].role == "system" and (.body.messages[0].content | contains("SUMMARY-TEXT"))'
	req "$last" | jq -e '.body.messages | length < 9'
	run -0 claw-chat --history -s long
	echo "$output" | jq -e -s 'length == 10'
	[ "$(db 'select count(*) from summaries')" = 1 ]
}

@test "--compact forces a summary" {
	run -0 claw-chat -s c1 "first"
	run -0 claw-chat -s c1 "second"
	claw config set context.keep_recent=1
	script '{"text":"FORCED-SUMMARY"}'
	run -0 claw-chat --compact -s c1
	assert_output "FORCED-SUMMARY"
	[ "$(db "select text from summaries")" = FORCED-SUMMARY ]
}

# --- tools ---

@test "skills are offered as tools; a tool call runs claw-skill and the result goes back" {
	script '{"tool_calls":[{"id":"call_1","name":"calc","arguments":"{\"expr\":\"6*7\"}"}],"split":5}' '{"text":"It is 42."}'
	run -0 claw-chat --json -s tools "what is 6*7?"
	req 1 | jq -e '[.body.tools[].function.name] == ["calc","translate"]'
	desc=$(claw-skill list --json | jq -r 'select(.name == "calc") | .description')
	req 1 | jq -e --arg d "$desc" '.body.tools[0].function.description == $d'
	req 1 | jq -e '.body.tools[0].function.parameters.required == ["expr"]'
	echo "$output" | jq -e -s 'map(.type) | index("tool_call") < index("tool_result")'
	echo "$output" | jq -e -s '.[] | select(.type=="tool_call") | .name == "calc" and .arguments.expr == "6*7"'
	echo "$output" | jq -e -s '.[] | select(.type=="tool_result") | .text == "42" and .ok'
	echo "$output" | jq -e -s '.[-1].text == "It is 42."'
	req 2 | jq -e '.body.messages[-1] == {"role":"tool","tool_call_id":"call_1","content":"42"}'
	req 2 | jq -e '.body.messages[-2].tool_calls[0].function.arguments == "{\"expr\":\"6*7\"}"'
}

# A claw-chat alone in a directory finds claw-skill on PATH: the test's stand-in.
lone_chat() {
	mkdir -p "$BATS_TEST_TMPDIR/lone"
	cp "$CLAW_BIN/claw-chat" "$BATS_TEST_TMPDIR/lone/"
	echo "$BATS_TEST_TMPDIR/lone/claw-chat"
}

@test "no credential of ours reaches claw-skill" {
	claw config set providers.generic.api_key=sk-config-secret
	chat=$(lone_chat)
	script '{"tool_calls":[{"id":"c1","name":"calc","arguments":"{\"expr\":\"1+1\"}"}]}' '{"text":"2"}'
	PATH="$BATS_TEST_DIRNAME/fixtures/bin:$PATH" run -0 env OPENAI_API_KEY=sk-env JWT_SECRET=j MY_TOKEN=t "$chat" --json hi
	[ -s "$FIXTURE_SKILL_LOG" ]
	[ ! -s "$FIXTURE_SKILL_LOG.env" ]
}

@test "a tool call is stopped at its skill's timeout plus the grace, not at a fixed 120 s" {
	chat=$(lone_chat)
	script '{"tool_calls":[{"id":"n1","name":"nap","arguments":"{}"}]}' '{"text":"woke"}'
	start=$(date +%s)
	PATH="$BATS_TEST_DIRNAME/fixtures/bin:$PATH" run -0 "$chat" --json hi
	elapsed=$(( $(date +%s) - start ))
	# nap declares timeout 1: killed at 1 + 10 s of grace, well before 120 s.
	[ "$elapsed" -ge 10 ] && [ "$elapsed" -lt 60 ]
	echo "$output" | jq -e -s '.[] | select(.type=="tool_result") | (.ok | not) and (.text | test("ran out of time"))'
	echo "$output" | jq -e -s '.[-1].text == "woke"'
}

@test "anthropic tool use: tool_use block in, tool_result block back" {
	script '{"tool_calls":[{"id":"toolu_1","name":"calc","arguments":"{\"expr\":\"2+3\"}"}]}' '{"text":"5"}'
	run -0 claw-chat --json -m anth/claude-sonnet-4-5 "2+3?"
	req 1 | jq -e '.body.tools[0].name == "calc" and .body.tools[0].input_schema.type == "object"'
	req 2 | jq -e '.body.messages[-1].content[0] == {"type":"tool_result","tool_use_id":"toolu_1","content":"5"}'
	req 2 | jq -e '.body.messages[-2].content[-1] | .type == "tool_use" and .input.expr == "2+3"'
}

@test "--chain-limit stops a model that keeps calling tools" {
	script '{"tool_calls":[{"id":"a","name":"calc","arguments":"{\"expr\":\"1\"}"}]}' \
	       '{"tool_calls":[{"id":"b","name":"calc","arguments":"{\"expr\":\"2\"}"}]}'
	run -70 claw-chat --chain-limit 1 hi
	assert_output --partial "chain-limit"
}

@test "--no-tools offers none; a missing claw-skill offers none" {
	run -0 claw-chat --no-tools hi
	req 1 | jq -e '.body | has("tools") | not'
	chat=$(lone_chat)
	PATH=/usr/bin:/bin run -0 "$chat" hi
	req 2 | jq -e '.body | has("tools") | not'
}

# --- attachments ---

@test "-a image: base64 parts in each provider's format" {
	printf '\x89PNG\r\n\x1a\nfakepngdata' > "$BATS_TEST_TMPDIR/p.png"
	run -0 claw-chat -a "$BATS_TEST_TMPDIR/p.png" "what is this?"
	b64=$(base64 -w0 < "$BATS_TEST_TMPDIR/p.png")
	req 1 | jq -e --arg u "data:image/png;base64,$b64" '.body.messages[-1].content[1].image_url.url == $u'
	run -0 claw-chat -m anth/claude-sonnet-4-5 -a "$BATS_TEST_TMPDIR/p.png" "and this?"
	req 2 | jq -e --arg d "$b64" '.body.messages[-1].content[0].source == {"type":"base64","media_type":"image/png","data":$d}'
}

@test "-a text file is inlined with its name; bad attachments fail clearly" {
	printf 'alpha\nbeta\n' > "$BATS_TEST_TMPDIR/notes.txt"
	run -0 claw-chat -a "$BATS_TEST_TMPDIR/notes.txt" summarise
	req 1 | jq -e '.body.messages[-1].content | contains("--- notes.txt ---\nalpha\nbeta\n")'
	run -66 claw-chat -a "$BATS_TEST_TMPDIR/none.txt" hi
	head -c 600000 /dev/zero | tr '\0' a > "$BATS_TEST_TMPDIR/big.txt"
	run -65 claw-chat -a "$BATS_TEST_TMPDIR/big.txt" hi
	assert_output --partial "cap"
	printf '\x00\x01\x02binary' > "$BATS_TEST_TMPDIR/x.bin"
	run -65 claw-chat -a "$BATS_TEST_TMPDIR/x.bin" hi
	[ "$(nreq)" = 1 ]
}

# --- --requests ---

@test "--requests -P: events tagged by id; a malformed line gets its own error" {
	printf '%s\n' '{"id":1,"prompt":"one"}' 'not json' '{"id":"b","prompt":"two","session":"rq"}' \
	    '[1,2]' '{"id":3,"messages":[{"role":"system","content":"sys"},{"role":"user","content":"three"}]}' \
	    > "$BATS_TEST_TMPDIR/in"
	run -65 claw-chat --requests -P 3 < "$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -e -s '[.[] | select(.type=="error")] | map(.line) == [2,4]'
	echo "$output" | jq -e -s '[.[] | select(.type=="message")] | map({(.id|tostring): .text}) | add == {"1":"echo: one","b":"echo: two","3":"echo: three"}'
	[ "$(nreq)" = 3 ]
	jq -e -s 'map(select(.body.messages[0].content == "sys")) | length == 1' "$FAKE_DIR/log"
}

@test "--requests: invalid UTF-8 and over-long lines are errors, the stream goes on" {
	{ printf '{"id":1,"prompt":"\xff\xfe"}\n'; printf '{"id":2,"prompt":"fine"}\n'; } > "$BATS_TEST_TMPDIR/in"
	run -65 claw-chat --requests < "$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -e -s '.[0] | .type == "error" and .line == 1 and (.message | test("UTF-8"))'
	echo "$output" | jq -e -s '.[-1] | .type == "message" and .id == 2'
}

# --- cache and telemetry ---

@test "--cache answers an identical request with no network call" {
	run -0 claw-chat --cache --no-tools "same question"
	run -0 claw-chat --json --cache --no-tools "same question"
	[ "$(nreq)" = 1 ]
	echo "$output" | jq -e -s '.[-1] | .cached == true and .text == "echo: same question"'
	[ "$(db "select group_concat(ok) from events where kind='cache' order by id")" = "0,1" ]
}

@test "every turn writes a telemetry event" {
	run -0 claw-chat hi
	db "select detail from events where program='claw-chat' and kind='turn'" |
	    jq -e '.model == "generic/test-model" and .ttft_ms >= 0 and .tokens_in > 0 and .tokens_out > 0 and .code == 0'
	[ "$(db "select ok from events where kind='turn'")" = 1 ]
}

@test "usage and version: help alone is the usage, -- help is a prompt" {
	run -0 claw-chat --version
	assert_output "claw-chat 0.1.0"
	run -0 claw-chat version
	assert_output "claw-chat 0.1.0"
	for h in --help -h help; do
		run -0 --separate-stderr claw-chat $h
		[[ $output == "usage: claw-chat"* ]] && [ -z "$stderr" ]
	done
	[ "$(nreq)" = 0 ]
	run -0 claw-chat -- help
	assert_output "echo: help"
	run -0 claw-chat help me
	assert_output "echo: help me"
	run -64 --separate-stderr claw-chat --bogus
	[ -z "$output" ] && [[ $stderr == *"usage: claw-chat"* ]]
	run -64 --separate-stderr claw-chat --model x hi
	run -64 claw-chat --history
	run -64 claw-chat -P 0 --requests
	run -64 claw-chat --retries 101 hi
	assert_output --partial "--retries: chat.retries: bad value '101'"
}

@test "chat.retries, chat.chain_limit and chat.idle_timeout come from the config; options win" {
	run -0 claw config get chat.retries
	assert_output 3
	claw config set chat.retries=0
	script '{"status":503,"retry_after":0}' '{"text":"late"}'
	run -75 claw-chat hi
	: > "$FAKE_DIR/script"
	script '{"status":503,"retry_after":0}' '{"text":"late"}'
	run -0 claw-chat --retries 1 hi
	assert_output "late"
	claw config set chat.chain_limit=0
	script '{"tool_calls":[{"id":"a","name":"calc","arguments":"{\"expr\":\"1\"}"}]}'
	run -70 claw-chat hi
	assert_output --partial "after 0 rounds"
	CLAW_CHAT_IDLE_TIMEOUT=0 run -78 claw-chat hi
	assert_output --partial "chat.idle_timeout"
}

@test "the usage names every long option the code accepts, and so does the man page" {
	src=$(grep -o '{ "[a-z-]*", [a-z_]*_argument' "$CLAW_SRC/cmd/claw-chat.c" | cut -d'"' -f2 | sort -u)
	[ -n "$src" ]
	usage=$(claw-chat --help)
	synopsis=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$CLAW_SRC/man/claw-chat.1")
	for o in $src; do
		[[ $usage == *"--$o"* ]] || { echo "usage lacks --$o"; return 1; }
		grep -q "Fl -$o\b" <<<"$synopsis" || { echo "SYNOPSIS lacks --$o"; return 1; }
	done
}

# --- transports: plain sockets for http://, libcurl (loaded on demand) otherwise ---

@test "claw-chat does not link libcurl: a local model needs none of its start-up cost" {
	run -0 ldd "$CLAW_BIN/claw-chat"
	refute_output --partial libcurl
}

@test "through a proxy, libcurl carries the same streams, retries and failures" {
	export http_proxy="http://127.0.0.1:$PORT"
	script '{"text":"héllo 日本 🎉","split":2,"crlf":true,"comments":true}'
	run -0 claw-chat hi
	assert_output "héllo 日本 🎉"
	req 1 | jq -e --arg u "http://127.0.0.1:$PORT/v1/chat/completions" '.path == $u'
	script '{"status":429,"retry_after":0}' '{"text":"after"}'
	run -0 claw-chat hi
	assert_output "after"
	script '{"text":"a b c d","cut_after":2}'
	run -75 claw-chat --retries 0 hi
	script '{"text":"a b","token_delay_ms":3000}'
	run -75 claw-chat --retries 0 --idle-timeout 1 hi
	assert_output --partial "idle-timeout"
	claw config set providers.anth.api_key=bad-key
	run -77 claw-chat -m anth/claude-sonnet-4-5 hi
}

@test "SIGTERM mid-answer: what arrived is stored, marked incomplete" {
	script '{"text":"first second third fourth fifth","token_delay_ms":300}'
	claw-chat -s killed hi > "$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	for _ in $(seq 100); do grep -q first "$BATS_TEST_TMPDIR/out" && break; sleep 0.05; done
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 75 ]
	grep -q "interrupted" "$BATS_TEST_TMPDIR/out"
	run -0 claw-chat --history -s killed
	echo "$output" | jq -e -s '.[0].text == "hi" and .[1].incomplete == true and (.[1].text | startswith("first"))'
}
