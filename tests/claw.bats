#!/usr/bin/env bats
# claw(1): the front door and `claw config`, as the man page's examples use them.

load helper

version() {
	sed -n 's/^VERSION *= *//p' "$BATS_TEST_DIRNAME/../Makefile"
}

# A store with a few values in it, checkpointed so that claw.db itself holds them.
populated_store() {
	claw config set model=generic/deepseek-chat
	claw config set thinking=on
	claw config set skills.weather.units=metric
	claw config set providers.openai.api_key=sk-populated-0000
	sqlite3 "$CLAW_HOME/claw.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
}

# ---- the front door ----

@test "claw --version prints the version" {
	run --separate-stderr claw --version
	assert_success
	assert_output "claw $(version)"
	assert_equal "$stderr" ""
}

@test "with neither CLAW_HOME nor HOME set, the home is the passwd entry's (claw is linked static)" {
	[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null || skip "needs root and setpriv"
	# nobody's passwd home is /nonexistent: the lookup is seen in the error, and
	# nothing is made anywhere real
	run -73 setpriv --reuid=65534 --regid=65534 --clear-groups \
		env -i PATH=/usr/bin:/bin "$CLAW_BIN/claw" config get model
	assert_output 'claw: /nonexistent/.claw: Permission denied'
}

@test "claw help lists the commands on stdout and exits 0" {
	run --separate-stderr claw help
	assert_success
	assert_line --index 0 --partial "usage: claw COMMAND"
	assert_line "commands:"
	local c
	for c in chat skill evolve node cluster gateway monitor status profile doctor config help; do
		assert_line --regexp "^  $c  +[a-z]"
	done
	assert_equal "$stderr" ""
}

@test "claw --help and claw -h say the same as claw help" {
	run claw help
	local help=$output
	run claw --help
	assert_success
	assert_output "$help"
	run claw -h
	assert_success
	assert_output "$help"
}

@test "claw alone prints the usage and commands on stderr and exits 64" {
	run claw help
	local help=$output
	run --separate-stderr claw
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "$help"
}

@test "claw with an unknown command exits 64 and lists the commands" {
	run --separate-stderr claw frobnicate --now
	assert_failure 64
	assert_output ""
	assert_equal "${stderr_lines[0]}" "claw: 'frobnicate' is not a claw command"
	assert_equal "${stderr_lines[1]}" "usage: claw COMMAND [ARG...]"
	[[ $stderr == *"commands:"* ]]
	[[ $stderr == *"  chat "* ]]
}

@test "claw with an unknown option or a path exits 64" {
	run --separate-stderr claw --frobnicate
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "claw: --frobnicate: unknown option"
	assert_equal "${stderr_lines[1]}" "usage: claw COMMAND [ARG...]"
	run --separate-stderr claw ../x
	assert_failure 64
}

@test "claw status is served by claw itself: no claw-monitor needed, the same report" {
	local alone
	alone=$(claw_alone)
	run -0 claw config set model=openai/gpt-4o-mini
	PATH=/usr/bin:/bin run -0 --separate-stderr "$alone" status
	assert_equal "$stderr" ""
	assert_line --index 0 "claw $(version)  home $CLAW_HOME"
	assert_line --partial "model     openai/gpt-4o-mini"
	PATH=/usr/bin:/bin run -0 "$alone" status --json
	local mine=$output
	run -0 claw-monitor status --json
	# the same object but for what moves between two runs (the store's WAL size)
	assert_equal "$(jq -c 'del(.store.wal_bytes)' <<<"$mine")" "$(jq -c 'del(.store.wal_bytes)' <<<"$output")"
	PATH=/usr/bin:/bin run -0 "$alone" status --help
	assert_output "usage: claw status [--json]"
	PATH=/usr/bin:/bin run -0 "$alone" help status
	assert_output "usage: claw status [--json]"
	PATH=/usr/bin:/bin run --separate-stderr -64 "$alone" status --frobnicate
	assert_equal "${stderr_lines[0]}" "claw: status: unknown argument '--frobnicate'"
	assert_equal "${stderr_lines[1]}" "usage: claw status [--json]"
}

@test "claw SUB for a listed program that is missing: one line, not installed, exit 69" {
	[ ! -e /usr/local/libexec/claw/claw-evolve ] || skip "claw-evolve is installed system-wide"
	local alone
	alone=$(claw_alone)
	PATH=/usr/bin:/bin run --separate-stderr "$alone" evolve --once
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "claw: evolve: not installed (claw-evolve)"
	PATH=/usr/bin:/bin run --separate-stderr "$alone" cluster balance
	assert_failure 69
	assert_equal "$stderr" "claw: cluster: not installed (claw-node)"
}

@test "claw help SUB shows SUB's usage for every command claw help lists, or says not installed" {
	run claw help
	local c cmds=()
	for c in "${lines[@]}"; do
		[[ $c =~ ^\ \ ([a-z]+)\ \  ]] && cmds+=("${BASH_REMATCH[1]}")
	done
	[ "${#cmds[@]}" -ge 12 ]
	# Only the programs that are built: claw-evolve and friends stay missing.
	PATH=$BATS_TEST_TMPDIR/bin:/usr/bin:/bin
	for c in "${cmds[@]}"; do
		run --separate-stderr claw help "$c"
		case $status in
		0)
			[[ ${lines[0]} == "usage: "* ]] || fail "claw help $c: ${lines[0]}"
			assert_equal "$stderr" "" ;;
		69)
			assert_output ""
			[[ $stderr =~ ^claw:\ $c:\ not\ installed\ \(claw-[a-z]+\)$ ]] ||
				fail "claw help $c: $stderr" ;;
		*) fail "claw help $c exits $status: $stderr" ;;
		esac
		[[ $stderr != *"No such file"* ]] || fail "claw help $c: $stderr"
	done
}

