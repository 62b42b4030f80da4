# tests/helper.bash: what every claw bats suite shares.  In a suite:
#
#	load helper
#
# and each test starts clean:
#   - $CLAW_BIN is the directory of the built programs (default ../build/bin; `make check`
#     passes it in).
#   - $CLAW_HOME is a fresh directory per test, $BATS_TEST_TMPDIR/home, not yet created.
#   - No configuration leaks in from the caller: every CLAW_* variable (but CLAW_BIN,
#     CLAW_SRC and CLAW_VALGRIND) and the providers' keys (OPENAI_API_KEY, ...) are unset.
#   - $BATS_TEST_TMPDIR/bin comes first on PATH and holds one wrapper per program in
#     $CLAW_BIN, so tests call programs by name: `run claw config get model`.  With
#     CLAW_VALGRIND=1 the wrappers run them under valgrind (exit 99 on a leak or a
#     memory error), so `CLAW_VALGRIND=1 make check` checks every program the suites run.
#
# Functions:
#   claw_setup                  the per-test setup above.  The helper defines setup() to
#                               call it; a suite with its own setup() must call it first.
#   claw_run PROG [ARG...]      run $CLAW_BIN/PROG (under valgrind when asked), like
#                               calling PROG by name.
#   claw_exec FILE [ARG...]     run any program file under the same valgrind policy.
#   claw_wrap DIR FILE...       put a wrapper for each FILE into DIR (the PATH wrappers).
#   claw_stub NAME BODY         put an executable sh script NAME with BODY on PATH: a fake
#                               claw-monitor, a fake editor...
#   claw_alone                  copy the claw front door alone into $BATS_TEST_TMPDIR/alone/real
#                               (no siblings) and print the path of its wrapper, for tests of
#                               how it finds claw-SUB: programs put beside the copy are found
#                               before PATH.
#   assert_stderr_lines N       $stderr (from `run --separate-stderr`) has exactly N lines.
#   file_mode PATH              the octal permission bits of PATH, e.g. 600.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

: "${CLAW_BIN:=$BATS_TEST_DIRNAME/../build/bin}"
CLAW_BIN=$(cd "$CLAW_BIN" && pwd) || {
	echo "helper.bash: CLAW_BIN=$CLAW_BIN: no such directory (run make first)" >&2
	return 1
}
export CLAW_BIN

# The valgrind command line a program runs under (CLAW_VALGRIND=1), or nothing: as
# words in _claw_vg, and quoted for a wrapper by _claw_valgrind.
_claw_vg_argv() {
	_claw_vg=()
	[ "${CLAW_VALGRIND:-0}" = 1 ] || return 0
	_claw_vg=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect
		--show-leak-kinds=definite,indirect --error-exitcode=99
		"--suppressions=$BATS_TEST_DIRNAME/valgrind.supp")
}

