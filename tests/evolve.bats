#!/usr/bin/env bats
# claw-evolve: cycles against tests/fakeprovider.py returning canned proposals, the real
# claw-chat, claw-skill and claw-sandbox, and a skill in $CLAW_HOME/skills.

load helper

setup_file() {
	fakeprovider_home model=generic/test-model chat.retries=0
}

teardown_file() {
	fakeprovider_stop
}

setup() {
	fakeprovider_setup
	greet_broken
}

nreq() { wc -l < "$FAKE_DIR/log" | tr -d ' '; }
db() { sqlite3 "$CLAW_HOME/claw.db" "$@"; }

# greet: a skill whose program is broken, with one test that wants "hello Ann".
greet_broken() {
	local d=$CLAW_HOME/skills/greet
	rm -rf "$d"
	mkdir -p "$d/tests"
	printf -- '---\nname: greet\ndescription: Greets someone by name.\npermissions: []\ntimeout: 10\n---\nGreets.\n' >"$d/SKILL.md"
	printf '#!/bin/sh\necho '"'"'{"type":"error","message":"broken"}'"'"'\nexit 1\n' >"$d/run"
	chmod 755 "$d/run"
	echo '{"args":{"name":"Ann"},"expect":{"equals":"hello Ann"}}' >"$d/tests/ann.json"
}

# A run of greet that fails: the signal a repair answers.
greet_fails() { claw-skill run greet name=Ann >/dev/null 2>&1 || true; }