@test "claw help chat, skill and gateway show their programs' usage; help config and help help ours" {
	local p
	for p in chat skill gateway; do
		run -0 --separate-stderr claw help "$p"
		assert_line --index 0 --partial "usage: claw-$p"
	done
	run -0 --separate-stderr claw help config
	assert_output "usage: claw config set KEY=VALUE | set KEY VALUE | set KEY [-] | get [--reveal] KEY | unset KEY | list [--json]"
	run -0 claw config --help
	assert_output "usage: claw config set KEY=VALUE | set KEY VALUE | set KEY [-] | get [--reveal] KEY | unset KEY | list [--json]"
	run -0 claw config help
	assert_line --index 0 --partial "usage: claw config"
	run claw help
	local help=$output
	run -0 claw help help
	assert_output "$help"
}

@test "claw help evolve, node and profile when they are missing: not installed, exit 69" {
	[ ! -e /usr/local/libexec/claw/claw-evolve ] || skip "claw-evolve is installed system-wide"
	local alone
	alone=$(claw_alone)
	PATH=/usr/bin:/bin run --separate-stderr "$alone" help evolve
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "claw: evolve: not installed (claw-evolve)"
	PATH=/usr/bin:/bin run --separate-stderr "$alone" help node
	assert_failure 69
	assert_equal "$stderr" "claw: node: not installed (claw-node)"
	PATH=/usr/bin:/bin run --separate-stderr "$alone" help profile
	assert_failure 69
	assert_equal "$stderr" "claw: profile: not installed (claw-monitor)"
}

@test "claw version and claw --version; claw help profile runs claw-monitor profile --help" {
	run -0 claw version
	assert_output "claw $(version)"
	local alone real=$BATS_TEST_TMPDIR/alone/real
	alone=$(claw_alone)
	printf '#!/bin/sh\necho "claw-monitor $*"\n' >"$real/claw-monitor"
	chmod +x "$real/claw-monitor"
	run -0 "$alone" help profile
	assert_output "claw-monitor profile --help"
	run -0 "$alone" help monitor
	assert_output "claw-monitor --help"
}

@test "claw foo runs claw-foo from PATH with the arguments, git-style" {
	claw_stub claw-foo 'echo "claw-foo got $# args"; for a; do echo "[$a]"; done; exit 3'
	run --separate-stderr claw foo one "two words" ""
	assert_failure 3
	assert_output - <<-'EOF'
		claw-foo got 3 args
		[one]
		[two words]
		[]
	EOF
}

@test "claw SUB finds claw-SUB beside itself before PATH" {
	local alone
	alone=$(claw_alone)
	claw_stub claw-foo 'echo from PATH'
	printf '#!/bin/sh\necho beside\n' >"$BATS_TEST_TMPDIR/alone/real/claw-foo"
	chmod +x "$BATS_TEST_TMPDIR/alone/real/claw-foo"
	run "$alone" foo
	assert_success
	assert_output "beside"
}

@test "claw profile, doctor go to claw-monitor; cluster to claw-node; status stays" {
	local alone real=$BATS_TEST_TMPDIR/alone/real
	alone=$(claw_alone)
	printf '#!/bin/sh\necho "claw-monitor $*"\n' >"$real/claw-monitor"
	printf '#!/bin/sh\necho "claw-node $*"\n' >"$real/claw-node"
	chmod +x "$real/claw-monitor" "$real/claw-node"
	run -0 "$alone" status --json
	[[ $output == '{"type":"status",'* ]] || fail "claw status ran claw-monitor: $output"
	run "$alone" monitor -n 2
	assert_output "claw-monitor -n 2"
	run "$alone" doctor
	assert_output "claw-monitor doctor"
	run "$alone" profile chat
	assert_output "claw-monitor profile chat"
	run "$alone" cluster balance --strategy=round-robin
	assert_output "claw-node cluster balance --strategy=round-robin"
}

@test "claw help foo shows claw-foo --help; claw help nosuch exits 64" {
	claw_stub claw-foo 'echo "help for foo: $*"'
	run claw help foo
	assert_success
	assert_output "help for foo: --help"
	run --separate-stderr claw help nosuch
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "claw: 'nosuch' is not a claw command"
	assert_equal "${stderr_lines[1]}" "usage: claw COMMAND [ARG...]"
	run --separate-stderr claw help ../x
	assert_failure 64
}

