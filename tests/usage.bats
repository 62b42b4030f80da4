#!/usr/bin/env bats
# The one front door (claw(1)) of every program with a man page: help, version and usage
# errors the same way, the usage text equal to the SYNOPSIS, every long option in both.

load helper

SRC=${CLAW_SRC:-$BATS_TEST_DIRNAME/..}

# Every program in $CLAW_BIN that has a man page; the last test says when one is missing here.
PROGRAMS="claw claw-chat claw-skill claw-gateway claw-evolve claw-sandbox claw-channel claw-node claw-monitor"

# Programs whose first word may be anything (claw-chat's PROMPT): no unknown verb to try.
FREE_WORDS="claw-chat"

man_page() {
	local m
	for m in "$SRC"/man/"$1".[1-8]; do
		[ -f "$m" ] && { echo "$m"; return; }
	done
	return 1
}

source_of() {
	local f
	for f in "$SRC/cmd/$1.c" "$SRC/libexec/$1.c"; do
		[ -f "$f" ] && { echo "$f"; return; }
	done
	return 1
}

# Whitespace of any kind and amount, as one space: the text of a usage or a SYNOPSIS
# without its line breaks, which the renderer chooses.
squeeze() {
	tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'
}

# The usage block in the text on stdin: the line starting "usage: " and the indented
# lines that follow it, without the "usage:".
usage_block() {
	awk '!on && /^usage: / { on = 1; sub(/^usage: /, ""); print; next }
	    on && /^[ \t]/ { print; next } on { exit }'
}

# The SYNOPSIS of man page $1 as mandoc renders it.
synopsis() {
	mandoc -T ascii "$1" | col -bx | awk '/^SYNOPSIS$/ { on = 1; next } on && /^[^ ]/ { exit } on'
}

# The long options the program's source accepts: compared with strcmp or listed in a table
# of verbs (cli_verb) or of getopt_long options.
long_options() {
	{
		grep -ohE '(strn?cmp\([^;]*|\{ *)"--[a-z][a-z0-9-]*"' "$1" | grep -oE -- '--[a-z][a-z0-9-]*'
		grep -ohE '\{ *"[a-z][a-z0-9-]*", *(no|required|optional)_argument' "$1" |
			sed -E 's/^\{ *"([^"]*)".*/--\1/'
	} | sort -u
}

version() {
	sed -n 's/^VERSION *= *//p' "$SRC/Makefile"
}

# ---- one function per check; one test per program and check below ----

# -h, --help and help: the same usage on stdout, nothing on stderr, exit 0.
check_help() {
	local p=$1 a first
	run --separate-stderr claw_run "$p" --help
	[ "$status" = 0 ] || fail "$p --help exits $status: $stderr"
	[[ $output == "usage: $p"* ]] || fail "$p --help does not start with 'usage: $p': ${lines[0]}"
	[ -z "$stderr" ] || fail "$p --help writes to stderr: $stderr"
	first=$output
	for a in -h help; do
		run --separate-stderr claw_run "$p" "$a"
		[ "$status" = 0 ] || fail "$p $a exits $status, not 0: ${stderr:0:200}"
		[ "$output" = "$first" ] || fail "$p $a prints other than $p --help: ${lines[0]}"
		[ -z "$stderr" ] || fail "$p $a writes to stderr: $stderr"
	done
}

# --version and version: "PROG VERSION", exit 0.
check_version() {
	local p=$1 a
	for a in --version version; do
		run --separate-stderr claw_run "$p" "$a"
		[ "$status" = 0 ] || fail "$p $a exits $status, not 0: ${stderr:0:200}"
		[ "$output" = "$p $(version)" ] || fail "$p $a prints '$output', not '$p $(version)'"
	done
}

# --bogus and an unknown verb: exit 64, nothing on stdout, the usage on stderr.
check_usage_error() {
	local p=$1 a want got
	want=$(claw_run "$p" --help | usage_block)
	for a in --bogus frobnicate; do
		[ "$a" = frobnicate ] && [[ " $FREE_WORDS " == *" $p "* ]] && continue
		run --separate-stderr claw_run "$p" "$a"
		[ "$status" = 64 ] || fail "$p $a exits $status, not 64: ${stderr:0:200}"
		[ -z "$output" ] || fail "$p $a writes to stdout: ${lines[0]}"
		got=$(usage_block <<<"$stderr")
		[ "$got" = "$want" ] || fail "$p $a: no usage on stderr: ${stderr:0:300}"
	done
}

# The usage of --help is the man page's SYNOPSIS, word for word.
check_synopsis() {
	local p=$1 man usage syn
	man=$(man_page "$p") || fail "$p has no man page"
	usage=$(claw_run "$p" --help | usage_block | squeeze)
	syn=$(synopsis "$man" | squeeze)
	[ -n "$syn" ] || fail "${man#"$SRC"/}: no SYNOPSIS"
	[ "$usage" = "$syn" ] || fail "$p: usage and ${man#"$SRC"/} SYNOPSIS differ:
usage:    $usage
SYNOPSIS: $syn"
}

