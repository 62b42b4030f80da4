#!/usr/bin/env bats
# The catalog a turn needs (claw-chat tools.mode auto): which skills the first request
# offers, why, the skills tool, the caps; the labelled set of tests/fixtures/catalog-prompts.tsv.

load helper

OPENCLAW=/work/shared/fixtures/openclaw-skills

setup_file() {
	fakeprovider_home model=generic/test-model
}

teardown_file() {
	fakeprovider_stop
}

setup() {
	chat_skills_setup
}

script() { printf '%s\n' "$@" >> "$FAKE_DIR/script"; }
req() { sed -n "${1}p" "$FAKE_DIR/log"; }
names() { req "$1" | jq -c '[.body.tools[]?.function.name]'; }
tools_events() { echo "$output" | jq -c -s '[.[] | select(.type=="tools")]'; }

@test "the labelled set: the needed skill is in the first request for at least 95 % of the prompts" {
	[ -d "$OPENCLAW" ] || skip "no OpenClaw fixtures"
	run -0 python3 "$BATS_TEST_DIRNAME/catalog_eval.py" --bin "$CLAW_BIN"
	echo "$output"                      # the table, shown when the test fails
	[ "$(grep -c '' "$BATS_TEST_DIRNAME/fixtures/catalog-prompts.tsv")" -ge 60 ]
	run -0 python3 "$BATS_TEST_DIRNAME/catalog_eval.py" --bin "$CLAW_BIN" --json
	echo "$output" | jq -e '.need >= 50 and .recall >= 0.95 and .none >= 0.9'
}

@test "hello and thanks offer no skill, only the small skills tool: under 2,000 chars with 51 skills more" {
	[ -d "$OPENCLAW" ] || skip "no OpenClaw fixtures"
	export CLAW_SKILLS_PATH="$BATS_TEST_DIRNAME/../skills:$OPENCLAW"
	for p in hello thanks "thank you!" "good morning" "hi there"; do
		: > "$FAKE_DIR/log"
		run -0 claw-chat --json "$p"
		[ "$(names 1)" = '["skills"]' ]
		echo "$output" | jq -e -s '.[0] | .type == "tools" and .mode == "auto" and .offered == [{"name":"skills","why":"search"}]'
		chars=$(req 1 | jq '[.body.messages[] | select(.role=="system") | .content | length] + [.body.tools | tojson | length] | add')
		[ "$chars" -le 2000 ]
	done
}

@test "a prompt's words bring the skill that serves it, with why and score" {
	run -0 claw-chat --json "please calculate 12 * 34"
	[ "$(names 1)" = '["skills","calc"]' ]
	tools_events | jq -e '.[0].offered[1] | .name == "calc" and .why == "prompt" and .score >= 100'
	tools_events | jq -e '.[0].chars > 0'
}

@test "the skills tool finds a skill, which the next request of the same turn offers" {
	script '{"tool_calls":[{"id":"s1","name":"skills","arguments":"{\"query\":\"arithmetic\"}"}]}' \
	       '{"tool_calls":[{"id":"c1","name":"calc","arguments":"{\"expr\":\"6*7\"}"}]}' '{"text":"42"}'
	run -0 claw-chat --json "hello there"
	[ "$(names 1)" = '["skills"]' ]
	[ "$(names 2)" = '["skills","calc"]' ]
	echo "$output" | jq -e -s '[.[] | select(.type=="tool_result")] | .[0].ok and (.[0].text | test("calc")) and .[1].text == "42"'
	tools_events | jq -e 'length == 2 and (.[1].offered[-1] | .name == "calc" and .why == "searched")'
	# Nothing found: the model is told every skill there is.
	: > "$FAKE_DIR/log"
	script '{"tool_calls":[{"id":"s2","name":"skills","arguments":"{\"query\":\"zzqx\"}"}]}' '{"text":"none"}'
	run -0 claw-chat --json "hello"
	echo "$output" | jq -e -s '.[] | select(.type=="tool_result") | .text | test("calc") and test("translate")'
	[ "$(names 2)" = '["skills"]' ]
}