@test "claw --version | head -c0 exits quietly" {
	run --separate-stderr bash -c 'claw --version | head -c0; echo "${PIPESTATUS[0]}"'
	assert_equal "$stderr" ""
	# 0 when the line fit in the pipe before head left, 141 when SIGPIPE came first.
	assert_output --regexp '^(0|141)$'
}

@test "writing into a pipe nobody reads is quiet, with SIGPIPE ignored or not" {
	# The reader closes its end and only then lets claw write: a closed pipe every time.
	mkfifo "$BATS_TEST_TMPDIR/go"
	local pipeline='{ read -r _ <"$BATS_TEST_TMPDIR/go"; claw config list; echo "status $?" >&2; } |
		{ exec 0<&-; echo go >"$BATS_TEST_TMPDIR/go"; }'
	run --separate-stderr bash -c "trap '' PIPE; $pipeline"
	assert_equal "$stderr" "status 0"
	run --separate-stderr bash -c "$pipeline"
	assert_equal "$stderr" "status 141"
}

# ---- claw config ----

@test "claw config set model=generic/deepseek-chat; claw config get model" {
	run --separate-stderr claw config set model=generic/deepseek-chat
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	run claw config get model
	assert_success
	assert_output "generic/deepseek-chat"
}

@test "claw config set thinking=on" {
	run claw config set thinking=on
	assert_success
	run claw config get thinking
	assert_output "on"
	run claw config set thinking=off
	run claw config get thinking
	assert_output "off"
}

@test "claw config set KEY VALUE, and values with spaces and '='" {
	claw config set thinking on
	run claw config get thinking
	assert_output "on"
	claw config set skills.greet.text "hello, wide world"
	run claw config get skills.greet.text
	assert_output "hello, wide world"
	claw config set skills.q.expr=a=b
	run claw config get skills.q.expr
	assert_output "a=b"
	claw config set skills.q.empty=
	run claw config get skills.q.empty
	assert_success
	assert_output ""
}

@test "a fresh home answers with the defaults" {
	run claw config get model
	assert_success
	assert_output "ollama/llama3.2"
	run claw config get thinking
	assert_output "off"
	run claw config get gateway.listen
	assert_output "127.0.0.1:3000"
	run claw config get evolve.innovation
	assert_output "0.6"
	run claw config get providers.ollama.base_url
	assert_output "http://127.0.0.1:11434/v1"
	run claw config get providers.anthropic.kind
	assert_output "anthropic"
	run claw config get providers.generic.kind
	assert_output "openai"
}

@test "claw config unset goes back to the default; unsetting a never-set key exits 1" {
	claw config set model=openai/gpt-4o
	run --separate-stderr claw config unset model
	assert_success
	assert_output ""
	run claw config get model
	assert_output "ollama/llama3.2"
	run --separate-stderr claw config unset model
	assert_failure 1
	assert_equal "$stderr" "claw: model: not set"
	run --separate-stderr claw config unset skills.never.set
	assert_failure 1
}

@test "claw config get of an unset key with no default exits 1" {
	run --separate-stderr claw config get context.max_tokens
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" "claw: context.max_tokens: not set"
	run claw config get skills.nothing.here
	assert_failure 1
}

@test "claw config list shows defaults and stored values, sorted" {
	run claw config list
	assert_success
	assert_line "model=ollama/llama3.2"
	assert_line "gateway.listen=127.0.0.1:3000"
	claw config set model=generic/deepseek-chat
	claw config set skills.weather.units=metric
	run claw config list
	assert_line "model=generic/deepseek-chat"
	assert_line "skills.weather.units=metric"
	refute_line "model=ollama/llama3.2"
	assert_equal "$output" "$(printf '%s\n' "$output" | LC_ALL=C sort)"
}

@test "claw config list --json: one object per line with type, key, value, source" {
	claw config set thinking=on
	run --separate-stderr claw config list --json
	assert_success
	local n
	n=${#lines[@]}
	[ "$n" -ge 5 ]
	# Every line alone is a valid JSON object of the right shape.
	run jq -c 'select(.type == "config" and (.key | type) == "string"
		and (.value | type) == "string" and (.source | IN("default", "store", "env"))
		and (.secret | type) == "boolean")' <<<"$output"
	assert_success
	assert_equal "${#lines[@]}" "$n"
	assert_line '{"type":"config","key":"thinking","value":"on","source":"store","secret":false}'
	assert_line '{"type":"config","key":"model","value":"ollama/llama3.2","source":"default","secret":false}'
}

@test "bad values are refused with 78 and nothing is stored" {
	local kv
	for kv in thinking=maybe model=nomodel gateway.listen=bad evolve.innovation=2 \
		context.max_tokens=abc providers.generic.base_url=ftp://x providers.x.kind=gemini \
		evolve.max_files=-1 providers.openai.api_key=; do
		run --separate-stderr claw config set "$kv"
		assert_failure 78
		assert_stderr_lines 1
		[[ $stderr == "claw: ${kv%%=*}: bad value "* ]]
	done
	# Validation comes first: a refused value did not even create the store.
	[ ! -e "$CLAW_HOME" ]
	claw config set thinking=on
	run claw config set thinking=maybe
	assert_failure 78
	run claw config get thinking
	assert_output "on"
}

