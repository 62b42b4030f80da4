#!/usr/bin/env bats
# pipelines/heartbeat: the pre-check runs first and the model (a fake provider on
# loopback) is called only when it found something.

load helper

HEARTBEAT="$BATS_TEST_DIRNAME/../pipelines/heartbeat"

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
	: > "$FAKE_DIR/log"
	mkdir -p "$BATS_TEST_TMPDIR/noskills"
	export CLAW_SKILLS_PATH="$BATS_TEST_TMPDIR/noskills"
	claw config set "providers.generic.base_url=http://127.0.0.1:$(cat "$FAKE_DIR/port")/v1"
	claw config set model=generic/test-model
}

calls() { grep -c 'chat/completions' "$FAKE_DIR/log" || true; }

@test "ten idle runs make no model call; a changed checklist makes one" {
	echo "- water the plants" > "$CLAW_HOME/HEARTBEAT.md"
	run -0 "$HEARTBEAT"
	[ "$(calls)" = 1 ]                   # a checklist never seen before is news
	: > "$FAKE_DIR/log"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		run -0 "$HEARTBEAT"
		assert_output ""
	done
	[ "$(calls)" = 0 ]
	echo "- call the dentist" >> "$CLAW_HOME/HEARTBEAT.md"
	run -0 "$HEARTBEAT"
	[ "$(calls)" = 1 ]
	assert_output --partial "echo: "
	grep -q 'call the dentist' "$FAKE_DIR/log"
	grep -q 'the checklist changed' "$FAKE_DIR/log"
	run -0 "$HEARTBEAT"
	[ "$(calls)" = 1 ]
}

@test "a new error and a due reminder are news; an old one is not" {
	run -0 "$HEARTBEAT"
	[ "$(calls)" = 0 ]
	sqlite3 "$CLAW_HOME/claw.db" "INSERT INTO events(ts, program, kind, ms, ok, detail)
	    VALUES (1, 'claw-skill', 'run', 5, 0, '{}')"
	run -0 "$HEARTBEAT"
	[ "$(calls)" = 1 ]
	grep -q '1 new errors' "$FAKE_DIR/log"
	run -0 "$HEARTBEAT"
	[ "$(calls)" = 1 ]
	echo "$(date -d '1 minute ago' '+%Y-%m-%d %H:%M') renew the passport" > "$CLAW_HOME/reminders"
	echo "2999-01-01 00:00 far away" >> "$CLAW_HOME/reminders"
	run -0 "$HEARTBEAT"
	[ "$(calls)" = 2 ]
	grep -q 'renew the passport' "$FAKE_DIR/log"
	! grep -q 'far away' "$FAKE_DIR/log"
	run -0 "$HEARTBEAT"
	[ "$(calls)" = 2 ]
}

@test "a failed model call leaves the news for the next run" {
	echo "- check backups" > "$CLAW_HOME/HEARTBEAT.md"
	echo '{"status": 400}' > "$FAKE_DIR/script"
	run "$HEARTBEAT"
	[ "$status" != 0 ]
	run -0 "$HEARTBEAT"
	[ "$(calls)" = 2 ]
}