# The run program that works, in sh alone (the sandbox runs nothing else for it).
GOOD_RUN='#!/bin/sh
read -r line
name=${line#*\"name\":\"}
name=${name%%\"*}
printf '"'"'{"type":"result","text":"hello %s"}\n'"'"' "$name"
'

# propose JSON: the fake model's next answer is the text JSON.
propose() { jq -cn --arg t "$1" '{text: $t}' >>"$FAKE_DIR/script"; }
# A proposal for skill $1 of files given as path=text pairs (run is executable).
proposal() {
	local skill=$1 f files='[]'
	shift
	for f in "$@"; do
		files=$(jq -c --arg p "${f%%=*}" --arg t "${f#*=}" \
		    '. + [{path: $p, text: $t, executable: ($p == "run")}]' <<<"$files")
	done
	jq -cn --arg s "$skill" --argjson f "$files" '{skill: $s, summary: "canned", files: $f}'
}

# --- assess: nothing to do costs nothing ---

@test "a cycle with no new signal: idle, exit 0, no model call, a row and an event" {
	run -0 claw-evolve cycle
	assert_output --regexp $'^cycle\t1\tidle\tno new signal$'
	[ "$(nreq)" = 0 ]
	[ "$(db "SELECT outcome FROM cycles")" = idle ]
	[ "$(db "SELECT count(*) FROM events WHERE program = 'claw-evolve' AND kind = 'cycle'")" = 1 ]
	run -0 claw-evolve cycle --json
	assert_output --partial '"outcome":"idle"'
	[ "$(nreq)" = 0 ]
}

@test "signals seen by one cycle are not seen again by the next" {
	greet_fails
	propose "$(proposal greet "run=$GOOD_RUN")"
	run -0 claw-evolve cycle --strategy repair
	run -0 claw-evolve cycle
	assert_output --partial idle
	[ "$(nreq)" = 1 ]
}

@test "--dry-run shows signals, draw, gene, skill and prompt; no model call, no row" {
	greet_fails
	claw-evolve suggest "count the words of a text" >/dev/null
	run -0 claw-evolve cycle --dry-run --seed 1 --json
	assert_line --partial '"type":"signal","kind":"failed","skill":"greet"'
	assert_line --partial '"kind":"wish"'
	assert_line --regexp '^\{"type":"strategy","strategy":"(innovate|repair|optimize)","u":'
	assert_line --regexp '^\{"type":"gene","id":"gene_gep_'
	assert_line --regexp '^\{"type":"prompt","text":"Strategy: '
	[ "$(nreq)" = 0 ]
	[ "$(db "SELECT count(*) FROM cycles")" = 0 ]
	run -0 claw-evolve cycle --dry-run --strategy repair --json
	assert_line --partial '"type":"skill","name":"greet","base":"home"'
	assert_output --partial 'FILE run (executable)'
	assert_output --partial 'not ok 1 - ann.json'
}

@test "--seed makes the draw reproducible" {
	greet_fails
	local a b s seen=
	for s in 1 2 3 4 5 6 7 8 9 10; do
		a=$(claw-evolve cycle --dry-run --seed "$s" --json | jq -r 'select(.type == "strategy") | .strategy')
		b=$(claw-evolve cycle --dry-run --seed "$s" --json | jq -r 'select(.type == "strategy") | .strategy')
		[ "$a" = "$b" ] || fail "seed $s: $a then $b"
		seen+=" $a"
	done
	[[ $seen == *innovate* && $seen == *repair* ]] || fail "ten seeds drew only:$seen"
	CLAW_EVOLVE_INNOVATION=0 run -0 claw-evolve cycle --dry-run --seed 1
	assert_line $'strategy\trepair'
	CLAW_EVOLVE_INNOVATION=1 run -0 claw-evolve cycle --dry-run --seed 1
	assert_line $'strategy\tinnovate'
}

# --- the outcomes ---

@test "a good repair is applied: the tests pass, the next real run succeeds, list marks it" {
	cp -a "$CLAW_HOME/skills/greet" "$BATS_TEST_TMPDIR/old"
	greet_fails
	propose "$(proposal greet "run=$GOOD_RUN")"
	run -0 --separate-stderr claw-evolve cycle --strategy repair --json
	assert_line --regexp '"type":"cycle","id":1,"outcome":"applied".*"files":1,"lines":6'
	[ "$(nreq)" = 1 ]
	# The prompt carried the skill's files, the signal and the tests' report.
	sed -n 1p "$FAKE_DIR/log" | jq -e '.body.messages[-1].content | contains("FILE run") and
	    contains("\"kind\":\"failed\"") and contains("ann.json")' >/dev/null
	run -0 claw-skill run greet name=Ann
	assert_output '{"type":"result","text":"hello Ann"}'
	run -0 claw-skill list
	assert_line --regexp $'^greet\tprogram\tok\t.*\tevolved$'
	run -0 claw-skill list --json
	assert_output --partial '"evolved":true'
	# From list's copy (claw.db-skills) too; and a connection that is not claw's
	# cannot unmark it behind the copy: the token's trigger needs claw's function.
	run -0 claw-skill list
	assert_line --regexp $'^greet\tprogram\tok\t.*\tevolved$'
	[ -f "$CLAW_HOME/claw.db-skills" ]
	run db "UPDATE cycles SET outcome = 'rolled-back' WHERE id = 1"
	assert_failure
	assert_output --partial claw_config_touch
	run -0 claw-skill list
	assert_line --regexp $'^greet\tprogram\tok\t.*\tevolved$'
	# The previous version is kept; the scratch copy is gone.
	diff -r "$BATS_TEST_TMPDIR/old" "$CLAW_HOME/evolve/1/old/greet"
	[ ! -e "$CLAW_HOME/evolve/1/new" ]
	run -0 claw-evolve history --json
	echo "$output" | jq -se 'map(select(.id == 1))[0] | .parent == null and .strategy == "repair" and
	    .gene == "gene_gep_repair_from_errors" and .base == "home" and
	    (.report | contains("ok 1 - ann.json")) and (.report | contains("canary")) and
	    .priority > 0.5 and (.signals[0].kind == "failed")' >/dev/null
}

@test "show prints a diff that patch -p1 applies to the old version; rollback restores it exactly" {
	cp -a "$CLAW_HOME/skills/greet" "$BATS_TEST_TMPDIR/old"
	greet_fails
	propose "$(proposal greet "run=$GOOD_RUN" "assets/note.txt=no newline at the end")"
	run -0 claw-evolve cycle --strategy repair
	cp -a "$CLAW_HOME/skills/greet" "$BATS_TEST_TMPDIR/new"
	mkdir "$BATS_TEST_TMPDIR/p"
	cp -a "$BATS_TEST_TMPDIR/old" "$BATS_TEST_TMPDIR/p/greet"
	claw-evolve show 1 >"$BATS_TEST_TMPDIR/change.diff"
	(cd "$BATS_TEST_TMPDIR/p" && patch -s -p1 <"$BATS_TEST_TMPDIR/change.diff")
	diff -r "$BATS_TEST_TMPDIR/new" "$BATS_TEST_TMPDIR/p/greet"
	run -0 claw-evolve rollback 1
	assert_output $'rolled back\t1\tgreet'
	diff -r "$BATS_TEST_TMPDIR/old" "$CLAW_HOME/skills/greet"
	[ "$(stat -c %a "$CLAW_HOME/skills/greet/run")" = 755 ]
	run claw-skill run greet name=Ann
	assert_output --partial broken
	[ "$(db "SELECT outcome FROM cycles WHERE id = 1")" = rolled-back ]
	run -0 claw-skill list
	refute_output --partial evolved
	run claw-evolve rollback 1
	assert_failure 65
}

@test "rollback refuses, naming them, while later cycles changed the same skill" {
	greet_fails
	propose "$(proposal greet "run=$GOOD_RUN")"
	run -0 claw-evolve cycle --strategy repair
	greet_fails
	claw-skill run greet name=Ann >/dev/null
	claw-skill run greet '{"nope":1}' >/dev/null 2>&1 || true
	db "INSERT INTO events(ts, program, kind, ms, ok, detail) VALUES(0, 'claw-skill', 'run', 5, 0, '{\"skill\":\"greet\",\"exit\":1}')"
	propose "$(proposal greet "run=$GOOD_RUN# second
")"
	run -0 claw-evolve cycle --strategy repair
	assert_output --partial applied
	run --separate-stderr claw-evolve rollback 1
	assert_failure 65
	assert_equal "$stderr" "claw-evolve: cycle 1: later cycles changed greet: 2 (roll them back first)"
	run -0 claw-evolve rollback 2
	run -0 claw-evolve rollback 1
	run claw-skill run greet name=Ann
	assert_output --partial broken
}

@test "a wish becomes a new skill with its tests, and it starts with no grants" {
	claw-evolve suggest "a skill that says hello to a name" >/dev/null
	propose "$(proposal hello \
	    "SKILL.md=---
name: hello
description: Says hello.
permissions: []
---
Says hello.
" "run=$GOOD_RUN" 'tests/bob.json={"args":{"name":"Bob"},"expect":{"equals":"hello Bob"}}')"
	run -0 claw-evolve cycle --strategy innovate --json
	assert_line --partial '"outcome":"applied"'
	sed -n 1p "$FAKE_DIR/log" | jq -e '.body.messages[-1].content |
	    contains("a skill that says hello") and contains("do not reuse a name): greet")' >/dev/null
	run -0 claw-skill run hello name=Bob
	assert_output '{"type":"result","text":"hello Bob"}'
	run -0 claw-skill grants hello
	assert_output ""
	[ "$(db "SELECT base FROM cycles WHERE id = 1")" = new ]
	run -0 claw-evolve show 1
	assert_line '--- /dev/null'
	assert_line '+++ b/hello/run'
	run -0 claw-evolve rollback 1
	run claw-skill run hello name=Bob
	assert_failure 66
}

@test "an innovation without tests, or reusing a name, is refused" {
	claw-evolve suggest "anything" >/dev/null
	propose "$(proposal hello $'SKILL.md=---\nname: hello\ndescription: d\n---\n' "run=$GOOD_RUN")"
	run --separate-stderr claw-evolve cycle --strategy innovate
	assert_failure 65
	assert_output --partial $'refused\tthe new version has no tests'
	[ ! -e "$CLAW_HOME/skills/hello" ]
	claw-evolve suggest "more" >/dev/null
	propose "$(proposal greet "run=$GOOD_RUN")"
	run claw-evolve cycle --strategy innovate
	assert_failure 65
	assert_output --partial 'greet: exists already'
}

@test "an oversize change is refused and the skill stays as it was" {
	cp -a "$CLAW_HOME/skills/greet" "$BATS_TEST_TMPDIR/old"
	greet_fails
	claw config set evolve.max_lines=5
	propose "$(proposal greet "run=$GOOD_RUN")"
	run --separate-stderr claw-evolve cycle --strategy repair
	assert_failure 65
	assert_output --partial 'blast radius: 1 files and 6 lines is over 25 and 5'
	diff -r "$BATS_TEST_TMPDIR/old" "$CLAW_HOME/skills/greet"
	claw config unset evolve.max_lines
	claw-evolve genes set gene_gep_repair_from_errors --max-files 1 >/dev/null
	greet_fails
	propose "$(proposal greet "run=$GOOD_RUN" "a.txt=x")"
	run claw-evolve cycle --strategy repair
	assert_failure 65
	assert_output --partial 'blast radius: 2 files and 7 lines is over 1 and 2000'
	diff -r "$BATS_TEST_TMPDIR/old" "$CLAW_HOME/skills/greet"
}

@test "a change that breaks the tests is rolled back: nothing changes, the gene loses priority" {
	cp -a "$CLAW_HOME/skills/greet" "$BATS_TEST_TMPDIR/old"
	greet_fails
	propose "$(proposal greet $'run=#!/bin/sh\necho \'{"type":"result","text":"hi"}\'\n')"
	run --separate-stderr claw-evolve cycle --strategy repair
	assert_failure 1
	assert_output --regexp $'cycle\t1\tfailed\ttests failed'
	diff -r "$BATS_TEST_TMPDIR/old" "$CLAW_HOME/skills/greet"
	[ ! -e "$CLAW_HOME/evolve/1/new" ]
	[ "$(db "SELECT count(*) FROM skills WHERE dir LIKE '%/evolve/%'")" = 0 ]
	run -0 db "SELECT report FROM cycles WHERE id = 1"
	assert_output --partial 'not ok 1 - ann.json'
	run -0 db "SELECT priority FROM genes WHERE id = 'gene_gep_repair_from_errors'"
	assert_output 0.4
	run -0 claw-evolve genes list
	assert_line $'\tfailed\t0.4000\tcycle 1'
}

@test "protected: paths out of the skill, gene-protected paths, wider permissions, a symlink" {
	cp -a "$CLAW_HOME/skills/greet" "$BATS_TEST_TMPDIR/old"
	local p want
	for p in '../time/run' '/etc/passwd' 'tests/../../x' '.hidden' 'a//b'; do
		greet_fails
		propose "$(proposal greet "$p=x")"
		run --separate-stderr claw-evolve cycle --strategy repair
		assert_failure 65
		assert_output --partial refused
		diff -r "$BATS_TEST_TMPDIR/old" "$CLAW_HOME/skills/greet"
	done
	greet_fails
	propose "$(proposal greet $'SKILL.md=---\nname: greet\ndescription: d\npermissions: [net]\n---\n' "run=$GOOD_RUN")"
	run claw-evolve cycle --strategy repair
	assert_failure 65
	assert_output --partial 'protected: the change widens the permissions (net)'
	greet_fails
	propose '{"skill":"greet","files":[{"path":"run","symlink":"/bin/sh"}]}'
	run claw-evolve cycle --strategy repair
	assert_failure 65
	assert_output --partial 'symbolic links are refused'
	greet_fails
	claw-evolve genes set gene_gep_repair_from_errors --protected tests >/dev/null
	propose "$(proposal greet "run=$GOOD_RUN" 'tests/ann.json={"args":{}}')"
	run claw-evolve cycle --strategy repair
	assert_failure 65
	assert_output --partial 'tests/ann.json: protected by gene gene_gep_repair_from_errors'
	greet_fails
	propose "$(proposal time "run=$GOOD_RUN")"
	run claw-evolve cycle --strategy repair
	assert_failure 65
	assert_output --partial 'protected: the proposal changes time, not greet'
	diff -r "$BATS_TEST_TMPDIR/old" "$CLAW_HOME/skills/greet"
	[ "$(db "SELECT count(*) FROM cycles WHERE outcome = 'refused'")" = 9 ]
}

@test "a skill holding a symlink, or found through CLAW_SKILLS_PATH, is never changed" {
	ln -s /etc/hostname "$CLAW_HOME/skills/greet/link"
	greet_fails
	propose "$(proposal greet "run=$GOOD_RUN")"
	run claw-evolve cycle --strategy repair
	assert_failure 65
	assert_output --partial 'protected'
	assert_output --partial 'symbolic link'
	[ "$(nreq)" = 0 ]
	rm "$CLAW_HOME/skills/greet/link"
	mkdir -p "$BATS_TEST_TMPDIR/path"
	mv "$CLAW_HOME/skills/greet" "$BATS_TEST_TMPDIR/path/"
	export CLAW_SKILLS_PATH=$BATS_TEST_TMPDIR/path
	greet_fails
	run claw-evolve cycle --strategy repair
	assert_failure 77
	assert_output --partial 'CLAW_SKILLS_PATH'
	[ "$(nreq)" = 0 ]
}

@test "malformed answers are refused: not JSON, not an object, no files, bad types" {
	local a
	for a in 'I would change the run file.' '{"skill":"greet","files":[' '[1,2]' \
	    '{"skill":"greet"}' '{"skill":"greet","files":[]}' '{"skill":"Greet!","files":[{"path":"run","text":"x"}]}' \
	    '{"skill":"greet","files":[{"path":"run"}]}' '{"skill":"greet","files":[{"path":"run","text":1}]}' \
	    '{"skill":"greet","files":[{"path":"run","text":"a","remove":true}]}' \
	    '{"skill":"greet","files":[{"path":"run","text":"a\u0000b"}]}' \
	    '{"skill":"greet","files":[{"path":"run","text":"a"},{"path":"run","text":"b"}]}'; do
		greet_fails
		propose "$a"
		run --separate-stderr claw-evolve cycle --strategy repair
		[ "$status" = 65 ] || fail "$a: exit $status: $stderr"
		assert_output --partial refused
	done
	# A fenced object is the one other shape taken.
	greet_fails
	propose "$(printf '```json\n%s\n```' "$(proposal greet "run=$GOOD_RUN")")"
	run -0 claw-evolve cycle --strategy repair
	assert_output --partial applied
}

@test "a model error changes nothing and the gene keeps its priority" {
	cp -a "$CLAW_HOME/skills/greet" "$BATS_TEST_TMPDIR/old"
	greet_fails
	echo '{"status": 400, "error_message": "bad request"}' >>"$FAKE_DIR/script"
	run --separate-stderr claw-evolve cycle --strategy repair
	assert_failure
	[ "$status" != 65 ] && [ "$status" != 0 ]
	assert_output --regexp $'cycle\t1\terror\tthe model: '
	diff -r "$BATS_TEST_TMPDIR/old" "$CLAW_HOME/skills/greet"
	[ "$(db "SELECT priority FROM genes WHERE id = 'gene_gep_repair_from_errors'")" = 0.5 ]
}

# --- never overlapping, never half-done ---

@test "two cycles started at once: one runs, the other exits 75 at once" {
	greet_fails
	jq -cn --arg t "$(proposal greet "run=$GOOD_RUN")" '{text: $t, delay_ms: 3000}' >>"$FAKE_DIR/script"
	claw-evolve cycle --strategy repair >"$BATS_TEST_TMPDIR/first" 2>&1 &
	local pid=$! i
	for i in $(seq 200); do
		[ "$(db "SELECT count(*) FROM cycles WHERE outcome = 'running'" 2>/dev/null)" = 1 ] && break
		sleep 0.05
	done
	run --separate-stderr claw-evolve cycle
	assert_failure 75
	assert_equal "$stderr" "claw-evolve: another cycle is running (try again later)"
	wait "$pid"
	grep -q applied "$BATS_TEST_TMPDIR/first"
}

@test "kill -9 at every step leaves the skill exactly old or exactly new; the next cycle cleans up" {
	local step
	for step in locked recorded answered scratch validated exchanged swapped; do
		rm -rf "$CLAW_HOME"
		cp -a "$FAKE_DIR/home" "$CLAW_HOME"
		greet_broken
		cp -a "$CLAW_HOME/skills/greet" "$BATS_TEST_TMPDIR/old"
		greet_fails
		: >"$FAKE_DIR/script"
		propose "$(proposal greet "run=$GOOD_RUN")"
		CLAW_EVOLVE_CRASH=$step run claw-evolve cycle --strategy repair
		[ "$status" = 137 ] || fail "$step: exit $status: $output"
		if ! diff -r "$BATS_TEST_TMPDIR/old" "$CLAW_HOME/skills/greet" >/dev/null; then
			[ "$step" = exchanged ] || [ "$step" = swapped ] || fail "$step: changed"
			cmp -s <(printf '%s' "$GOOD_RUN") "$CLAW_HOME/skills/greet/run" ||
				fail "$step: neither old nor new"
		fi
		# The next cycle finishes the dead one; one killed before it recorded
		# anything left its signals for this one, which repairs.
		: >"$FAKE_DIR/script"
		propose "$(proposal greet "run=$GOOD_RUN")"
		run -0 claw-evolve cycle --strategy repair
		compgen -G "$CLAW_HOME/evolve/*/new" >/dev/null && fail "$step: a scratch copy is left"
		[ "$(db "SELECT count(*) FROM cycles WHERE outcome = 'running'")" = 0 ] ||
			fail "$step: a cycle is still running"
		[ "$(db "SELECT count(*) FROM skills WHERE dir LIKE '%/evolve/%'")" = 0 ] ||
			fail "$step: the index holds the scratch copy"
		case $step in
		exchanged | swapped)
			[ "$(db "SELECT outcome FROM cycles WHERE id = 1")" = applied ] || fail "$step"
			run -0 claw-skill run greet name=Ann
			diff -r "$BATS_TEST_TMPDIR/old" "$CLAW_HOME/evolve/1/old/greet"
			run -0 claw-evolve rollback 1
			diff -r "$BATS_TEST_TMPDIR/old" "$CLAW_HOME/skills/greet" ;;
		locked)
			[ "$(db "SELECT group_concat(outcome) FROM cycles")" = applied ] || fail "$step"
			run -0 claw-skill run greet name=Ann ;;
		*)
			[ "$(db "SELECT outcome FROM cycles WHERE id = 1")" = interrupted ] || fail "$step"
			diff -r "$BATS_TEST_TMPDIR/old" "$CLAW_HOME/skills/greet" ;;
		esac
		rm -rf "$BATS_TEST_TMPDIR/old"
	done
}

