#!/usr/bin/env bats
# The built-in skills' run programs called directly, outside claw-skill and the sandbox:
# one JSON request on stdin, NDJSON events on stdout, as claw-skill(1) runs them.

load helper

SKILLS=$BATS_TEST_DIRNAME/../skills

# skill NAME JSON: run skills/NAME/run with JSON on stdin.
skill() {
	run --separate-stderr "$SKILLS/$1/run" <<<"$2"
}

# ok: the run succeeded and wrote exactly one result event and nothing on stderr; its text
# is in $text.
ok() {
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 1
	text=$(jq -er 'select(.type == "result") | .text' <<<"$output")
}

# err CODE: the run exited CODE after exactly one error event; its message is in $msg.
err() {
	assert_failure "$1"
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 1
	msg=$(jq -er 'select(.type == "error") | .message' <<<"$output")
}

# req ARGS [GRANT...]: a request with ARGS (a JSON object) and those grants, which must need
# no JSON escaping (printf, not jq: jq 1.6 takes tens of milliseconds to start).
req() {
	local args=$1 grants= g
	shift
	for g in "$@"; do
		grants="$grants${grants:+,}\"$g\""
	done
	printf '{"args":%s,"context":{"skill":"test","config":{},"data_dir":"/nonexistent","grants":[%s]}}' \
		"$args" "$grants"
}

# calc EXPR: run calc on EXPR, which must need no JSON escaping.
calc() { skill calc "{\"args\": {\"expr\": \"$1\"}}"; }

# --- the contract every skill directory keeps ---

@test "each skill's SKILL.md names it, fits its description on one short line, and is 1.0.0" {
	local s front desc
	for s in time calc translate files shell git; do
		front=$(sed -n '2,/^---$/p' "$SKILLS/$s/SKILL.md")
		grep -qx "name: $s" <<<"$front"
		grep -qx 'version: "1.0.0"' <<<"$front"
		grep -Eqx 'timeout: [0-9]+' <<<"$front"
		desc=$(sed -n 's/^description: //p' <<<"$front")
		[ -n "$desc" ] && [ "${#desc}" -le 100 ]
	done
	# An instruction skill: nothing to run.
	[ ! -e "$SKILLS/translate/run" ]
}

@test "each run skill's config.json has defaults and an object schema, and its tests are JSON" {
	local s
	for s in time calc files shell git; do
		[ -x "$SKILLS/$s/run" ]
		[ "$(ls "$SKILLS/$s"/tests/*.json | wc -l)" -ge 4 ]
	done
	jq -e -s 'all((.defaults | type == "object") and .parameters.type == "object"
		and (.parameters.properties | length > 0))' "$SKILLS"/*/config.json
	jq -e -s 'all((.args | type == "object") and (.expect | type == "object")
		and (.expect | keys | . == ["contains"] or . == ["equals"] or . == ["matches"]))' \
		"$SKILLS"/*/tests/*.json
}

@test "a request that is not JSON is refused with 65 by every skill" {
	local s
	for s in time calc files shell git; do
		skill "$s" 'not json'
		err 65
	done
}

# --- time ---

@test "time: convert between zones" {
	skill time '{"args": {"action": "convert", "time": "2024-07-01 09:30", "tz": "Europe/London", "to_tz": "America/Los_Angeles"}}'
	ok
	assert_equal "$text" "Monday 2024-07-01 09:30:00 BST (UTC+01:00, Europe/London) = Monday 2024-07-01 01:30:00 PDT (UTC-07:00, America/Los_Angeles)"
}