@test "an unknown key is refused with 78, naming the nearest key" {
	run --separate-stderr claw config set modle=x
	assert_failure 78
	assert_output ""
	assert_stderr_lines 1
	[[ $stderr == *"'model'"* ]]
	run --separate-stderr claw config get thinkng
	assert_failure 78
	[[ $stderr == *"'thinking'"* ]]
	run claw config unset modle
	assert_failure 78
}

@test "keys under providers. skills. channels. gateway. evolve. context. cache. are accepted" {
	local k
	for k in providers.mine.organization skills.weather.units channels.telegram.chat_id \
		gateway.cors_origin evolve.strategy context.policy cache.dir; do
		run claw config set "$k=value of $k"
		assert_success
		run claw config get "$k"
		assert_output "value of $k"
	done
}

@test "a secret is stored sealed: list and get show ***, get --reveal the value" {
	run claw config set providers.openai.api_key=sk-test-SECRET-4242
	assert_success
	run claw config list
	assert_line "providers.openai.api_key=***"
	refute_output --partial "sk-test-SECRET-4242"
	run claw config list --json
	assert_line '{"type":"config","key":"providers.openai.api_key","value":"***","source":"store","secret":true}'
	refute_output --partial "sk-test-SECRET-4242"
	run claw config get providers.openai.api_key
	assert_output "***"
	run claw config get --reveal providers.openai.api_key
	assert_success
	assert_output "sk-test-SECRET-4242"
	# Not in the database files in any form a grep finds...
	run grep -c sk-test-SECRET "$CLAW_HOME"/claw.db*
	refute_output --regexp ':[1-9]'
	refute_output --regexp '^[1-9]'
	# ...because what is stored is the sealed form.
	run sqlite3 "$CLAW_HOME/claw.db" "select secret, value from config where key = 'providers.openai.api_key'"
	assert_output --regexp '^1\|[A-Za-z0-9+/]{40,}={0,2}$'
	refute_output --partial "sk-test"
}

@test "the store key and the store are private: keys/ 700, store.key 600, home 700, claw.db 600" {
	claw config set providers.openai.api_key=sk-x
	assert_equal "$(file_mode "$CLAW_HOME")" 700
	assert_equal "$(file_mode "$CLAW_HOME/claw.db")" 600
	assert_equal "$(file_mode "$CLAW_HOME/keys")" 700
	assert_equal "$(file_mode "$CLAW_HOME/keys/store.key")" 600
	assert_equal "$(stat -c %s "$CLAW_HOME/keys/store.key")" 32
}

@test "CLAW_MODEL=openai/gpt-4o overrides the stored model" {
	claw config set model=generic/deepseek-chat
	CLAW_MODEL=openai/gpt-4o run claw config get model
	assert_success
	assert_output "openai/gpt-4o"
	CLAW_MODEL=openai/gpt-4o run claw config list --json
	assert_line '{"type":"config","key":"model","value":"openai/gpt-4o","source":"env","secret":false}'
	run claw config get model
	assert_output "generic/deepseek-chat"
	CLAW_PROVIDERS_OPENAI_API_KEY=sk-from-env run claw config get --reveal providers.openai.api_key
	assert_output "sk-from-env"
	claw config set providers.openai.api_key=sk-stored
	CLAW_PROVIDERS_OPENAI_API_KEY=sk-from-env run claw config list --json
	assert_line '{"type":"config","key":"providers.openai.api_key","value":"***","source":"env","secret":true}'
	refute_output --partial "sk-from-env"
}

@test "an override of a stored free-form key shows in claw config list" {
	claw config set skills.weather.units=metric
	CLAW_SKILLS_WEATHER_UNITS=imperial run claw config list
	assert_line "skills.weather.units=imperial"
	refute_line "skills.weather.units=metric"
	CLAW_SKILLS_WEATHER_UNITS=imperial run claw config get skills.weather.units
	assert_output "imperial"
}

@test "a garbage claw.db: exit 70, one line on stderr, the file unchanged" {
	mkdir -m 700 "$CLAW_HOME"
	head -c 8192 /dev/urandom >"$CLAW_HOME/claw.db"
	local sum
	sum=$(sha256sum <"$CLAW_HOME/claw.db")
	run --separate-stderr claw config set model=openai/gpt-4o
	assert_failure 70
	assert_stderr_lines 1
	[[ $stderr == "claw: $CLAW_HOME/claw.db: "* ]]
	run --separate-stderr claw config list
	assert_failure 70
	assert_stderr_lines 1
	assert_output ""
	run --separate-stderr claw config get model
	assert_failure 70
	assert_equal "$(sha256sum <"$CLAW_HOME/claw.db")" "$sum"
}

