#!/usr/bin/env bats
# claw-chat against tests/fakeprovider.py on loopback, both wire formats.

load helper

setup_file() {
	fakeprovider_home model=generic/test-model \
	    "providers.anth.base_url=@URL@" providers.anth.kind=anthropic \
	    providers.anth.api_key=test-key-123
}

teardown_file() {
	fakeprovider_stop
}

setup() {
	chat_skills_setup
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
	echo "$output" | jq -e -s 'map(.type) | .[0] == "tools" and .[1] == "delta" and .[-1] == "message"'
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
	req 2 | jq -e '.body.system[0].text == "be brief" and .path == "/v1/messages"'
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

@test "--compact forces a summary; a second one says there is nothing new to compact" {
	run -0 claw-chat -s c1 "first"
	run -0 claw-chat -s c1 "second"
	claw config set context.keep_recent=1
	script '{"text":"FORCED-SUMMARY"}'
	run -0 claw-chat --compact -s c1
	assert_output "FORCED-SUMMARY"
	[ "$(db "select text from summaries")" = FORCED-SUMMARY ]
	run -0 --separate-stderr claw-chat --compact -s c1
	[ -z "$output" ]
	[[ $stderr == *"c1: nothing new to compact"* ]]
	run -0 claw-chat --json --compact -s c1
	echo "$output" | jq -e '.type == "notice" and (.text | test("nothing new"))'
	[ "$(db "select count(*) from summaries")" = 1 ]
}

# --- tools ---

@test "skills are offered as tools; a tool call runs claw-skill and the result goes back" {
	script '{"tool_calls":[{"id":"call_1","name":"calc","arguments":"{\"expr\":\"6*7\"}"}],"split":5}' '{"text":"It is 42."}'
	run -0 claw-chat --json --tools all -s tools "what is 6*7?"
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
	PATH="$BATS_TEST_DIRNAME/fixtures/bin:$PATH" run -0 env OPENAI_API_KEY=sk-env JWT_SECRET=j MY_TOKEN=t "$chat" --json --tools all hi
	[ -s "$FIXTURE_SKILL_LOG" ]
	[ ! -s "$FIXTURE_SKILL_LOG.env" ]
}

@test "a tool call is stopped at its skill's timeout plus the grace, not at a fixed 120 s" {
	chat=$(lone_chat)
	script '{"tool_calls":[{"id":"n1","name":"nap","arguments":"{}"}]}' '{"text":"woke"}'
	start=$(date +%s)
	PATH="$BATS_TEST_DIRNAME/fixtures/bin:$PATH" run -0 "$chat" --json --tools all hi
	elapsed=$(( $(date +%s) - start ))
	# nap declares timeout 1: killed at 1 + 10 s of grace, well before 120 s.
	[ "$elapsed" -ge 10 ] && [ "$elapsed" -lt 60 ]
	echo "$output" | jq -e -s '.[] | select(.type=="tool_result") | (.ok | not) and (.text | test("ran out of time"))'
	echo "$output" | jq -e -s '.[-1].text == "woke"'
}

@test "anthropic tool use: tool_use block in, tool_result block back" {
	script '{"tool_calls":[{"id":"toolu_1","name":"calc","arguments":"{\"expr\":\"2+3\"}"}]}' '{"text":"5"}'
	run -0 claw-chat --json --tools all -m anth/claude-sonnet-4-5 "2+3?"
	req 1 | jq -e '.body.tools[0].name == "calc" and .body.tools[0].input_schema.type == "object"'
	req 2 | jq -e '.body.messages[-1].content[0] | del(.cache_control) == {"type":"tool_result","tool_use_id":"toolu_1","content":"5"}'
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

@test "--requests messages: developer is a system message; text parts joined by a newline" {
	run -0 claw-chat --requests <<<'{"messages":[{"role":"developer","content":"be terse"},{"role":"user","content":[{"type":"text","text":"one"},{"type":"text","text":"two"}]}]}'
	tail -n1 "$FAKE_DIR/log" | jq -e '.body.messages[0] == {"role":"system","content":"be terse"}'
	tail -n1 "$FAKE_DIR/log" | jq -e '.body.messages[-1].content == "one\ntwo"'
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

# --- what real providers and real clients do (issue 10), against the strict fake ---

stub_chat() { PATH="$BATS_TEST_DIRNAME/fixtures/bin:$PATH" "$(lone_chat)" "$@"; }

@test "--no-tools: a tool call the provider sends anyway is not run, answered with an error, stored" {
	script '{"tool_calls":[{"id":"c1","name":"calc","arguments":"{\"expr\":\"1+1\"}"}]}' '{"text":"fine"}'
	run -0 stub_chat --json --no-tools -s nt hi
	[ ! -s "$FIXTURE_SKILL_LOG" ]
	req 1 | jq -e '.body | has("tools") | not'
	echo "$output" | jq -e -s '.[] | select(.type=="tool_result") | .refused and (.ok | not) and (.text | test("--no-tools"))'
	req 2 | jq -e '.body.messages[-1] | .role == "tool" and .tool_call_id == "c1" and (.content | test("not run"))'
	run -0 claw-chat --history -s nt
	echo "$output" | jq -e -s 'map(.role) == ["user","assistant","tool","assistant"]'
	[ "$(db "select count(*) from events where kind='tool_refused'")" = 1 ]
}

@test "a tool the model invents, or one not eligible, is never run (both formats)" {
	for m in generic/test-model anth/claude-sonnet-4-5; do
		: > "$FAKE_DIR/log"
		script '{"tool_calls":[{"id":"i1","name":"rm_everything","arguments":"{}"},{"id":"i2","name":"absent","arguments":"{}"},{"id":"i3","name":"calc","arguments":"{\"expr\":\"2*3\"}"}]}' '{"text":"ok"}'
		run -0 stub_chat --json --tools all -m "$m" hi
		echo "$output" | jq -e -s '[.[] | select(.type=="tool_result")] | map(.ok) == [false,false,true]'
		echo "$output" | jq -e -s '[.[] | select(.type=="tool_result" and .refused)] | length == 2'
		[ "$(nreq)" = 2 ]
	done
	[ "$(cut -d' ' -f1 "$FIXTURE_SKILL_LOG" | sort -u)" = calc ]
}

@test "a skill name with a dot is offered under the tool-name pattern and mapped back (both formats)" {
	script '{"tool_calls":[{"id":"d1","name":"webDsearch","arguments":"{}"},{"id":"d2","name":"web-search","arguments":"{}"}]}' '{"text":"done"}'
	run -0 stub_chat --json --tools all -s dots hi
	req 1 | jq -e '[.body.tools[].function.name] | index("webDsearch") and index("web-search")'
	echo "$output" | jq -e -s '[.[] | select(.type=="tool_result")] | map(.name + "=" + .text) == ["web.search=dotted ran","web-search=dashed ran"]'
	req 2 | jq -e '.body.messages[-3].tool_calls | map(.function.name) == ["webDsearch","web-search"]'
	run -0 claw-chat --history -s dots
	echo "$output" | jq -e -s '.[1].tool_calls[0].name == "web.search"'
	script '{"tool_calls":[{"id":"toolu_d","name":"webDsearch","arguments":"{}"}]}' '{"text":"done"}'
	run -0 stub_chat --json --tools all -m anth/claude-sonnet-4-5 -s dots "again"
	req 3 | jq -e '[.body.tools[].name] | index("webDsearch")'
	req 4 | jq -e '.body.messages[-1].content[0].tool_use_id == "toolu_d"'
	grep -qx 'web.search {}' "$FIXTURE_SKILL_LOG"
}

@test "--chain-limit leaves a history every later turn can replay (both formats)" {
	for m in generic/test-model anth/claude-sonnet-4-5; do
		script '{"tool_calls":[{"id":"a1","name":"calc","arguments":"{\"expr\":\"1\"}"}]}' \
		       '{"tool_calls":[{"id":"a2","name":"calc","arguments":"{\"expr\":\"2\"}"}]}'
		run -70 claw-chat -m "$m" --chain-limit 1 -s "cl-$m" hi
		assert_output --partial "chain-limit"
		run -0 claw-chat -m "$m" -s "cl-$m" "and now?"
		assert_output "echo: and now?"
	done
	run -0 claw-chat --history -s cl-generic/test-model
	echo "$output" | jq -e -s 'map(.role) == ["user","assistant","tool","assistant","tool","user","assistant"]'
	echo "$output" | jq -e -s '.[4].text | test("chain-limit")'
}

@test "a stored history with a call that has no result (an older claw's) still replays" {
	run -0 claw-chat -s old hi
	sid=$(db "select id from sessions where name='old'")
	db "insert into messages(session, ts, role, body, tokens, incomplete) values($sid, 1, 'assistant', '{\"text\":\"\",\"tool_calls\":[{\"id\":\"lost\",\"name\":\"calc\",\"arguments\":\"{}\"}]}', 10, 1)"
	db "insert into messages(session, ts, role, body, tokens, incomplete) values($sid, 1, 'tool', '{\"tool_call_id\":\"stray\",\"text\":\"x\"}', 10, 0)"
	run -0 claw-chat -s old "still there?"
	req 2 | jq -e '[.body.messages[] | select(.role=="tool")] == [{"role":"tool","tool_call_id":"lost","content":"error: no result was recorded for this call"}]'
	run -0 claw-chat -m anth/claude-sonnet-4-5 -s old "and here?"
	assert_output "echo: and here?"
}

@test "a stream cut in a tool call stores no unanswered call" {
	script '{"text":"let me see","tool_calls":[{"id":"k1","name":"calc","arguments":"{\"expr\":\"12345\"}"}],"cut_after":4}'
	run -75 claw-chat --retries 0 -s cutcall hi
	db "select json_extract(body, '\$.tool_calls') is null from messages where role='assistant'" | grep -qx 1
	run -0 claw-chat -s cutcall again
}

@test "DeepSeek thinking with a tool call: reasoning_content stored and passed back" {
	claw config set thinking=on
	script '{"reasoning":"I need calc","tool_calls":[{"id":"t1","name":"calc","arguments":"{\"expr\":\"6*7\"}"}]}' \
	       '{"reasoning":"Now I know","text":"42"}' '{"text":"again 42"}'
	run -0 claw-chat --json -m generic/deepseek-chat -s ds "what is 6*7?"
	echo "$output" | jq -e -s '.[-1].text == "42"'
	req 2 | jq -e '.body.messages[-2] | .tool_calls and .reasoning_content == "I need calc"'
	run -0 claw-chat --no-stream -m generic/deepseek-chat -s ds "and again?"
	assert_output "again 42"
	req 3 | jq -e '[.body.messages[] | select(.role=="assistant") | .reasoning_content] == ["I need calc","Now I know"]'
	run -0 claw-chat --history -s ds
	echo "$output" | jq -e -s '[.[] | select(.role=="assistant")][0].reasoning_content == "I need calc"'
}

@test "Anthropic thinking and redacted_thinking blocks go back verbatim, streamed and not" {
	claw config set thinking=on
	for flag in "" --no-stream; do
		: > "$FAKE_DIR/log"
		script '{"redacted":"secret plan","reasoning":"calc it","tool_calls":[{"id":"toolu_r","name":"calc","arguments":"{\"expr\":\"2+2\"}"}]}' '{"reasoning":"done","text":"4"}'
		run -0 claw-chat $flag -m anth/claude-sonnet-4-5 -s "rt$flag" "2+2?"
		assert_output "4"
		req 2 | jq -e '.body.messages[-2].content | map(.type) == ["redacted_thinking","thinking","tool_use"]'
		run -0 claw-chat $flag -m anth/claude-sonnet-4-5 -s "rt$flag" "and 3+3?"
		assert_output "echo: and 3+3?"
	done
}

@test "thinking=on to a model that cannot think: asked again without, remembered" {
	claw config set thinking=on
	run -0 claw-chat -m generic/llama3.2 hi
	assert_output "echo: hi"
	[ "$(nreq)" = 2 ]
	req 1 | jq -e '.body.reasoning_effort == "medium"'
	req 2 | jq -e '.body | has("reasoning_effort") | not'
	run -0 claw-chat -m generic/llama3.2 "hi again"
	[ "$(nreq)" = 3 ]
	req 3 | jq -e '.body | has("reasoning_effort") | not'
	run -0 claw-chat --json -m generic/gpt-4o-mini hi
	[ "$(nreq)" = 5 ]
	run -0 claw-chat -m generic/test-model hi
	req 6 | jq -e '.body.reasoning_effort == "medium"'
}

@test "Anthropic max_tokens: 4096 by default, chat.max_tokens or --max-tokens, a clear refusal" {
	run -0 claw-chat -m anth/claude-3-haiku-20240307 hi
	req 1 | jq -e '.body.max_tokens == 4096'
	run -65 claw-chat -m anth/claude-3-haiku-20240307 --max-tokens 8192 hi
	assert_output --partial "max_tokens: 8192 > 4096"
	assert_output --partial "chat.max_tokens"
	claw config set chat.max_tokens=2000
	run -0 claw-chat -m anth/claude-sonnet-4-5 hi
	req 3 | jq -e '.body.max_tokens == 2000'
	run -0 claw-chat hi
	req 4 | jq -e '.body.max_tokens == 2000'
	claw config unset chat.max_tokens
	run -0 claw-chat hi
	req 5 | jq -e '.body | has("max_tokens") | not'
	run -64 claw-chat --max-tokens lots hi
}

@test "an OpenAI stream that ends after finish_reason without [DONE] is whole" {
	script '{"text":"all of it","no_done":true}'
	run -0 claw-chat -s nodone hi
	assert_output "all of it"
	db "select incomplete from messages where role='assistant'" | grep -qx 0
	script '{"text":"all of it","no_done":true,"usage_chunk":false}'
	run -0 claw-chat hi
	script '{"text":"not all of it","cut_after":2}'
	run -75 claw-chat --retries 0 hi
}

@test "claw-chat | head -1 exits 0 quietly" {
	script '{"text":"one\ntwo\nthree\nfour\nfive\n","token_delay_ms":100}'
	run -0 bash -c 'claw-chat hi 2>"$1/err" | head -1; exit "${PIPESTATUS[0]}"' _ "$BATS_TEST_TMPDIR"
	assert_output "one"
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
	script '{"text":"one two three four five six","token_delay_ms":100}'
	run -0 bash -c 'claw-chat --json hi 2>"$1/err" | head -1; exit "${PIPESTATUS[0]}"' _ "$BATS_TEST_TMPDIR"
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
	# --requests stops asking once nobody reads the answers.
	for i in $(seq 20); do script '{"text":"a b c d e f","token_delay_ms":50}'; done
	run -0 bash -c 'seq 20 | jq -c "{id: ., prompt: \"q\"}" | claw-chat --requests 2>"$1/err" | head -1
	    exit "${PIPESTATUS[2]}"' _ "$BATS_TEST_TMPDIR"
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
	[ "$(nreq)" -le 8 ]   # 2 above, then at most the pool's queue, not all 20
}

@test "--show-thinking ends the reasoning with a newline before the answer" {
	script '{"text":"answer","reasoning":"pondering"}'
	claw-chat -m anth/claude-sonnet-4-5 --show-thinking hi >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = answer ]
	[ "$(od -An -c "$BATS_TEST_TMPDIR/err" | tr -d ' \n')" = 'pondering\n' ]
}

@test "claw-skill's stderr goes into the tool_result event, never onto claw-chat's stderr" {
	script '{"tool_calls":[{"id":"f1","name":"fails","arguments":"{}"}]}' '{"text":"it failed"}'
	run -0 --separate-stderr stub_chat --json --tools all hi
	[ -z "$stderr" ]
	echo "$output" | jq -e -s '.[] | select(.type=="tool_result") | (.ok | not) and (.stderr | test("exited with status 65")) and (.text | test("bad input"))'
}