# --- genes, suggest, usage ---

@test "genes: the seed's pool, add, set, remove; priorities stay in [0, 1]" {
	run -0 claw-evolve genes
	assert_line --index 0 --regexp $'^gene_gep_innovate_from_opportunity\tinnovate\t0.9840\t'
	run -0 claw-evolve genes list --json
	[ "${#lines[@]}" = 3 ]
	echo "${lines[0]}" | jq -e '.priority == 0.984 and .category == "innovate"' >/dev/null
	run -0 claw-evolve genes add my_gene --category optimize --signals slow,timeout --priority 0.7 \
	    --max-files 2 --max-lines 50 --protected assets,tests
	run -0 claw-evolve genes list --json
	echo "$output" | jq -se 'map(select(.id == "my_gene"))[0] | .signals == ["slow","timeout"] and
	    .max_files == 2 and .protected == ["assets","tests"] and .history[0].why == "added"' >/dev/null
	run claw-evolve genes add my_gene --category optimize --signals slow
	assert_failure 73
	run -0 claw-evolve genes set my_gene --priority 1
	run claw-evolve genes set my_gene --priority 1.5
	assert_failure 64
	run claw-evolve genes set my_gene --category nonsense
	assert_failure 64
	run claw-evolve genes set nosuch --priority 0.1
	assert_failure 66
	run -0 claw-evolve genes remove my_gene
	run claw-evolve genes remove my_gene
	assert_failure 66
	run claw-evolve genes add x --signals slow
	assert_failure 64
}

