#!/usr/bin/env bats
# claw-skill: discovery, the index, commands, grants, installs, and every sandbox
# layer stopping a hostile skill (tests/fixtures/skills/probe).

load helper

FIX="$BATS_TEST_DIRNAME/fixtures/skills"
OPENCLAW="${CLAW_SRC:-$BATS_TEST_DIRNAME/..}/../shared/fixtures/openclaw-skills"

setup() {
	claw_setup
	export CLAW_SKILLS_PATH="$FIX:$BATS_TEST_DIRNAME/../skills"
}

layer() { claw-sandbox --check | awk -F'\t' -v l="$1" '$1 == l { print $2 }'; }

# --- discovery and the index ---

@test "every OpenClaw fixture parses; list says what each one is missing" {
	[ -d "$OPENCLAW" ] || skip "no fixtures at $OPENCLAW"
	CLAW_SKILLS_PATH="$OPENCLAW" run -0 claw-skill list
	[ "${#lines[@]}" -ge 51 ]
	refute_output --partial "broken"
	assert_line --regexp $'^github\tinstructions\tbins: gh\t'
	assert_line --regexp $'^apple-notes\tinstructions\t.*os: darwin'
	CLAW_SKILLS_PATH="$OPENCLAW" run -0 claw-skill check
	refute_output --partial broken
}

@test "list --json: one object per skill, built-ins included, parameters from config.json" {
	run -0 claw-skill list --json
	echo "$output" | jq -e -s 'all(.type == "skill") and (map(.name) | index("calc") != null)'
	echo "$output" | jq -e -s 'map(select(.name == "calc"))[0] | .kind == "program" and .eligible and .parameters.type == "object"'
	echo "$output" | jq -e -s 'map(select(.name == "translate"))[0] | .kind == "instructions"'
}

@test "the index re-reads only skills whose files changed" {
	mkdir -p "$BATS_TEST_TMPDIR/s/alpha"
	printf -- '---\ndescription: first words\n---\n' > "$BATS_TEST_TMPDIR/s/alpha/SKILL.md"
	export CLAW_SKILLS_PATH="$BATS_TEST_TMPDIR/s"
	run -0 claw-skill list
	assert_output --partial "first words"
	# Same size and mtime, other bytes: the index must not notice (nothing re-read).
	touch -r "$BATS_TEST_TMPDIR/s/alpha/SKILL.md" "$BATS_TEST_TMPDIR/stamp"
	printf -- '---\ndescription: other words\n---\n' > "$BATS_TEST_TMPDIR/s/alpha/SKILL.md"
	touch -r "$BATS_TEST_TMPDIR/stamp" "$BATS_TEST_TMPDIR/s/alpha/SKILL.md"
	run -0 claw-skill list
	assert_output --partial "first words"
	# A real change is seen.
	printf -- '---\ndescription: changed words here\n---\n' > "$BATS_TEST_TMPDIR/s/alpha/SKILL.md"
	run -0 claw-skill list
	assert_output --partial "changed words here"
	# A removed skill leaves the index.
	rm -r "$BATS_TEST_TMPDIR/s/alpha"
	run -0 claw-skill list
	refute_output --partial alpha
	[ "$(sqlite3 "$CLAW_HOME/claw.db" "select count(*) from skills where name = 'alpha'")" = 0 ]
}

@test "the first skill of a name wins; info shows what it shadows" {
	mkdir -p "$BATS_TEST_TMPDIR/a/calc"
	printf -- '---\ndescription: my own calc\n---\n' > "$BATS_TEST_TMPDIR/a/calc/SKILL.md"
	CLAW_SKILLS_PATH="$BATS_TEST_TMPDIR/a:$BATS_TEST_DIRNAME/../skills" run -0 claw-skill info calc
	assert_line $'description\tmy own calc'
	assert_line --regexp $'^shadows\t.*/skills/calc$'
}

@test "a broken SKILL.md is listed as broken and check fails" {
	mkdir -p "$BATS_TEST_TMPDIR/b/bad"
	printf -- '---\nname: bad\n---\nno description\n' > "$BATS_TEST_TMPDIR/b/bad/SKILL.md"
	CLAW_SKILLS_PATH="$BATS_TEST_TMPDIR/b" run -65 claw-skill check
	assert_output --partial $'bad\tbroken'
}

