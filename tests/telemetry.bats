#!/usr/bin/env bats
# Telemetry for every program: a skill run, a chat turn and a gateway request each
# leave their row in `events` (ts, program, kind, ms, ok, detail), written through
# store/telemetry, and no row ever holds a secret or a prompt's text.

load helper

setup_file() {
	export FAKE_DIR="$BATS_FILE_TMPDIR/fake"
	fakeprovider_start "$FAKE_DIR"
}

teardown_file() {
	kill "$(cat "$FAKE_DIR/pid")" 2>/dev/null || true
}

setup() {
	claw_setup
	: > "$FAKE_DIR/script"
	export CLAW_SKILLS_PATH="$BATS_TEST_DIRNAME/../skills"
	claw config set "providers.generic.base_url=http://127.0.0.1:$(cat "$FAKE_DIR/port")/v1"
	claw config set model=generic/test-model
	claw config set providers.generic.api_key=sk-secret-never-logged
	claw config set gateway.jwt_secret=test-secret-0123456789
}

db() { sqlite3 "$CLAW_HOME/claw.db" "$@"; }

@test "a skill run leaves a claw-skill run row: skill, exit, ok and ms" {
	run -0 claw-skill run calc expr='6*7'
	run -0 db "select ok, ms >= 0, json_extract(detail, '$.skill'), json_extract(detail, '$.exit')
	    from events where program = 'claw-skill' and kind = 'run'"
	assert_output "1|1|calc|0"
}

@test "a failed skill run is a row with ok 0 and its exit status" {
	run -65 claw-skill run calc expr='1/0'
	run -0 db "select ok, json_extract(detail, '$.exit') from events where program = 'claw-skill'"
	assert_output "0|65"
}

@test "a chat turn leaves a claw-chat turn row without the prompt or the key" {
	run -0 claw-chat --no-tools "the secret prompt words"
	run -0 db "select count(*) from events where program = 'claw-chat' and kind = 'turn' and ok = 1
	    and ms >= 0"
	assert_output 1
	run -0 db "select detail from events"
	refute_output --partial "secret prompt words"
	refute_output --partial "sk-secret-never-logged"
}

@test "a gateway request leaves a claw-gateway request row without the token" {
	local token
	token=$(claw-gateway token)
	printf 'GET /v1/models?k=%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n' \
	    "$token" "$token" | TCPREMOTEIP=127.0.0.9 claw-gateway > /dev/null
	run -0 db "select json_extract(detail, '$.route'), json_extract(detail, '$.status'),
	    json_extract(detail, '$.peer') from events where program = 'claw-gateway' and kind = 'request'"
	assert_output "/v1/models|200|127.0.0.9"
	run -0 db "select group_concat(detail) from events"
	refute_output --partial "$token"
	refute_output --partial "k="
}

@test "all three programs write the same table, each row dated now" {
	claw-skill run calc expr=1 > /dev/null
	claw-chat --no-tools hi > /dev/null
	printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' | claw-gateway > /dev/null
	claw-gateway token > /dev/null      # opens the store: folds in the /healthz spool
	printf 'GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n' \
	    "$(claw-gateway token)" | claw-gateway > /dev/null
	run -0 db "select group_concat(distinct program) from (select program from events order by program)"
	assert_output "claw-chat,claw-gateway,claw-skill"
	run -0 db "select count(*) from events where abs(ts - strftime('%s','now') * 1000) > 60000"
	assert_output 0
}