@test "with every gene of a category at priority 0, a cycle is skipped without a model call" {
	greet_fails
	claw-evolve genes set gene_gep_repair_from_errors --priority 0 >/dev/null
	run -0 claw-evolve cycle --strategy repair
	assert_output --partial $'skipped\tno repair gene matches the signals'
	[ "$(nreq)" = 0 ]
}

@test "usage and bad words: exit 64; unknown cycles 66; rolling back what was not applied 65" {
	local a
	for a in "cycle --strategy sideways" "cycle --seed -1" "cycle --seed x" "cycle extra" \
	    "show" "show abc" "show 0" "rollback" "history --bogus" "genes list --yaml" "suggest"; do
		run --separate-stderr claw-evolve $a
		[ "$status" = 64 ] || fail "claw-evolve $a: exit $status"
	done
	run claw-evolve show 9
	assert_failure 66
	run -0 claw-evolve cycle
	run claw-evolve show 1
	assert_failure 1
	run --separate-stderr claw-evolve rollback 1
	assert_failure 65
	assert_equal "$stderr" "claw-evolve: cycle 1: idle, not applied: nothing to roll back"
	run -0 claw-evolve suggest "a" "wish"
	assert_output 1
	[ "$(db "SELECT text FROM suggest")" = "a wish" ]
}