_claw_valgrind() {
	_claw_vg_argv
	[ ${#_claw_vg[@]} -eq 0 ] || printf '%q ' "${_claw_vg[@]}"
}

claw_exec() {
	_claw_vg_argv
	"${_claw_vg[@]}" "$@"
}

claw_run() {
	local prog=$1
	shift
	claw_exec "$CLAW_BIN/$prog" "$@"
}

claw_wrap() {
	local dir=$1 file vg
	shift
	vg=$(_claw_valgrind)
	mkdir -p "$dir"
	for file in "$@"; do
		[ -f "$file" ] && [ -x "$file" ] || continue
		# A server that detaches would keep valgrind's copy of our stderr, and with
		# it a $(…) pipe, open: its reports go to files that claw_valgrind_logs reads.
		if [ -n "$vg" ] && [ "${file##*/}" = claw-gateway ]; then
			printf '#!/bin/sh\nexec %s%q %q "$@"\n' "$vg" "--log-file=$BATS_TEST_TMPDIR/valgrind.%p.log" \
			    "$file" >"$dir/${file##*/}"
			continue
		fi
		printf '#!/bin/sh\nexec %s%q "$@"\n' "$vg" "$file" >"$dir/${file##*/}"
	done
	chmod +x "$dir"/*
}

# Under CLAW_VALGRIND=1: fail when a program whose reports went to files reported
# anything (errors, and leaks of the kinds that fail a run elsewhere).
claw_valgrind_logs() {
	local f
	for f in "$BATS_TEST_TMPDIR"/valgrind.*.log; do
		[ -s "$f" ] || continue
		cat "$f" >&2
		return 1
	done
}

# fakeprovider_start DIR: tests/fakeprovider.py on a free loopback port, scripted
# by DIR/script (emptied) and logging to DIR/log; DIR/port and DIR/pid once it listens.
fakeprovider_start() {
	local dir=$1
	mkdir -p "$dir"
	: > "$dir/script"
	python3 "$BATS_TEST_DIRNAME/fakeprovider.py" --port-file "$dir/port" \
	    --log "$dir/log" --script "$dir/script" 3>&- &
	echo $! > "$dir/pid"
	for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.05; done
	[ -s "$dir/port" ]
}

# fakeprovider_home [KEY=VALUE...]: in setup_file, the fake provider in $FAKE_DIR
# ($BATS_FILE_TMPDIR/fake) and a home there whose config points the generic provider
# at it; then each KEY=VALUE, with @URL@ standing for the fake's base URL.
# fakeprovider_setup in setup gives each test a copy of that home and an empty log
# and script; fakeprovider_stop in teardown_file ends the fake.
fakeprovider_home() {
	export FAKE_DIR="$BATS_FILE_TMPDIR/fake"
	fakeprovider_start "$FAKE_DIR" || return 1
	local url kv
	url="http://127.0.0.1:$(cat "$FAKE_DIR/port")/v1"
	for kv in "providers.generic.base_url=@URL@" "$@"; do
		CLAW_HOME="$FAKE_DIR/home" "$CLAW_BIN/claw" config set "${kv//@URL@/$url}" || return 1
	done
}

fakeprovider_setup() {
	claw_setup
	PORT=$(cat "$FAKE_DIR/port")
	: > "$FAKE_DIR/log"
	: > "$FAKE_DIR/script"
	cp -a "$FAKE_DIR/home" "$CLAW_HOME"
}

# fakeprovider_setup, and the real claw-skill (beside claw-chat) with the two skills of
# fixtures/chat-skills, which log their runs to $FIXTURE_SKILL_LOG.
chat_skills_setup() {
	fakeprovider_setup
	export CLAW_SKILLS_PATH="$BATS_TEST_DIRNAME/fixtures/chat-skills"
	export FIXTURE_SKILL_LOG="$BATS_TEST_TMPDIR/skill.log"
}

fakeprovider_stop() {
	kill "$(cat "$FAKE_DIR/pid")" 2>/dev/null || true
}

claw_stub() {
	local name=$1
	shift
	printf '#!/bin/sh\n%s\n' "$*" >"$BATS_TEST_TMPDIR/bin/$name"
	chmod +x "$BATS_TEST_TMPDIR/bin/$name"
}

claw_alone() {
	local dir=$BATS_TEST_TMPDIR/alone
	mkdir -p "$dir/real"
	cp "$CLAW_BIN/claw" "$dir/real/claw"
	claw_wrap "$dir" "$dir/real/claw"
	echo "$dir/claw"
}

assert_stderr_lines() {
	local n=$1
	if [ "${#stderr_lines[@]}" -ne "$n" ]; then
		batslib_print_kv_single_or_multi 8 "expected" "$n stderr line(s)" "stderr" "$stderr" |
			batslib_decorate "wrong number of stderr lines" | fail
	fi
}

file_mode() {
	stat -c %a "$1"
}

claw_setup() {
	local v
	# Configuration from the caller's environment must not change what a test sees.
	for v in $(compgen -e); do
		case $v in
		CLAW_BIN | CLAW_SRC | CLAW_VALGRIND) ;;
		CLAW_*) unset "$v" ;;
		esac
	done
	unset OPENAI_API_KEY ANTHROPIC_API_KEY DEEPSEEK_API_KEY OPENROUTER_API_KEY GEMINI_API_KEY \
		JWT_SECRET OPENAI_BASE_URL ANTHROPIC_BASE_URL
	export CLAW_HOME="$BATS_TEST_TMPDIR/home"
	claw_wrap "$BATS_TEST_TMPDIR/bin" "$CLAW_BIN"/*
	export PATH="$BATS_TEST_TMPDIR/bin:$PATH"
}

setup() {
	claw_setup
}

# channels: the fake model and the fake Telegram/WhatsApp (tests/fakechannel.py) on
# loopback, with the model and Telegram's base URL configured; $TMP, $PP, $CP, $FAKE set.
channel_fakes_start() {
	TMP=$BATS_TEST_TMPDIR
	fakeprovider_start "$TMP/prov"
	mkdir -p "$TMP/ch"
	: >"$TMP/ch/script"
	python3 "$BATS_TEST_DIRNAME/fakechannel.py" --port-file "$TMP/ch/port" --log "$TMP/ch/log" \
	    --script "$TMP/ch/script" 3>&- &
	echo $! >"$TMP/ch/pid"
	for _ in $(seq 100); do [ -s "$TMP/ch/port" ] && break; sleep 0.05; done
	PP=$(cat "$TMP/prov/port") CP=$(cat "$TMP/ch/port")
	FAKE=http://127.0.0.1:$CP
	claw config set "providers.generic.base_url=http://127.0.0.1:$PP/v1" >/dev/null
	claw config set model=generic/test-model >/dev/null
	claw config set "channels.telegram.base_url=$FAKE" >/dev/null
}

# channels: stop the fakes and any background poller a test left ($TMP/bg.*.pid).
channel_fakes_stop() {
	local p
	for p in "$TMP/prov/pid" "$TMP/ch/pid" "$TMP"/bg.*.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
	done
	return 0
}