@test "a claw.db truncated to half its size: exit 70, one line on stderr, the file unchanged" {
	populated_store
	local size sum
	size=$(stat -c %s "$CLAW_HOME/claw.db")
	[ "$size" -ge 8192 ]
	truncate -s $((size / 2)) "$CLAW_HOME/claw.db"
	sum=$(sha256sum <"$CLAW_HOME/claw.db")
	run --separate-stderr claw config get skills.weather.units
	assert_failure 70
	assert_stderr_lines 1
	run --separate-stderr claw config set skills.weather.units=imperial
	assert_failure 70
	assert_stderr_lines 1
	assert_equal "$(sha256sum <"$CLAW_HOME/claw.db")" "$sum"
}

@test "a claw.db with its header zeroed: exit 70, the file unchanged" {
	populated_store
	dd if=/dev/zero of="$CLAW_HOME/claw.db" bs=1 seek=16 count=84 conv=notrunc status=none
	local sum
	sum=$(sha256sum <"$CLAW_HOME/claw.db")
	run --separate-stderr claw config list
	assert_failure 70
	assert_stderr_lines 1
	assert_equal "$(sha256sum <"$CLAW_HOME/claw.db")" "$sum"
}

@test "a CLAW_HOME that cannot be created: exit 73" {
	: >"$BATS_TEST_TMPDIR/file"
	CLAW_HOME=$BATS_TEST_TMPDIR/file/sub run --separate-stderr claw config set model=openai/gpt-4o
	assert_failure 73
	assert_stderr_lines 1
	[[ $stderr == "claw: $BATS_TEST_TMPDIR/file/sub: "* ]]
	CLAW_HOME=/proc/nonexistent/x run --separate-stderr claw config list
	assert_failure 73
	assert_stderr_lines 1
}

@test "20 concurrent claw config set: all succeed, none locked, all stored" {
	local i pids=() fail=0
	claw config get model >/dev/null   # create the store first, as a user would have
	for i in $(seq 1 20); do
		claw config set "skills.k$i=v$i" 2>"$BATS_TEST_TMPDIR/err.$i" 3>&- &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || fail=$((fail + 1))
	done
	assert_equal "$fail" 0
	run cat "$BATS_TEST_TMPDIR"/err.*
	assert_output ""
	run sqlite3 "$CLAW_HOME/claw.db" "select count(*) from config where key glob 'skills.k*' and value = 'v' || substr(key, 9)"
	assert_output "20"
}

@test "20 concurrent first runs on an empty home all succeed" {
	local i pids=() fail=0
	for i in $(seq 1 20); do
		echo "sk-$i" | claw config set "providers.p$i.api_key" - 2>"$BATS_TEST_TMPDIR/err.$i" 3>&- &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || fail=$((fail + 1))
	done
	assert_equal "$fail" 0
	run cat "$BATS_TEST_TMPDIR"/err.*
	assert_output ""
	# One store key won the race: every secret opens.
	local wrong=
	for i in $(seq 1 20); do
		[ "$(claw config get --reveal "providers.p$i.api_key")" = "sk-$i" ] || wrong+=" p$i"
	done
	assert_equal "$wrong" ""
}

@test "usage errors exit 64" {
	run --separate-stderr claw config set model
	assert_failure 64
	[[ $stderr == usage:* ]]
	run claw config set
	assert_failure 64
	run claw config set a=b c
	assert_failure 64
	run claw config get model thinking
	assert_failure 64
	run claw config get
	assert_failure 64
	run claw config get --json model
	assert_failure 64
	run claw config unset
	assert_failure 64
	run claw config list --yaml
	assert_failure 64
	run claw config
	assert_failure 64
	run --separate-stderr claw config frob
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "claw: config: unknown verb 'frob'"
	[ ! -e "$CLAW_HOME" ]
}

# ---- issue 11 ----

# A store with a session of two messages and a grant, checkpointed into claw.db.
rows_store() {
	populated_store
	sqlite3 "$CLAW_HOME/claw.db" "insert into sessions(name, created, updated) values('trip', 1, 1);
	    insert into messages(session, ts, role, body) values(1, 1, 'user', '{\"text\":\"hi\"}');
	    insert into messages(session, ts, role, body) values(1, 2, 'assistant', '{\"text\":\"yo\"}');
	    insert into grants(skill, dir, perm, ts) values('files', '', 'fs.read:/tmp', 1);
	    PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
	[ ! -s "$CLAW_HOME/claw.db-wal" ]
}

# Write garbage over the root page of each table or index named: deterministic,
# since a small table is one leaf page and 0x55 is no b-tree page type.
corrupt_table() {
	local db=$CLAW_HOME/claw.db root size name
	size=$(sqlite3 "$db" "PRAGMA page_size")
	for name in "$@"; do
		root=$(sqlite3 "$db" "select rootpage from sqlite_schema where name = '$name'")
		[ -n "$root" ] && [ "$root" -gt 1 ]
		head -c "$size" /dev/zero | tr '\0' 'U' |
		    dd of="$db" bs="$size" seek=$((root - 1)) conv=notrunc status=none
	done
}

@test "issue 11 #9: a corrupt config table: claw config list and get exit 70, one line" {
	rows_store
	corrupt_table config
	run --separate-stderr claw config list
	assert_failure 70
	assert_stderr_lines 1
	[[ $stderr == *"damaged"*"move it aside"* ]]
	assert_output ""
	run --separate-stderr claw config get model
	assert_failure 70
	assert_stderr_lines 1
}