@test "time: add keeps the wall-clock hour across a DST change; negative amounts subtract" {
	skill time '{"args": {"action": "add", "time": "2024-03-30 12:00", "tz": "Europe/Paris", "amount": "3 days 4 hours"}}'
	ok
	assert_equal "$text" "3 days 4 hours from Saturday 2024-03-30 12:00:00 CET (UTC+01:00, Europe/Paris) is Tuesday 2024-04-02 16:00:00 CEST (UTC+02:00, Europe/Paris)"
	skill time '{"args": {"action": "add", "time": "2024-01-10 08:00", "amount": "-2 weeks, -90 minutes"}}'
	ok
	assert_regex "$text" " is Wednesday 2023-12-27 06:30:00 UTC \(UTC\+00:00, UTC\)$"
}

@test "time: diff in days, hours and minutes, negative when end comes first" {
	skill time '{"args": {"action": "diff", "time": "2024-02-28 10:00", "end": "2024-03-01 12:30"}}'
	ok
	assert_regex "$text" ": 2 days 2 hours 30 minutes \(50.50 hours, 2.10 days, 181800 seconds\)$"
	skill time '{"args": {"action": "diff", "time": "2024-03-01", "end": "2024-02-29"}}'
	ok
	assert_regex "$text" ": -1 day \(-24.00 hours, -1.00 days, -86400 seconds\)$"
}

@test "time: now in the configured zone, or in tz; a time with an offset is converted" {
	skill time '{"args": {}, "context": {"config": {"tz": "Asia/Kolkata"}}}'
	ok
	assert_regex "$text" '^[A-Z][a-z]+day 20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} IST \(UTC\+05:30, Asia/Kolkata\)$'
	skill time '{"args": {"time": "2024-01-01T12:00:00Z", "tz": "Asia/Tokyo"}}'
	ok
	assert_equal "$text" "Monday 2024-01-01 21:00:00 JST (UTC+09:00, Asia/Tokyo)"
}

@test "time: zones outside the tz database, free-text amounts and bad times are refused" {
	local z
	for z in ../../etc/passwd Mars/Olympus zone.tab; do
		skill time "{\"args\": {\"tz\": \"$z\"}}"
		err 65
		assert_equal "$msg" "$z: not an IANA time zone (e.g. Europe/Paris, America/New_York, UTC)"
	done
	skill time '{"args": {"action": "add", "time": "2024-01-01", "amount": "next friday"}}'
	err 65
	assert_regex "$msg" '^next friday: not an amount'
	skill time '{"args": {"action": "diff", "time": "2024-01-01"}}'
	err 65
	assert_equal "$msg" "diff needs end, the second time"
	skill time '{"args": {"time": "the 31st of never"}}'
	err 65
	assert_regex "$msg" '^the 31st of never: not a date or time'
	skill time '{"args": {"action": "fly"}}'
	err 65
}

# --- calc ---

@test "calc: integers of any size are exact" {
	calc '2^200'
	ok
	assert_equal "$text" 1606938044258990275541962092341162602522202993782792835301376
	calc '123456789012345678901234567890 * 987654321098765432109876543210'
	ok
	assert_equal "$text" 121932631137021795226185032733622923332237463801111263526900
}

@test "calc: decimals are exact; a decimal that does not end is cut at 20 places and marked" {
	calc '0.1+0.2'
	ok
	assert_equal "$text" 0.3
	calc '1/3'
	ok
	assert_equal "$text" "0.33333333333333333333…"
	calc '10/4*2 - 5.75'
	ok
	assert_equal "$text" -0.75
}

@test "calc: precedence, powers, remainder and sqrt" {
	local e want
	while read -r e want; do
		calc "$e"
		ok
		assert_equal "$text" "$want"
	done <<-'EOF'
		(1+2)*3^2 27
		-2^2 -4
		2**3^2 512
		2^-2 0.25
		-7%3 -1
		7.5%2 1.5
		sqrt(2) 1.4142135623730950488
		sqrt(1/9)*3 1
	EOF
}

@test "calc: division by zero, bad syntax and huge powers are errors" {
	local e
	for e in '5 % (3-3)' '0^-1'; do
		calc "$e"
		err 65
		assert_equal "$msg" "$e: division by zero"
	done
	calc '(1+2'
	err 65
	calc '2(3)'
	err 65
	calc '9^9^9'
	err 65
	assert_equal "$msg" "9^9^9: the result is too large"
	calc '2^0.5'
	err 65
}

