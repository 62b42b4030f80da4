#!/usr/bin/env bats
# make install / uninstall into a DESTDIR: the installed tree works from anywhere.

load helper

setup_file() {
	export DEST="$BATS_FILE_TMPDIR/dest" SRC="${CLAW_SRC:-$BATS_TEST_DIRNAME/..}"
	case $CLAW_BIN in */build-san/bin) export SAN=1 ;; *) export SAN=0 ;; esac
	make -s -C "$SRC" install SANITIZE="$SAN" PREFIX=/usr/local DESTDIR="$DEST" >/dev/null
}

@test "make install puts programs, man pages, pipelines and the libexec dir in place" {
	[ -x "$DEST/usr/local/bin/claw" ]
	[ -x "$DEST/usr/local/bin/claw-chat" ]
	[ -f "$DEST/usr/local/share/man/man1/claw.1" ]
	[ -f "$DEST/usr/local/share/man/man1/claw-chat.1" ]
	[ -f "$DEST/usr/local/share/man/man7/claw.7" ]
	[ -d "$DEST/usr/local/share/claw/skills" ]
	[ -f "$DEST/usr/local/share/claw/pipelines/crontab" ]
	[ -d "$DEST/usr/local/libexec/claw" ]
}

@test "the installed front door finds its programs from any directory" {
	cd /
	run -0 "$DEST/usr/local/bin/claw" chat --version
	assert_output "claw-chat 0.1.0"
	run -0 "$DEST/usr/local/bin/claw" config set model=generic/deepseek-chat
	run -0 "$DEST/usr/local/bin/claw" config get model
	assert_output "generic/deepseek-chat"
}

@test "make uninstall removes what install put there" {
	make -s -C "$SRC" uninstall SANITIZE="$SAN" PREFIX=/usr/local DESTDIR="$DEST" >/dev/null
	[ ! -e "$DEST/usr/local/bin/claw" ]
	[ ! -e "$DEST/usr/local/bin/claw-chat" ]
	[ ! -e "$DEST/usr/local/share/man/man1/claw.1" ]
	[ ! -e "$DEST/usr/local/share/claw" ]
	[ ! -e "$DEST/usr/local/libexec/claw" ]
}