@test "a call of a missing skill is recorded, and an innovation names it" {
	run claw-skill run wordcount text=hi
	assert_failure 66
	[ "$(db "SELECT detail FROM events WHERE kind = 'missing'")" = '{"skill":"wordcount"}' ]
	run -0 claw-evolve cycle --dry-run --strategy innovate
	assert_line --regexp $'^signal\tmissing_skill\twordcount\t1'
	assert_output --partial 'Propose a new skill named wordcount'
}

@test "a tool a chat model named that does not exist is a missing_skill signal, name mapped back" {
	# wordDcount is how claw-chat would send word.count on the wire; nosuch is invented.
	jq -cn '{tool_calls: [{id: "c1", name: "wordDcount", arguments: "{\"text\":\"hi\"}"},
	    {id: "c2", name: "no such", arguments: "{}"}]}' >>"$FAKE_DIR/script"
	echo '{"text":"I cannot count words."}' >>"$FAKE_DIR/script"
	run -0 claw-chat -s ask "count the words of hi"
	[ "$(db "SELECT count(*) FROM events WHERE kind = 'tool_refused'")" = 2 ]
	db "SELECT detail FROM events WHERE kind = 'tool_refused' ORDER BY id LIMIT 1" |
	    jq -e '.name == "wordDcount" and .skill == "word.count" and .tools == true'
	run -0 claw-evolve cycle --dry-run --strategy innovate --json
	assert_line --partial '"type":"signal","kind":"missing_skill","skill":"word.count","count":1'
	# A name no skill could have is shown, but names nothing to make.
	assert_line --partial '"kind":"missing_skill","skill":"","count":1,"detail":"no such"'
	assert_output --partial 'Propose a new skill named word.count'
}

