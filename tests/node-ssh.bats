#!/usr/bin/env bats
# claw-node's ssh transport (--host=ssh:HOST): a private sshd on loopback (tests/sshd-up)
# serving node "pi"; pairing and pinning over it, runs, and claw-node's own refusal inside.

load helper

home() { echo "$BATS_FILE_TMPDIR/$1"; }

# nd NAME ARG...: claw-node as node NAME.
nd() {
	local n=$1
	shift
	CLAW_HOME=$(home "$n") CLAW_NODE_NAME=$n claw_run claw-node "$@"
}

setup_file() {
	local real
	export SSHD_DIR=$BATS_FILE_TMPDIR/ssh
	mkdir -p "$BATS_FILE_TMPDIR/stubs" "$BATS_FILE_TMPDIR/client"
	printf '#!/bin/sh\necho out; echo err >&2; exit 3\n' >"$BATS_FILE_TMPDIR/stubs/claw-three"
	printf '#!/bin/sh\nexec cat\n' >"$BATS_FILE_TMPDIR/stubs/claw-cat"
	chmod +x "$BATS_FILE_TMPDIR/stubs/claw-three" "$BATS_FILE_TMPDIR/stubs/claw-cat"
	# The remote account's environment, set by sshd: where its claw programs are and its
	# own CLAW_HOME; a real account gets these from its login shell (see claw-node(1)).
	"$CLAW_SRC/tests/sshd-up" "$SSHD_DIR" \
	    PATH="$CLAW_BIN:$BATS_FILE_TMPDIR/stubs:/usr/local/bin:/usr/bin:/bin" \
	    CLAW_HOME="$(home pi)" CLAW_NODE_NAME=pi 2>"$BATS_FILE_TMPDIR/sshd-up.err" ||
	    return 0
	# ssh reads ~/.ssh/config from the passwd entry, not $HOME: the client's ssh, found on
	# claw-node's PATH, is given the test's config the way a user's ~/.ssh/config would be
	real=$(command -v ssh)
	mkdir -p "$BATS_FILE_TMPDIR/client/bin"
	printf '#!/bin/sh\nexec %s -F %s "$@"\n' "$real" "$SSHD_DIR/ssh_config" \
	    >"$BATS_FILE_TMPDIR/client/bin/ssh"
	chmod +x "$BATS_FILE_TMPDIR/client/bin/ssh"
	touch "$BATS_FILE_TMPDIR/up"
}

teardown_file() {
	[ -f "$BATS_FILE_TMPDIR/ssh/pid" ] && kill "$(cat "$BATS_FILE_TMPDIR/ssh/pid")" 2>/dev/null
	return 0
}

setup() {
	[ -f "$BATS_FILE_TMPDIR/up" ] ||
	    skip "no sshd to test with: $(tail -1 "$BATS_FILE_TMPDIR/sshd-up.err")"
	claw_setup
	export PATH="$BATS_FILE_TMPDIR/client/bin:$PATH"
}

events() {
	sqlite3 "$(home "$1")/claw.db" \
	    "SELECT kind, ok, detail FROM events WHERE program = 'claw-node' ORDER BY id"
}

@test "ssh: the remote account finds claw-node on its login PATH" {
	run ssh claw-test claw-node id
	assert_success
	[ "$output" = "$(nd pi id)" ]
}

@test "ssh: pairing by code over ssh pins both keys" {
	code=$(nd pi invite --ttl 5m)
	run nd laptop connect --master=pi --host=ssh:claw-test --code="$code"
	assert_success
	run nd laptop list
	assert_line --regexp "^pi +$(nd pi id | cut -d' ' -f2) ssh:claw-test$"
	run nd pi list
	assert_line --regexp "^laptop +$(nd laptop id | cut -d' ' -f2) "
	run events pi
	assert_line --partial 'pair|1|{"peer":"laptop"'
}