@test "calc: anything but digits, operators, parentheses and sqrt is refused before parsing" {
	skill calc '{"args": {"expr": "system(\"touch x\")"}}'
	err 65
	assert_equal "$msg" "'s' is not allowed: use digits, . + - * / % ^ ( ) and sqrt()"
	calc '1; 2'
	err 65
	calc '__import__'
	err 65
	skill calc '{"args": {}}'
	err 65
	assert_regex "$msg" '^expr: missing'
}

# --- files ---

setup_files_tree() {
	T=$BATS_TEST_TMPDIR/t
	mkdir -p "$T/docs/sub" "$T/private"
	printf 'Hello world\nsecond line\n' >"$T/docs/notes.txt"
	printf 'hello again\n' >"$T/docs/sub/deep.txt"
	printf 'bin\000ary hello\n' >"$T/docs/blob.bin"
	echo "hello secret" >"$T/private/key.txt"
	ln -s ../private/key.txt "$T/docs/link"
	G="fs.read:$T/docs"
}

@test "files: list a granted directory; no path lists the grants" {
	setup_files_tree
	skill files "$(req "{\"path\": \"$T/docs\"}" "$G")"
	ok
	assert_equal "$text" "$T/docs/: 4 entries
blob.bin  14 bytes
link -> ../private/key.txt
notes.txt  24 bytes
sub/"
	skill files "$(req '{}' "$G" exec:/usr/bin/ls)"
	ok
	assert_equal "$text" "granted paths:
$T/docs"
}