@test "a tool call in a --no-tools turn (claw-evolve's own) is no signal" {
	jq -cn '{tool_calls: [{id: "c1", name: "wordcount", arguments: "{}"}]}' >>"$FAKE_DIR/script"
	echo '{"text":"fine"}' >>"$FAKE_DIR/script"
	run -0 claw-chat --no-tools -s nt hi
	db "SELECT detail FROM events WHERE kind = 'tool_refused'" | jq -e '.tools == false'
	run -0 claw-evolve cycle --dry-run
	assert_output $'cycle\tidle'
}

@test "a failed run from a chat: the repair prompt has its error text and its arguments" {
	jq -cn '{tool_calls: [{id: "c1", name: "greet", arguments: "{\"name\":\"Ann\"}"}]}' \
	    >>"$FAKE_DIR/script"
	echo '{"text":"greet is broken"}' >>"$FAKE_DIR/script"
	run -0 claw-chat -s g "greet Ann"
	# The run's event keeps the skill's error message, never its arguments.
	db "SELECT detail FROM events WHERE program = 'claw-skill' AND kind = 'run'" |
	    jq -e '. == {skill: "greet", exit: 1, error: "broken"}'
	run -0 claw-evolve cycle --dry-run --strategy repair --json
	assert_line --partial '"kind":"failed","skill":"greet","count":1'
	echo "$output" | jq -e -s 'map(select(.type == "signal"))[0] |
	    .error == "broken" and .arguments == "{\"name\":\"Ann\"}"'
	echo "$output" | jq -e -s 'map(select(.type == "prompt"))[0].text |
	    contains("\"error\":\"broken\"") and contains("\"arguments\":\"{\\\"name\\\":\\\"Ann\\\"}\"")'
	# Stored messages of any shape never fail the lookup.
	db "INSERT INTO messages(session, ts, role, body) SELECT session, ts, 'assistant', b
	    FROM messages, (SELECT 'not json' AS b UNION SELECT '{\"tool_calls\":[\"x\",1]}'
	    UNION SELECT '[1]') WHERE role = 'user'"
	db "INSERT INTO messages(session, ts, role, body) SELECT session, ts, 'tool', 'x'
	    FROM messages WHERE role = 'user'"
	# A run not from a chat has its error text and no arguments.
	greet_fails
	run -0 claw-evolve cycle --dry-run --strategy repair --json
	echo "$output" | jq -e -s 'map(select(.type == "signal"))[0] |
	    .count == 2 and .error == "broken" and (has("arguments") | not)'
}