@test "match ranks by triggers and description; nothing matching exits 1" {
	run -0 claw-skill match what time is it in Tokyo
	assert_line --index 0 --regexp $'^time\t'
	run -0 claw-skill match -n 1 compute 2 to the power 64
	assert_line --index 0 --regexp $'^calc\t'
	[ "${#lines[@]}" = 1 ]
	run -1 claw-skill match zzzz qqqq
}

# --- run ---

@test "run: JSON or KEY=VALUE arguments, NDJSON requests on stdin" {
	run -0 claw-skill run calc expr='2^64'
	assert_output '{"type":"result","text":"18446744073709551616"}'
	run -0 claw-skill run calc '{"expr":"1+2"}'
	assert_output '{"type":"result","text":"3"}'
	# A bad line is base/record's error event, the same words as every program's.
	run -65 sh -c 'printf "%s\n" "{\"expr\":\"2*3\"}" "not json" "[1]" "" "{\"expr\":\"7\"}" | claw-skill run calc'
	assert_line --index 0 '{"type":"result","text":"6"}'
	assert_line --index 1 '{"type":"error","code":65,"line":2,"message":"malformed JSON at byte 0: unexpected character"}'
	assert_line --index 2 '{"type":"error","code":65,"line":3,"message":"not a JSON object"}'
	assert_line --index 3 '{"type":"result","text":"7"}'
	[ "${#lines[@]}" = 4 ]
	run -66 claw-skill run nosuch
	run -64 claw-skill run calc novalue
}

@test "an instruction skill's run is its body" {
	run -0 claw-skill run translate </dev/null
	echo "$output" | jq -e '.type == "result" and (.text | test("[Tt]ranslat"))'
}

@test "a permission not granted stops the run (77) and says how to grant it" {
	run -77 claw-skill run weather city=Paris
	assert_output --partial "claw-skill grant weather net"
	run -0 claw-skill grant weather net
	run -0 claw-skill grants
	assert_output $'weather\tnet'
	run claw-skill run weather city=Paris
	[ "$status" != 77 ]
	run -0 claw-skill revoke weather net
	run -1 claw-skill revoke weather net
	run -64 claw-skill grant weather 'fs.read:relative/path'
	# A program name is stored as the path the sandbox will run.
	run -0 claw-skill grant shell exec:ls
	run -0 claw-skill grants shell
	assert_output $'shell\texec:/usr/bin/ls'
	run -66 claw-skill grant shell exec:no-such-program-here
	run -0 claw-skill run shell '{"argv":["ls","/usr"]}'
	assert_output --partial "bin"
}

# Each SKILL.md asks for one permission; what list calls ok, run advises and
# grant accepts must agree: the advised command works, word for word.
asks() {
	mkdir -p "$BATS_TEST_TMPDIR/p/$1"
	printf -- '---\nname: %s\ndescription: asks for one thing\npermissions:\n  - "%s"\n---\nbody of %s\n' \
	    "$1" "$2" "$1" > "$BATS_TEST_TMPDIR/p/$1/SKILL.md"
}

@test "one permission rule: list ok, run's advice and grant agree end to end" {
	export CLAW_SKILLS_PATH="$BATS_TEST_TMPDIR/p"
	asks rel fs.read:data
	asks user 'fs.read:~ann/notes'
	asks climb fs.write:/tmp/../etc
	asks abs "fs.read:$BATS_TEST_TMPDIR/data"
	asks home 'fs.read:~/notes'
	asks prog exec:ls
	asks spaced "fs.write:$BATS_TEST_TMPDIR/my docs"
	asks var env:PROBE_VAR
	run -0 claw-skill list
	# A path grant cannot take is refused where it is written, with the reason.
	assert_line --regexp $'^rel\tinstructions\tbroken: permissions: "fs.read:data": PATH must be absolute or start with ~/'
	assert_line --regexp $'^user\tinstructions\tbroken: .*PATH must be absolute or start with ~/'
	assert_line --regexp $'^climb\tinstructions\tbroken: .*a \.\. component in PATH'
	run -65 claw-skill run rel
	assert_output --partial "PATH must be absolute"
	run -64 claw-skill grant rel fs.read:data
	assert_output --partial "fs.read:data: PATH must be absolute or start with ~/"
	for s in abs home prog spaced var; do
		run -0 claw-skill list
		assert_line --regexp $"^$s"$'\tinstructions\tok\t'
		run -77 claw-skill run "$s"
		cmd=$(echo "$output" | grep "^{" | jq -r 'select(.type == "error") | .message | sub(".*: run: "; "")')
		[[ $cmd == "claw-skill grant $s "* ]] || fail "$s: no advice in: $output"
		run -0 sh -c "$cmd"
		run -0 claw-skill run "$s"
		assert_output --partial "body of $s"
	done
	run -0 claw-skill grants spaced
	assert_output "spaced	fs.write:$BATS_TEST_TMPDIR/my docs"
	run -0 claw-skill grants prog
	assert_output --regexp $'^prog\texec:/.*/ls$'
}