# Every long option of the source is in the usage and in the SYNOPSIS.
check_long_options() {
	local p=$1 src man usage syn o missing=
	src=$(source_of "$p") || fail "$p: no source in cmd/ or libexec/"
	man=$(man_page "$p") || fail "$p has no man page"
	usage=$(claw_run "$p" --help | usage_block | squeeze)
	syn=$(synopsis "$man" | squeeze)
	for o in $(long_options "$src"); do
		[[ " $usage " =~ [^a-z0-9-]$o([^a-z0-9-]) ]] || missing+=" $o (usage)"
		[[ " $syn " =~ [^a-z0-9-]$o([^a-z0-9-]) ]] || missing+=" $o (SYNOPSIS)"
	done
	[ -z "$missing" ] || fail "$p: ${src#"$SRC"/} accepts options missing from:$missing"
}

@test "claw: help" { check_help claw; }
@test "claw: version" { check_version claw; }
@test "claw: usage errors" { check_usage_error claw; }
@test "claw: usage is the SYNOPSIS" { check_synopsis claw; }
@test "claw: long options in usage and SYNOPSIS" { check_long_options claw; }

@test "claw-chat: help" { check_help claw-chat; }
@test "claw-chat: version" { check_version claw-chat; }
@test "claw-chat: usage errors" { check_usage_error claw-chat; }
@test "claw-chat: usage is the SYNOPSIS" { check_synopsis claw-chat; }
@test "claw-chat: long options in usage and SYNOPSIS" { check_long_options claw-chat; }

@test "claw-skill: help" { check_help claw-skill; }
@test "claw-skill: version" { check_version claw-skill; }
@test "claw-skill: usage errors" { check_usage_error claw-skill; }
@test "claw-skill: usage is the SYNOPSIS" { check_synopsis claw-skill; }
@test "claw-skill: long options in usage and SYNOPSIS" { check_long_options claw-skill; }

@test "claw-gateway: help" { check_help claw-gateway; }
@test "claw-gateway: version" { check_version claw-gateway; }
@test "claw-gateway: usage errors" { check_usage_error claw-gateway; }
@test "claw-gateway: usage is the SYNOPSIS" { check_synopsis claw-gateway; }
@test "claw-gateway: long options in usage and SYNOPSIS" { check_long_options claw-gateway; }

@test "claw-evolve: help" { check_help claw-evolve; }
@test "claw-evolve: version" { check_version claw-evolve; }
@test "claw-evolve: usage errors" { check_usage_error claw-evolve; }
@test "claw-evolve: usage is the SYNOPSIS" { check_synopsis claw-evolve; }
@test "claw-evolve: long options in usage and SYNOPSIS" { check_long_options claw-evolve; }

@test "claw-sandbox: help" { check_help claw-sandbox; }
@test "claw-sandbox: version" { check_version claw-sandbox; }
@test "claw-sandbox: usage errors" { check_usage_error claw-sandbox; }
@test "claw-sandbox: usage is the SYNOPSIS" { check_synopsis claw-sandbox; }
@test "claw-sandbox: long options in usage and SYNOPSIS" { check_long_options claw-sandbox; }

@test "claw-channel: help" { check_help claw-channel; }
@test "claw-channel: version" { check_version claw-channel; }
@test "claw-channel: usage errors" { check_usage_error claw-channel; }
@test "claw-channel: usage is the SYNOPSIS" { check_synopsis claw-channel; }
@test "claw-channel: long options in usage and SYNOPSIS" { check_long_options claw-channel; }

@test "claw-node: help" { check_help claw-node; }
@test "claw-node: version" { check_version claw-node; }
@test "claw-node: usage errors" { check_usage_error claw-node; }
@test "claw-node: usage is the SYNOPSIS" { check_synopsis claw-node; }
@test "claw-node: long options in usage and SYNOPSIS" { check_long_options claw-node; }

@test "every program in CLAW_BIN with a man page is checked here" {
	local f p missing=
	for f in "$CLAW_BIN"/*; do
		p=${f##*/}
		man_page "$p" >/dev/null || continue
		[[ " $PROGRAMS " == *" $p "* ]] || missing+=" $p"
	done
	[ -z "$missing" ] || fail "not in tests/usage.bats PROGRAMS:$missing"
}

@test "the checks catch a usage that differs from its SYNOPSIS" {
	# A program whose man page's SYNOPSIS lost an option: check_synopsis must fail.
	cat >"$BATS_TEST_TMPDIR/x.1" <<-'EOF'
	.Dd November 1, 2026
	.Dt X 1
	.Os
	.Sh NAME
	.Nm x
	.Nd test
	.Sh SYNOPSIS
	.Nm
	.Op Fl -json
	.Ar NAME Ns ...
	.Sh DESCRIPTION
	Nothing.
	EOF
	run synopsis "$BATS_TEST_TMPDIR/x.1"
	assert_equal "$(squeeze <<<"$output")" "x [--json] NAME..."
	run usage_block <<<$'usage: x [--json]\n         NAME...\nmore text'
	assert_equal "$(squeeze <<<"$output")" "x [--json] NAME..."
	printf '%s\n' 'if (strcmp(a, "--json") == 0)' '{ "--help", cmd_help },' \
	    '{ "listen", required_argument, NULL, 1 },' 'execl(p, "x", "--check", NULL);' >"$BATS_TEST_TMPDIR/x.c"
	run long_options "$BATS_TEST_TMPDIR/x.c"
	assert_output $'--help\n--json\n--listen'
}