@test "a failed run's error text in its event is bounded, cut at a character" {
	local d=$CLAW_HOME/skills/greet long
	long=$(printf 'é%.0s' $(seq 400))
	printf '#!/bin/sh\necho '"'"'{"type":"error","message":"%s"}'"'"'\necho '"'"'{"type":"error","message":"second"}'"'"'\nexit 1\n' "$long" >"$d/run"
	greet_fails
	db "SELECT detail FROM events WHERE program = 'claw-skill' AND kind = 'run'" |
	    jq -e '.error | (utf8bytelength == 300) and test("^é+$")'
	run -0 claw-evolve cycle --dry-run --strategy repair --json
	echo "$output" | jq -e -s 'map(select(.type == "signal"))[0].error | test("^é+$")'
}

@test "a built-in skill is never changed in place: the repair goes into \$CLAW_HOME/skills" {
	# An installed layout: the programs in bin/, the built-in skills in share/claw/skills.
	local inst=$BATS_TEST_TMPDIR/inst
	mkdir -p "$inst/bin" "$inst/share/claw/skills"
	cp "$CLAW_BIN"/claw-* "$CLAW_BIN/claw" "$inst/bin/"
	mv "$CLAW_HOME/skills/greet" "$inst/share/claw/skills/"
	cp -a "$inst/share/claw/skills/greet" "$BATS_TEST_TMPDIR/old"
	"$inst/bin/claw-skill" run greet name=Ann >/dev/null 2>&1 || true
	propose "$(proposal greet "run=$GOOD_RUN")"
	run -0 "$inst/bin/claw-evolve" cycle --strategy repair --json
	assert_line --partial '"outcome":"applied"'
	diff -r "$BATS_TEST_TMPDIR/old" "$inst/share/claw/skills/greet"
	[ "$(db "SELECT base FROM cycles WHERE id = 1")" = builtin ]
	run -0 "$inst/bin/claw-skill" run greet name=Ann
	assert_output '{"type":"result","text":"hello Ann"}'
	run -0 "$inst/bin/claw-skill" info greet
	assert_line $'dir\t'"$CLAW_HOME/skills/greet"
	run -0 "$inst/bin/claw-evolve" rollback 1
	[ ! -e "$CLAW_HOME/skills/greet" ]
	run "$inst/bin/claw-skill" run greet name=Ann
	assert_output --partial broken
}