@test "list --json carries each skill's timeout, for the chat side's tool deadline" {
	mkdir -p "$BATS_TEST_TMPDIR/t/long"
	printf -- '---\ndescription: takes its time\ntimeout: 900\n---\n' > "$BATS_TEST_TMPDIR/t/long/SKILL.md"
	CLAW_SKILLS_PATH="$BATS_TEST_TMPDIR/t:$BATS_TEST_DIRNAME/../skills" run -0 claw-skill list --json
	echo "$output" | jq -e -s 'map(select(.name == "long"))[0].timeout == 900'
	echo "$output" | jq -e -s 'map(select(.name == "translate"))[0].timeout | type == "number"'
	echo "$output" | jq -e -s 'all(.timeout >= 1 and .timeout <= 3600)'
}

@test "every run leaves its events row: skill, exit, ms, ok; never the arguments" {
	ev() { sqlite3 "$CLAW_HOME/claw.db" "select kind, ok, json_extract(detail, '$.skill'),
	    json_extract(detail, '$.exit'), ms >= 0, detail from events where program = 'claw-skill' order by id"; }
	run -0 claw-skill run calc expr='6*7'
	run -0 ev
	assert_output $'run|1|calc|0|1|{"skill":"calc","exit":0}'
	run -77 claw-skill run weather city=SecretCity
	printf '%s\n' '{"expr":"1+1"}' '{"expr":"2+2"}' | claw-skill run calc
	run -0 ev
	[ "${#lines[@]}" = 4 ]
	assert_line --index 1 $'run|0|weather|77|1|{"skill":"weather","exit":77}'
	assert_line --index 3 $'run|1|calc|0|1|{"skill":"calc","exit":0}'
	refute_output --partial SecretCity
}

@test "new makes a skill that passes its own test" {
	run -0 claw-skill new hello
	[ -x "$CLAW_HOME/skills/hello/run" ]
	run -0 claw-skill test hello
	assert_line "ok 1 - hello.json"
	run -73 claw-skill new hello
	run -64 claw-skill new 'Bad Name'
}

@test "the built-in skills pass their tests inside the sandbox" {
	for s in calc time files shell git memory weather web-fetch; do
		[ -d "$BATS_TEST_DIRNAME/../skills/$s/tests" ] || continue
		run claw-skill test "$s"
		[ "$status" = 0 ] || { echo "$s:"; echo "$output"; false; }
	done
}

# --- the sandbox, layer by layer ---

@test "a skill cannot read the store or ~/.ssh, even through a link" {
	[ "$(layer landlock)" = active ] || skip "landlock unavailable here"
	claw config set skills.x=1
	mkdir -p "$BATS_TEST_TMPDIR/h/.ssh" && echo key > "$BATS_TEST_TMPDIR/h/.ssh/id_test"
	run -0 claw-skill run probe op=read arg="$CLAW_HOME/claw.db"
	assert_output --partial "denied"
	run -0 claw-skill run probe op=read arg="$BATS_TEST_TMPDIR/h/.ssh/id_test"
	assert_output --partial "denied"
	run -0 claw-skill run probe op=link arg="$CLAW_HOME/claw.db"
	assert_output --partial "denied link"
	run -0 claw-skill run probe op=write arg="$BATS_TEST_TMPDIR/h/planted"
	assert_output --partial "denied"
	[ ! -e "$BATS_TEST_TMPDIR/h/planted" ]
}

@test "a granted path is readable, and only that one" {
	[ "$(layer landlock)" = active ] || skip "landlock unavailable here"
	mkdir -p "$BATS_TEST_TMPDIR/ok" "$BATS_TEST_TMPDIR/no"
	echo yes > "$BATS_TEST_TMPDIR/ok/f"; echo no > "$BATS_TEST_TMPDIR/no/f"
	run -77 claw-skill run probe-granted op=where
	assert_output --partial "claw-skill grant probe-granted net"
	claw-skill grant probe-granted net
	claw-skill grant probe-granted env:PROBE_VAR
	claw-skill grant probe-granted "fs.read:$BATS_TEST_TMPDIR/ok"
	run -0 claw-skill run probe-granted op=read arg="$BATS_TEST_TMPDIR/ok/f"
	assert_output --partial "read "
	run -0 claw-skill run probe-granted op=read arg="$BATS_TEST_TMPDIR/no/f"
	assert_output --partial "denied"

}

@test "no network without the net grant" {
	python3 -c 'import socket,time,sys
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(8); print(s.getsockname()[1], flush=True); time.sleep(20)' \
	    > "$BATS_TEST_TMPDIR/port" 3>&- &
	pid=$!
	for _ in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.05; done
	port=$(cat "$BATS_TEST_TMPDIR/port")
	run -0 claw-skill run probe op=tcp arg="$port"
	assert_output --partial "denied"
	claw-skill grant probe net       # probe does not ask for net: still none
	run -0 claw-skill run probe op=tcp arg="$port"
	assert_output --partial "denied"
	for p in net env:PROBE_VAR fs.read:/tmp; do claw-skill grant probe-granted "$p"; done
	run -0 claw-skill run probe-granted op=tcp arg="$port"
	kill "$pid"
	assert_output --partial "connected"
}

@test "no key of ours in a skill's environment; env: passes a named variable" {
	run -0 env OPENAI_API_KEY=sk-secret PROBE_VAR=hello claw-skill run probe op=env
	refute_output --partial sk-secret
	refute_output --partial PROBE_VAR
	for p in net env:PROBE_VAR fs.read:/tmp; do claw-skill grant probe-granted "$p"; done
	run -0 env OPENAI_API_KEY=sk-secret PROBE_VAR=hello claw-skill run probe-granted op=env
	assert_output --partial "PROBE_VAR=hello"
	refute_output --partial sk-secret
}

@test "a skill runs in its own scratch directory, removed afterwards" {
	run -0 claw-skill run probe op=where
	dir=$(echo "$output" | jq -r '.text' | head -1)
	[[ "$dir" == */claw-skill.probe.* ]]
	[ ! -e "$dir" ]
}

@test "out of time: the whole run is stopped (75)" {
	start=$(date +%s)
	run -75 claw-skill run slow
	assert_output --partial "out of time"
	[ $(( $(date +%s) - start )) -le 5 ]
}

@test "a memory hog, a flood of output and a fork bomb are each contained" {
	run -0 claw-skill run probe op=mem
	assert_output --partial "MemoryError"
	run -65 claw-skill run probe op=flood
	assert_output --partial "over the 1048576-byte cap"
	[ "$(layer nproc)" = active ] || [ "$(layer namespaces)" = active ] || skip "no process limit layer here"
	run claw-skill run probe op=fork
	[ "$status" != 0 ]
	# Nothing it forked outlives the run.
	sleep 0.3
	run pgrep -fx 'sleep 31.7'
	[ "$status" = 1 ]
}

# --- install, verify, remove ---

@test "install copies a tree and records its hash; verify notices a change; remove" {
	cp -r "$FIX/slow" "$BATS_TEST_TMPDIR/slow2"
	sed -i 's/^name: slow$/name: slow2/' "$BATS_TEST_TMPDIR/slow2/SKILL.md"
	run -0 claw-skill install "$BATS_TEST_TMPDIR/slow2"
	assert_output slow2
	[ -f "$CLAW_HOME/skills/slow2/SKILL.md" ]
	run -0 claw-skill verify slow2
	echo '# changed' >> "$CLAW_HOME/skills/slow2/run"
	run -65 claw-skill verify slow2
	assert_output --partial "changed since it was installed"
	run -73 claw-skill install "$BATS_TEST_TMPDIR/slow2"
	run -0 claw-skill remove slow2
	[ ! -e "$CLAW_HOME/skills/slow2" ]
	run -66 claw-skill remove slow2
	run -66 claw-skill verify calc
}

@test "install refuses links out of the tree, special files, oversize files and bad tarballs" {
	mkdir -p "$BATS_TEST_TMPDIR/l"
	printf -- '---\nname: linky\ndescription: has a link\n---\n' > "$BATS_TEST_TMPDIR/l/SKILL.md"
	ln -s /etc/passwd "$BATS_TEST_TMPDIR/l/passwd"
	run -65 claw-skill install "$BATS_TEST_TMPDIR/l"
	assert_output --partial "symbolic link"
	rm "$BATS_TEST_TMPDIR/l/passwd"
	mkfifo "$BATS_TEST_TMPDIR/l/fifo"
	run -65 claw-skill install "$BATS_TEST_TMPDIR/l"
	assert_output --partial "not a plain file"
	rm "$BATS_TEST_TMPDIR/l/fifo"
	head -c 9000000 /dev/zero > "$BATS_TEST_TMPDIR/l/big"
	run -65 claw-skill install "$BATS_TEST_TMPDIR/l"
	assert_output --partial "cap"
	rm "$BATS_TEST_TMPDIR/l/big"
	# A tarball whose member climbs out with ..
	mkdir -p "$BATS_TEST_TMPDIR/t/sub"
	cp "$BATS_TEST_TMPDIR/l/SKILL.md" "$BATS_TEST_TMPDIR/t/sub/"
	python3 -c 'import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w")
for name, data in (("SKILL.md", open(sys.argv[2], "rb").read()), ("../evil", b"evil\n")):
    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
t.close()' "$BATS_TEST_TMPDIR/evil.tar" "$BATS_TEST_TMPDIR/t/sub/SKILL.md"
	run -65 claw-skill install "$BATS_TEST_TMPDIR/evil.tar"
	assert_output --partial ".."
	# A good tarball with the skill in a top directory installs.
	(cd "$BATS_TEST_TMPDIR" && tar -czf good.tgz l)
	run -0 claw-skill install "$BATS_TEST_TMPDIR/good.tgz"
	assert_output linky
	[ -f "$CLAW_HOME/skills/linky/SKILL.md" ]
}

@test "installing never runs the skill's code" {
	mkdir -p "$BATS_TEST_TMPDIR/trap"
	printf -- '---\nname: trap\ndescription: runs when touched\n---\n' > "$BATS_TEST_TMPDIR/trap/SKILL.md"
	printf '#!/bin/sh\ntouch %s/ran\n' "$BATS_TEST_TMPDIR" > "$BATS_TEST_TMPDIR/trap/run"
	chmod +x "$BATS_TEST_TMPDIR/trap/run"
	run -0 claw-skill install "$BATS_TEST_TMPDIR/trap"
	run -0 claw-skill list
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "check --sandbox lists the layers; usage and version" {
	run -0 claw-skill check --sandbox
	assert_output --partial landlock
	run -0 claw-skill --version
	assert_output "claw-skill 0.1.0"
	run -64 claw-skill
	run -64 claw-skill frobnicate
}

@test "help, version and errors at the front door; the usage is the man page's SYNOPSIS" {
	for h in -h --help help; do
		run -0 --separate-stderr claw-skill "$h"
		assert_line --index 0 --partial "usage: claw-skill list"
	done
	run -0 claw-skill version
	assert_output "claw-skill 0.1.0"
	run -64 --separate-stderr claw-skill list --frob
	[ -z "$output" ] && [[ $stderr == usage:* ]]
	command -v mandoc >/dev/null || skip "no mandoc"
	syn=$(mandoc -Tascii -O width=200 "${CLAW_SRC:-$BATS_TEST_DIRNAME/..}/man/claw-skill.1" | col -b |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d;/^$/d;s/^ *//')
	use=$(claw-skill --help | sed 's/^usage: //;s/^ *//')
	assert_equal "$use" "$syn"
}

@test "a Node skill in the seed's shape runs through claw-node-runner, sandboxed like any other" {
	command -v node >/dev/null || skip "no node"
	run -0 claw-skill run greet who=claw
	assert_line --index 0 '{"type":"log","text":"greeting claw"}'
	assert_line --index 1 '{"type":"result","text":"Hello, claw!"}'
	run -1 claw-skill run greet fail=true
	assert_output --partial "asked to fail"
	claw config set skills.x=1
	run -0 claw-skill run greet read="$CLAW_HOME/claw.db"
	# Hidden (ENOENT) in a mount namespace, else walled off by Landlock (EACCES).
	assert_output --regexp "denied (ENOENT|EACCES)"
	run -0 claw-skill list
	assert_line --regexp $'^greet\tnode\tok\t'
}

# ---- issue 11: paths ----

@test "a grant over ~ never reaches the store or its key; files still reads ~ (issue 11 #4)" {
	[ "$(layer landlock)" = active ] || skip "landlock unavailable here"
	export HOME=$BATS_TEST_TMPDIR     # ~ holds CLAW_HOME
	claw config set providers.openai.api_key=sk-x     # makes keys/store.key
	echo hello >"$HOME/doc.txt"
	before=$(cksum "$CLAW_HOME/claw.db")
	claw-skill grant probe "fs.read:~"
	for f in claw.db keys/store.key; do
		[ -e "$CLAW_HOME/$f" ]
		run -0 claw-skill run probe op=read arg="$CLAW_HOME/$f"
		assert_output --partial "denied $CLAW_HOME/$f"
	done
	run -0 claw-skill run probe op=read arg="$HOME/doc.txt"
	assert_output --partial "read $HOME/doc.txt"
	claw-skill grant probe "fs.write:~"
	for f in claw.db keys/store.key; do
		run -0 claw-skill run probe op=write arg="$CLAW_HOME/$f"
		assert_output --partial "denied $CLAW_HOME/$f"
	done
	assert_equal "$(cksum "$CLAW_HOME/claw.db")" "$before"
	run -0 claw-skill run probe op=write arg="$HOME/new.txt"
	assert_output --partial "wrote $HOME/new.txt"
	# files reads ~ as the password file's home, so grant this one by its path.
	claw-skill grant files "fs.read:$HOME"
	run -0 claw-skill run files action=read path="$HOME/doc.txt"
	assert_output --partial "hello"
	run -0 claw-skill run files action=list path="$HOME"
	assert_output --partial "doc.txt"
}

@test "a granted path swapped for a link to / is refused on the next run (issue 11 #5)" {
	[ "$(layer landlock)" = active ] || skip "landlock unavailable here"
	local d=$BATS_TEST_TMPDIR/dir
	mkdir -p "$d/in" && echo x >"$d/in/f"
	claw-skill grant probe "fs.write:$d"
	claw-skill grant probe "fs.read:$d/in"
	run -0 claw-skill run probe op=read arg="$d/in/f"
	assert_output --partial "read $d/in/f"
	run -0 claw-skill run probe op=swap arg="$d/in"
	assert_output --partial "swapped"
	[ -L "$d/in" ]
	run -77 claw-skill run probe op=read arg="$d/in/etc/hostname"
	assert_output --partial "$d/in is a symlink: refused"
	refute_output --partial "read $d/in/etc/hostname"
	run -77 claw-skill run probe op=read arg=/etc/passwd
	refute_output --partial "read /etc/passwd"
}

@test "exec: is enforced by the kernel: a program runs only when granted (issue 11 #16)" {
	[ "$(layer landlock)" = active ] || skip "landlock unavailable here"
	run -0 claw-skill run probe op=exec arg=/usr/bin/od
	assert_output --partial '"text":"denied 13"'
	run -0 claw-skill run probe op=exec arg=/bin/ls
	assert_output --partial '"text":"denied 13"'
	claw-skill grant probe exec:/bin/ls
	run -0 claw-skill run probe op=exec arg=/bin/ls
	assert_output --partial '"text":"/etc/hostname"'
	# What its SKILL.md declares it runs (requires.bins: cat) it may run.
	run -0 claw-skill run probe op=read arg=/etc/hostname
	assert_output --partial "read /etc/hostname"
}

@test "fs.read:~root is refused by the permission rule, never read as ~/root (issue 11 #20)" {
	run -64 claw-skill grant probe "fs.read:~root"
	assert_output --partial "PATH must be absolute or start with ~/"
	run -0 claw-skill grants probe
	refute_output --partial "root"
}