@test "ssh: a key pinned by hand (add --key) reaches the node over ssh" {
	nd pi add --name=desk --host=127.0.0.1:1 --key="$(nd desk id | cut -d' ' -f1)"
	nd pi allow desk 'claw-skill list'
	run nd desk add --name=pi --host=ssh:claw-test \
	    --key="$(ssh claw-test claw-node id | cut -d' ' -f1)"
	assert_success
	run --separate-stderr nd desk exec --node pi -- claw-skill list --json
	assert_success
	[ "$output" = "$(CLAW_HOME=$(home pi) claw_run claw-skill list --json)" ]
}

@test "ssh: exec carries stdin, stdout, stderr and the exit code" {
	nd pi allow laptop 'claw-skill list' claw-three claw-cat
	run --separate-stderr nd laptop exec --node pi -- claw-skill list --json
	assert_success
	[ "$output" = "$(CLAW_HOME=$(home pi) claw_run claw-skill list --json)" ]
	run --separate-stderr nd laptop exec --node pi -- claw-three
	assert_failure 3
	assert_output out
	[ "$stderr" = err ]
	run --separate-stderr nd laptop exec --node pi -- claw-skill list --bogus
	assert_failure 64
	[[ $stderr == *"usage: claw-skill"* ]]
	run bash -c "printf 'a\nb\n' | CLAW_HOME=$(home laptop) claw-node exec --node pi -- claw-cat"
	assert_success
	assert_output $'a\nb'
	head -c 3000000 /dev/urandom >"$BATS_TEST_TMPDIR/in"
	run bash -c "CLAW_HOME=$(home laptop) claw-node exec --node pi -- claw-cat \
	    <'$BATS_TEST_TMPDIR/in' | cmp - '$BATS_TEST_TMPDIR/in'"
	assert_success
	# the log names the client by ssh's SSH_CLIENT
	run events pi
	assert_line --regexp \
	    '^request\|0\|\{"peer":"laptop",.*"addr":"127\.0\.0\.1","program":"claw-three","exit":3\}$'
}

@test "ssh: an unknown key gets through ssh and is refused by claw-node's handshake" {
	nd stranger add --name=pi --host=ssh:claw-test --key="$(nd pi id | cut -d' ' -f1)"
	run --separate-stderr nd stranger exec --node pi -- claw-skill list --json
	assert_failure 69
	[ -z "$output" ]
	[[ $stderr == *"refused: this node does not know your key"* ]]
	fp=$(nd stranger id | cut -d' ' -f2)
	run events pi
	assert_line --partial "refused|0|{\"peer\":null,\"fingerprint\":\"$fp\""
	assert_line --partial '"reason":"unknown key","requests_read":0}'
	refute_line --partial "request|1|{\"peer\":null"
}

@test "ssh: a host ssh cannot reach is a clear error, not a hang" {
	nd lost add --name=pi --host=ssh:ssh://nobody@127.0.0.1:1 \
	    --key="$(nd pi id | cut -d' ' -f1)"
	run --separate-stderr nd lost exec --node pi -- claw-skill list --json
	assert_failure 69
	[[ $stderr == *"ssh: connect to host 127.0.0.1 port 1: Connection refused"* ]]
	[[ $stderr == *"claw-node: pi: ssh:ssh://nobody@127.0.0.1:1: handshake: "* ]]
}

@test "ssh: a key restricted to claw-node serve --stdio (authorized_keys command=) still serves" {
	cp "$SSHD_DIR/authorized_keys" "$BATS_TEST_TMPDIR/ak"
	printf 'restrict,command="claw-node serve --stdio" %s\n' "$(cat "$SSHD_DIR/user.pub")" \
	    >"$SSHD_DIR/authorized_keys"
	run --separate-stderr nd laptop exec --node pi -- claw-three
	status3=$status out3=$output err3=$stderr
	# any other command the key asks for is that one: a shell is not given
	run ssh claw-test 'echo shell' </dev/null
	cp "$BATS_TEST_TMPDIR/ak" "$SSHD_DIR/authorized_keys"
	[ "$status3" = 3 ] && [ "$out3" = out ] && [ "$err3" = err ]
	refute_output --partial shell
}