@test "a skill called earlier in the session is offered again (recent)" {
	script '{"tool_calls":[{"id":"c1","name":"calc","arguments":"{\"expr\":\"2+2\"}"}]}' '{"text":"4"}'
	run -0 claw-chat -s r "calculate 2+2"
	run -0 claw-chat --json -s r "and times three?"
	[ "$(names 3)" = '["skills","calc"]' ]
	tools_events | jq -e '.[0].offered[1] == {"name":"calc","why":"recent"}'
	claw config set tools.recent=0
	run -0 claw-chat -s r "and times four?"
	[ "$(names 4)" = '["skills"]' ]
}

@test "always: tools.always and metadata.openclaw.always, first after the skills tool" {
	claw config set tools.always=translate
	run -0 claw-chat --json hello
	[ "$(names 1)" = '["skills","translate"]' ]
	tools_events | jq -e '.[0].offered[1].why == "always"'
	claw config unset tools.always
	mkdir -p "$BATS_TEST_TMPDIR/s/zeta"
	printf -- '---\nname: zeta\ndescription: Always here.\nmetadata:\n  openclaw:\n    always: true\n---\nbody\n' \
	    > "$BATS_TEST_TMPDIR/s/zeta/SKILL.md"
	CLAW_SKILLS_PATH="$BATS_TEST_TMPDIR/s:$CLAW_SKILLS_PATH" run -0 claw-chat "please calculate 1+1"
	[ "$(names 2)" = '["skills","zeta","calc"]' ]
	CLAW_SKILLS_PATH="$BATS_TEST_TMPDIR/s:$CLAW_SKILLS_PATH" run -0 claw-skill list --json
	echo "$output" | jq -e -s 'map(select(.name=="zeta"))[0].always == true and (map(select(.name=="calc"))[0] | has("always") | not)'
}

@test "tools.max and tools.max_chars cap what is offered" {
	claw config set tools.always=translate
	claw config set tools.max=1
	run -0 claw-chat "calculate 3*3"
	[ "$(names 1)" = '["skills","translate"]' ]
	claw config set tools.max=6
	claw config set tools.max_chars=10
	run -0 claw-chat "calculate 3*3"
	[ "$(names 2)" = '["skills"]' ]
	run -78 claw config set tools.max=lots
}

@test "--tools all offers every eligible skill, none and --no-tools none; tools.mode is the default" {
	run -0 claw-chat --json --tools all hello
	[ "$(names 1)" = '["calc","translate"]' ]
	tools_events | jq -e '.[0].mode == "all" and (.[0].offered | map(.why) | unique == ["all"])'
	run -0 claw-chat --json --tools none "calculate 1+1"
	req 2 | jq -e '.body | has("tools") | not'
	tools_events | jq -e '.[0] == {"type":"tools","mode":"none","offered":[],"chars":0}'
	run -0 claw-chat --no-tools "calculate 1+1"
	req 3 | jq -e '.body | has("tools") | not'
	claw config set tools.mode=all
	run -0 claw-chat hello
	[ "$(names 4)" = '["calc","translate"]' ]
	run -0 claw-chat --tools auto hello
	[ "$(names 5)" = '["skills"]' ]
	run -64 claw-chat --tools some hello
	assert_output --partial "--tools"
	run -78 claw config set tools.mode=some
}

@test "claw-skill list --json --match scores only the eligible skills the text matches" {
	run -0 claw-skill list --json --match "calculate the square root of 81"
	echo "$output" | jq -e -s 'map(select(.score)) | map(.name) == ["calc"]'
	run -0 claw-skill list --json --match "hello"
	echo "$output" | jq -e -s 'map(select(.score)) == []'
	run -64 claw-skill list --match x
	run -64 claw-skill list --json --match
}