@test "files: read a text file; binary files are not printed; big files are cut at 64 KiB" {
	setup_files_tree
	skill files "$(req "{\"action\": \"read\", \"path\": \"$T/docs/notes.txt\"}" "$G")"
	ok
	assert_equal "$text" "$T/docs/notes.txt: 24 bytes
Hello world
second line"
	skill files "$(req "{\"action\": \"read\", \"path\": \"$T/docs/blob.bin\"}" "$G")"
	err 65
	assert_equal "$msg" "$T/docs/blob.bin: a binary file (14 bytes), not shown"
	seq 100000 >"$T/docs/big.txt"
	skill files "$(req "{\"action\": \"read\", \"path\": \"$T/docs/big.txt\"}" "$G")"
	ok
	assert_equal "${text%%$'\n'*}" "$T/docs/big.txt: 588895 bytes, the first 65536 shown"
	[ "$(printf '%s' "${text#*$'\n'}" | wc -c)" -eq 65536 ]
}

@test "files: search fixed strings or regular expressions, with file and line numbers" {
	setup_files_tree
	skill files "$(req "{\"action\": \"search\", \"path\": \"$T/docs\", \"pattern\": \"hello\"}" "$G")"
	ok
	# Binary files are skipped; the symbolic link inside the tree is not followed.
	assert_equal "$text" "1 matching line for \"hello\" in $T/docs:
$T/docs/sub/deep.txt:1:hello again"
	skill files "$(req "{\"action\": \"search\", \"path\": \"$T/docs\", \"pattern\": \"^(hello|second)\", \"regex\": true, \"ignore_case\": true}" "$G")"
	ok
	assert_equal "$(sed 1d <<<"$text" | sort)" "$T/docs/notes.txt:1:Hello world
$T/docs/notes.txt:2:second line
$T/docs/sub/deep.txt:1:hello again"
	skill files "$(req "{\"action\": \"search\", \"path\": \"$T/docs\", \"pattern\": \"(\", \"regex\": true}" "$G")"
	err 65
	skill files "$(req "{\"action\": \"search\", \"path\": \"$T/docs\", \"pattern\": \"nowhere\"}" "$G")"
	ok
	assert_equal "$text" "no match for \"nowhere\" in $T/docs"
}

@test "files: search stops at 200 matching lines" {
	setup_files_tree
	seq 300 | sed 's/^/match /' >"$T/docs/many.txt"
	skill files "$(req "{\"action\": \"search\", \"path\": \"$T/docs/many.txt\", \"pattern\": \"match\"}" "$G")"
	ok
	assert_equal "$(grep -c '^' <<<"$text")" 201
	assert_regex "${text%%$'\n'*}" "^more than 200 matching lines"
}

@test "files: paths outside the grants are refused with 77 and the grant to ask for" {
	setup_files_tree
	local p
	for p in "$T/private/key.txt" "$T/docs/../private/key.txt" "$T/docs/link"; do
		skill files "$(req "{\"action\": \"read\", \"path\": \"$p\"}" "$G")"
		err 77
		assert_equal "$msg" "$T/private/key.txt: not granted; run: claw-skill grant files fs.read:$T/private/key.txt"
	done
	# A grant for a sibling whose name starts the same is not a grant for this one.
	skill files "$(req "{\"path\": \"$T/docs\"}" "fs.read:$T/doc" "fs.write:$T/private" "exec:$T/docs")"
	err 77
	skill files "$(req '{}')"
	err 77
	skill files "$(req "{\"path\": \"$T/docs/none\"}" "$G")"
	err 66
}

# --- shell ---

@test "shell: a granted program runs with its argv as given, never through a shell" {
	skill shell "$(req '{"argv": ["echo", "$(id)", ";", "*", "a b"]}' exec:/usr/bin/echo)"
	ok
	assert_equal "$text" "\$ echo '\$(id)' ';' '*' 'a b'
\$(id) ; * a b
[exit status 0]"
}

@test "shell: stderr and a failing status are part of the result" {
	skill shell "$(req '{"argv": ["ls", "/nonexistent-claw"]}' exec:/usr/bin/ls)"
	ok
	assert_regex "$text" "^\\\$ ls /nonexistent-claw
ls: cannot access '/nonexistent-claw': No such file or directory
\[exit status 2\]$"
}

@test "shell: a program not granted is refused with 77 and the grant command" {
	skill shell "$(req '{"argv": ["ls", "-l"]}' exec:/usr/bin/echo fs.read:/usr/bin/ls)"
	err 77
	assert_equal "$msg" "ls: not granted; run: claw-skill grant shell exec:/usr/bin/ls"
	skill shell "$(req '{"argv": ["/usr/bin/env", "ls"]}')"
	err 77
	assert_equal "$msg" "/usr/bin/env: not granted; run: claw-skill grant shell exec:/usr/bin/env"
	skill shell "$(req '{"argv": ["no-such-program-claw"]}')"
	err 69
	skill shell "$(req '{"argv": "ls -l"}')"
	err 65
}

@test "shell: output is cut at 64 KiB and the time limit stops the command" {
	skill shell "$(req '{"argv": ["yes"]}' exec:/usr/bin/yes)"
	ok
	assert_regex "$text" $'\n\\[output cut at 65536 bytes\\]\n\\[killed by signal 13 \\(SIGPIPE\\)\\]$'
	skill shell '{"args": {"argv": ["sleep", "5"]}, "context": {"config": {"timeout": 0.3}, "grants": ["exec:/usr/bin/sleep"]}}'
	ok
	assert_equal "$text" "\$ sleep 5
[stopped after 0.3 s: the time limit]"
}

# --- git ---

setup_repo() {
	R=$BATS_TEST_TMPDIR/repo
	export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
	git init -q -b main "$R"
	printf 'one\ntwo\n' >"$R/a.txt"
	git -C "$R" add a.txt
	git -C "$R" -c user.name=Ann -c user.email=ann@example.org commit -q -m "first commit"
	printf 'one\n2\nthree\n' >"$R/a.txt"
	echo b >"$R/b.txt"
	git -C "$R" add b.txt
	echo new >"$R/untracked.txt"
	G="fs.read:$R"
}

@test "git: status of a granted repository" {
	setup_repo
	skill git "$(req "{\"path\": \"$R\"}" "$G")"
	ok
	assert_equal "$text" "$R
## main
 M a.txt
A  b.txt
?? untracked.txt"
}

@test "git: log, newest first, count bounded" {
	setup_repo
	git -C "$R" -c user.name=Bob -c user.email=bob@example.org commit -q -m "second commit"
	skill git "$(req "{\"action\": \"log\", \"path\": \"$R\"}" "$G")"
	ok
	assert_regex "$text" "^$R: 2 commits, newest first
[0-9a-f]{7,} [0-9]{4}-[0-9]{2}-[0-9]{2} Bob: second commit
[0-9a-f]{7,} [0-9]{4}-[0-9]{2}-[0-9]{2} Ann: first commit$"
	skill git "$(req "{\"action\": \"log\", \"path\": \"$R\", \"count\": 1}" "$G")"
	ok
	assert_regex "$text" "^$R: 1 commit, newest first
[0-9a-f]+ [-0-9]+ Bob: second commit$"
	skill git "$(req "{\"action\": \"log\", \"path\": \"$R\", \"count\": 1000}" "$G")"
	err 65
}

@test "git: diff summarises staged and unstaged changes per file" {
	setup_repo
	skill git "$(req "{\"action\": \"diff\", \"path\": \"$R/\"}" "$G")"
	ok
	assert_equal "$text" "$R:
not staged: 1 file changed, 2 insertions(+), 1 deletion(-)
  +2 -1  a.txt
staged: 1 file changed, 1 insertion(+)
  +1 -0  b.txt
untracked: 1 file (action status lists them)"
}

@test "git: a clean tree and an empty repository say so" {
	setup_repo
	git -C "$R" add -A
	git -C "$R" -c user.name=Ann -c user.email=ann@example.org commit -q -m all
	skill git "$(req "{\"path\": \"$R\"}" "$G")"
	ok
	assert_equal "$text" "$R
## main
nothing to commit, working tree clean"
	skill git "$(req "{\"action\": \"diff\", \"path\": \"$R\"}" "$G")"
	ok
	assert_equal "$text" "$R:
no changes to tracked files"
	git init -q "$BATS_TEST_TMPDIR/empty"
	skill git "$(req "{\"action\": \"log\", \"path\": \"$BATS_TEST_TMPDIR/empty\"}" "fs.read:$BATS_TEST_TMPDIR")"
	ok
	assert_equal "$text" "$BATS_TEST_TMPDIR/empty: no commits yet"
}

@test "git: paths not granted, and a repository above the grant, are refused with 77" {
	setup_repo
	skill git "$(req "{\"path\": \"$R\"}" "fs.read:$BATS_TEST_TMPDIR/other")"
	err 77
	assert_equal "$msg" "$R: not granted; run: claw-skill grant git fs.read:$R"
	mkdir "$R/sub"
	skill git "$(req "{\"path\": \"$R/sub\"}" "fs.read:$R/sub")"
	err 77
	assert_equal "$msg" "$R/.git: the repository is not granted; run: claw-skill grant git fs.read:$R"
}

@test "git: a directory that is not a repository is an error" {
	mkdir "$BATS_TEST_TMPDIR/plain"
	export GIT_CEILING_DIRECTORIES=$BATS_TEST_TMPDIR
	skill git "$(req "{\"action\": \"status\", \"path\": \"$BATS_TEST_TMPDIR/plain\"}" "fs.read:$BATS_TEST_TMPDIR")"
	err 65
	assert_equal "$msg" "$BATS_TEST_TMPDIR/plain: not a git repository"
	skill git "$(req "{\"action\": \"blame\", \"path\": \"$BATS_TEST_TMPDIR/plain\"}" "fs.read:$BATS_TEST_TMPDIR")"
	err 65
}