@test "issue 11 #9: a corrupt sessions table: claw-chat --sessions exits 70, one line" {
	rows_store
	run claw-chat --sessions
	assert_success
	assert_output --partial trip
	corrupt_table sessions
	run --separate-stderr claw-chat --sessions
	assert_failure 70
	assert_stderr_lines 1
	assert_output ""
}

@test "issue 11 #9: a corrupt messages table: claw-chat --history exits 70, one line" {
	rows_store
	run claw-chat --history -s trip
	assert_success
	assert_output --partial '"yo"'
	corrupt_table messages
	run --separate-stderr claw-chat --history -s trip
	assert_failure 70
	assert_stderr_lines 1
	refute_output --partial '"hi"'
}

@test "issue 11 #9: a corrupt grants table: claw-skill grants exits 70, one line" {
	rows_store
	run claw-skill grants
	assert_success
	assert_output --partial "fs.read:/tmp"
	corrupt_table grants sqlite_autoindex_grants_1   # the query reads the index alone
	run --separate-stderr claw-skill grants
	assert_failure 70
	assert_stderr_lines 1
	assert_output ""
}

@test "issue 11 #9: a 0-byte claw.db is refused by every program and stays 0 bytes" {
	populated_store
	: >"$CLAW_HOME/claw.db"
	rm -f "$CLAW_HOME/claw.db-wal" "$CLAW_HOME/claw.db-shm"
	local cmd
	for cmd in "claw config get model" "claw-chat --sessions" "claw-skill list" \
	    "claw-gateway token"; do
		run --separate-stderr $cmd
		assert_failure 70
		assert_stderr_lines 1
		[[ $stderr == *"$CLAW_HOME/claw.db: empty"*"move it aside"* ]]
		assert_output ""
		[ -f "$CLAW_HOME/claw.db" ] && [ ! -s "$CLAW_HOME/claw.db" ]
	done
	head -c 4096 /dev/zero >"$CLAW_HOME/claw.db"
	run --separate-stderr claw-gateway token
	assert_failure 70
	[[ $stderr == *"not a SQLite store"* ]]
}

@test "issue 11 #9: the inetd gateway on a damaged store answers 500 and logs one line" {
	populated_store
	: >"$CLAW_HOME/claw.db"
	rm -f "$CLAW_HOME/claw.db-wal" "$CLAW_HOME/claw.db-shm"
	printf 'GET /api/v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x.y.z\r\n\r\n' |
	    claw-gateway >"$BATS_TEST_TMPDIR/ans" 2>"$BATS_TEST_TMPDIR/log" || true
	run head -n 1 "$BATS_TEST_TMPDIR/ans"
	assert_output --partial "HTTP/1.1 500 "
	run grep -c "gateway's log" "$BATS_TEST_TMPDIR/ans"
	assert_output 1
	run cat "$BATS_TEST_TMPDIR/log"
	assert_equal "${#lines[@]}" 1
	assert_output "claw-gateway: $CLAW_HOME/claw.db: empty, not a store: restore claw.db from a backup or move it aside"
	[ ! -s "$CLAW_HOME/claw.db" ]
}

@test "issue 11 #17: a secret from standard input is stored and never on the command line" {
	mkfifo "$BATS_TEST_TMPDIR/in"
	exec 4<>"$BATS_TEST_TMPDIR/in"
	claw config set providers.openai.api_key - <&4 4>&- 2>"$BATS_TEST_TMPDIR/err" &
	local pid=$! i
	for i in $(seq 1 200); do
		[ "$(cat /proc/$pid/comm 2>/dev/null)" = claw ] && break
		sleep 0.01
	done
	local cmdline
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
	echo sk-stdin-SECRET-77 >&4        # before any assert: a failed one must not leave it waiting
	wait "$pid"
	exec 4>&-
	[[ $cmdline == *"claw config set providers.openai.api_key - " ]]
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output ""
	run claw config get --reveal providers.openai.api_key
	assert_output "sk-stdin-SECRET-77"
	# No value at all: a secret key is read from standard input too.
	printf 'sk-second\n' | claw config set providers.openai.api_key
	run claw config get --reveal providers.openai.api_key
	assert_output "sk-second"
	run --separate-stderr claw config set providers.openai.api_key - </dev/null
	assert_failure 65
	assert_stderr_lines 1
	run --separate-stderr claw config set modle -
	assert_failure 78
}

@test "issue 11 #17: a secret on the command line is stored, with a one-line warning" {
	run --separate-stderr claw config set providers.openai.api_key=sk-argv
	assert_success
	assert_stderr_lines 1
	[[ $stderr == "claw: warning: providers.openai.api_key: "*"standard input"* ]]
	run --separate-stderr claw config set model=openai/gpt-4o
	assert_equal "$stderr" ""
}

@test "issue 11 #17: a prompt on a terminal does not echo the secret" {
	# A pty: wait for the prompt (echo is off by then), then type; everything the terminal shows is kept.
	run python3 - "$CLAW_BIN/claw" <<'PY'
import os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "config", "set", "providers.openai.api_key"])
screen, typed = b"", False
end = time.time() + 10
while time.time() < end:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    screen += chunk
    if not typed and b"api_key: " in screen:
        os.write(fd, b"sk-typed-SECRET\n")
        typed = True
_, status = os.waitpid(pid, 0)
print(repr(screen), os.waitstatus_to_exitcode(status))
PY
	assert_success
	assert_output --partial "providers.openai.api_key: "
	assert_output --regexp ' 0$'
	refute_output --partial "sk-typed"
	run claw config get --reveal providers.openai.api_key
	assert_output "sk-typed-SECRET"
}

@test "issue 11 #20: an existing CLAW_HOME and keys/ open to others are made 0700, said once" {
	mkdir -m 777 "$CLAW_HOME"
	mkdir -m 755 "$CLAW_HOME/keys"
	chmod 777 "$CLAW_HOME"
	run --separate-stderr claw config set skills.weather.units=metric
	assert_success
	assert_stderr_lines 1
	assert_equal "$stderr" "claw: $CLAW_HOME was 0777, now 0700: group and others had access"
	assert_equal "$(file_mode "$CLAW_HOME")" 700
	run --separate-stderr sh -c 'echo sk-x | "$0" config set providers.openai.api_key -' \
	    "$CLAW_BIN/claw"
	assert_success
	assert_equal "$stderr" "claw: $CLAW_HOME/keys was 0755, now 0700: group and others had access"
	assert_equal "$(file_mode "$CLAW_HOME/keys")" 700
	run --separate-stderr claw config get skills.weather.units
	assert_equal "$stderr" ""
	# The front door says it for the programs it runs too.
	chmod 770 "$CLAW_HOME"
	run --separate-stderr claw skill list
	[[ ${stderr_lines[0]} == "claw: $CLAW_HOME was 0770, now 0700: group and others had access" ]]
	assert_equal "$(file_mode "$CLAW_HOME")" 700
}

@test "issue 11 #20: a keys/ that is a symbolic link is not followed to be chmod-ed" {
	mkdir -m 700 "$CLAW_HOME"
	mkdir -m 755 "$BATS_TEST_TMPDIR/elsewhere"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$CLAW_HOME/keys"
	echo sk-x | claw config set providers.openai.api_key - 2>/dev/null
	assert_equal "$(file_mode "$BATS_TEST_TMPDIR/elsewhere")" 755
}

@test "issue 11 #20: a CLAW_HOME owned by another user is refused: exit 77, one line" {
	[ "$(id -u)" = 0 ] || skip "needs root to give a directory away"
	mkdir -m 700 "$CLAW_HOME"
	chown 65534 "$CLAW_HOME"
	run --separate-stderr claw config set skills.weather.units=metric
	assert_failure 77
	assert_stderr_lines 1
	[[ $stderr == "claw: $CLAW_HOME: owned by uid 65534, not by this user"* ]]
	run --separate-stderr claw-chat --sessions
	assert_failure 77
	[ ! -e "$CLAW_HOME/claw.db" ]
}

# ---- issue 18 #4: the copy of config (claw.db-config) that claw config get reads ----

# Write a copy of config as config.c does, for a token and records given, so that
# only what the test changes is wrong: TOKEN KEY=VALUE...
forge_copy() {
	python3 - "$CLAW_HOME/claw.db-config" "$@" <<'PY'
import sys
path, token, rows = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
body = b""
for r in rows:
    k, v = (x.encode() for x in r.split("=", 1))
    body += b"%d %d 0\n" % (len(k), len(v)) + k + v + b"\n"
h = 14695981039346656037
for c in body:
    h = ((h ^ c) * 1099511628211) & (2**64 - 1)
with open(path, "wb") as f:
    f.write(b"claw-config 1 %d %d %016x\n" % (token, len(body), h) + body)
PY
	touch -d '+1 min' "$CLAW_HOME/claw.db-config"   # newer than claw.db, as a real one is
}

token() {
	sqlite3 "$CLAW_HOME/claw.db" "PRAGMA application_id"
}

@test "issue 18 #4: every get after a set or an unset sees it; the copy is 0600 and has no secret" {
	local v
	for v in one two "three with spaces" "" four; do
		claw config set "skills.t.x=$v"
		run -0 claw config get skills.t.x
		assert_output "$v"
	done
	claw config set thinking=on
	run -0 claw config get thinking
	assert_output on
	claw config unset thinking
	run -0 claw config get thinking
	assert_output off
	echo sk-copy-secret-0 | claw config set providers.openai.api_key -
	run -0 claw config get providers.openai.api_key
	assert_output "***"
	run -0 claw config get --reveal providers.openai.api_key
	assert_output sk-copy-secret-0
	[ "$(stat -c %a "$CLAW_HOME/claw.db-config")" = 600 ]
	! grep -q sk-copy "$CLAW_HOME/claw.db-config"
	run -0 claw config get skills.t.x
	assert_output four
}

@test "issue 18 #4: a copy ahead of the store (its writer killed before the commit) is not believed" {
	claw config set model=generic/kept
	claw config get model >/dev/null
	forge_copy $(( $(token) + 1 )) model=generic/never-committed
	run -0 claw config get model
	assert_output generic/kept
	# and the reader made the copy again, for the store as it is
	run -0 claw config get model
	assert_output generic/kept
	grep -q "claw-config 1 $(token) " "$CLAW_HOME/claw.db-config"
}

@test "issue 18 #4: a copy with the right token is believed only whole: torn, foreign or bad hash is asked again" {
	claw config set model=generic/kept
	forge_copy "$(token)" model=generic/forged
	run -0 claw config get model
	assert_output generic/forged     # the format is what config.c reads: the test's forgery works...
	forge_copy "$(token)" model=generic/forged
	sed -i 's/forged/forgeD/' "$CLAW_HOME/claw.db-config"
	touch -d '+1 min' "$CLAW_HOME/claw.db-config"
	run -0 claw config get model
	assert_output generic/kept       # ...and a byte changed is not believed
	forge_copy "$(token)" model=generic/forged
	truncate -s 40 "$CLAW_HOME/claw.db-config"
	run -0 claw config get model
	assert_output generic/kept
	printf 'garbage\n' >"$CLAW_HOME/claw.db-config"
	run -0 claw config get model
	assert_output generic/kept
	: >"$CLAW_HOME/claw.db-config"
	run -0 claw config get model
	assert_output generic/kept
	rm -f "$CLAW_HOME/claw.db-config"
	run -0 claw config get model
	assert_output generic/kept
}

@test "a FIFO in place of the copy or of the WAL is never waited on: get asks the store, or fails" {
	claw config set model=generic/kept
	rm -f "$CLAW_HOME/claw.db-config"
	mkfifo "$CLAW_HOME/claw.db-config"
	run -0 timeout 10 claw config get model
	assert_output generic/kept
	run -0 timeout 10 claw status
	assert_line --partial "model     generic/kept"
	rm "$CLAW_HOME/claw.db-config" "$CLAW_HOME/claw.db-wal"
	mkfifo "$CLAW_HOME/claw.db-wal"
	run timeout 10 claw config get model
	(( status != 124 ))
}

@test "issue 18 #4: a connection that is not claw's cannot change config behind the copy" {
	command -v sqlite3 >/dev/null || skip "no sqlite3"
	claw config set model=generic/kept
	claw config get model >/dev/null
	run sqlite3 "$CLAW_HOME/claw.db" "UPDATE config SET value = 'generic/sneaked' WHERE key = 'model'"
	assert_failure
	assert_output --partial "claw_config_touch"
	run sqlite3 "$CLAW_HOME/claw.db" "DELETE FROM config"
	assert_failure
	run -0 claw config get model
	assert_output generic/kept
	# the store moved on by other hands (its header rewritten): not believed
	sqlite3 "$CLAW_HOME/claw.db" "PRAGMA application_id = 7" >/dev/null
	forge_copy 8 model=generic/forged
	run -0 claw config get model
	assert_output generic/kept
}

@test "issue 18 #4: two writers and a reader: the reader never goes back to an older value" {
	local pids=() i last=0 v fail=0
	claw config set skills.w.a=0
	claw config set skills.w.b=0
	for k in a b; do
		( for i in $(seq 1 15); do claw config set "skills.w.$k=$i" || exit 1; done ) 3>&- &
		pids+=($!)
	done
	for i in $(seq 1 30); do
		v=$(claw config get skills.w.a) || { fail=1; break; }
		[ "$v" -ge "$last" ] || { echo "went back: $last then $v"; fail=1; break; }
		last=$v
	done
	for i in "${pids[@]}"; do
		wait "$i" || fail=1
	done
	assert_equal "$fail" 0
	run -0 claw config get skills.w.a
	assert_output 15
	run -0 claw config get skills.w.b
	assert_output 15
}

@test "issue 18 #4: a writer killed with SIGKILL at any moment: get says what the store says" {
	command -v sqlite3 >/dev/null || skip "no sqlite3"
	local i pid want got
	claw config set skills.k.v=start
	for i in $(seq 1 12); do
		claw config set "skills.k.v=v$i" 3>&- &
		pid=$!
		sleep "0.00$((RANDOM % 10))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		got=$(claw config get skills.k.v)
		want=$(sqlite3 "$CLAW_HOME/claw.db" "SELECT value FROM config WHERE key = 'skills.k.v'")
		assert_equal "$got" "$want"
	done
}

@test "the WAL stays short however many processes commit once (each open replays it)" {
	local i
	for i in $(seq 80); do claw config set "skills.w.k=$i"; done
	# 32 frames of 4 KiB pages at most before a commit truncates it (store.c WAL_FRAMES),
	# where SQLite's own auto-checkpoint let it grow by two frames a process, for ever
	[ "$(stat -c %s "$CLAW_HOME/claw.db-wal")" -le $((32 * (4096 + 24) + 32 + 8 * 4120)) ]
	run -0 claw config get skills.w.k
	assert_output 80
}
