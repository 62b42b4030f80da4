#!/usr/bin/env bats
# claw-channel with Signal: a user-run signal-cli daemon over JSON-RPC, faked by
# tests/fakesignal.py on a UNIX socket and on TCP, the model by tests/fakeprovider.py.

load helper

setup() {
	claw_setup
	TMP=$BATS_TEST_TMPDIR
	fakeprovider_start "$TMP/prov"
	mkdir -p "$TMP/sig" "$TMP/att"
	python3 "$BATS_TEST_DIRNAME/fakesignal.py" --socket "$TMP/sig/socket" \
	    --tcp-port-file "$TMP/sig/tcp" --control-port-file "$TMP/sig/ctl" \
	    --log "$TMP/sig/log" --account +15550000000 3>&- &
	echo $! >"$TMP/sig/pid"
	for _ in $(seq 100); do [ -s "$TMP/sig/ctl" ] && break; sleep 0.05; done
	CTL=http://127.0.0.1:$(cat "$TMP/sig/ctl")
	PP=$(cat "$TMP/prov/port")
	claw config set "providers.generic.base_url=http://127.0.0.1:$PP/v1" >/dev/null
	claw config set model=generic/test-model >/dev/null
	claw config set "channels.signal.rpc=unix:$TMP/sig/socket" >/dev/null
	claw config set channels.signal.account=+15550000000 >/dev/null
	claw config set "channels.signal.attachments=$TMP/att" >/dev/null
}

teardown() {
	local p
	for p in "$TMP/prov/pid" "$TMP/sig/pid" "$TMP"/bg.*.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
	done
	return 0
}

db() { sqlite3 "$CLAW_HOME/claw.db" "$@"; }

# sig_say FROM TEXT [TIMESTAMP [GROUP]]: signal-cli receives a message.
sig_say() {
	local from=$1 text=$2 ts=${3:-1760000000001} group=${4:-}
	jq -cn --arg f "$from" --arg t "$text" --argjson ts "$ts" --arg g "$group" \
	    '{source:$f, sourceNumber:$f, sourceUuid:"9f2c-uuid", sourceName:"Ann", sourceDevice:1,
	    timestamp:$ts, dataMessage:({timestamp:$ts, message:$t, expiresInSeconds:0,
	    viewOnce:false, mentions:[], attachments:[]} + (if $g == "" then {} else
	    {groupInfo:{groupId:$g, type:"DELIVER"}} end))}' | ctl receive
}

ctl() { curl -sf -XPOST -H 'Content-Type: application/json' --data-binary @- "$CTL/_control/$1" >/dev/null; }
sends() { jq -c 'select(.method == "send") | .params' "$TMP/sig/log"; }
model_calls() { [ -f "$TMP/prov/log" ] && grep -c chat/completions "$TMP/prov/log" || echo 0; }

wait_for() {
	for _ in $(seq 300); do "$@" && return 0; sleep 0.1; done
	return 1
}

poller() {
	claw channel poll signal 2>>"$TMP/poll.err" &
	echo $! >"$TMP/bg.poll.pid"
}

sent_n() { [ "$(sends | wc -l)" -ge "$1" ]; }

@test "signal: add checks the daemon; no token is needed" {
	run claw channel add signal
	assert_success
	assert_output "signal: added as +15550000000"
	run claw channel list
	assert_output $'signal\tsignal\t+15550000000'
	claw config set "channels.signal.rpc=unix:$TMP/nowhere" >/dev/null
	run -69 claw channel add signal
	assert_output --partial "cannot connect"
	claw config set "channels.signal.rpc=carrier-pigeon" >/dev/null
	run -78 claw channel add signal
	assert_output --partial "want unix:PATH or tcp:HOST:PORT"
}

@test "signal: a message over the UNIX socket is stored, answered with send, quoted" {
	claw channel add signal >/dev/null
	claw config set channels.signal.dm_policy=open
	sig_say +15551234567 hello 1760000000001
	run claw channel poll --once signal
	assert_success
	run sends
	assert_output '{"recipient":["+15551234567"],"message":"echo: hello","quoteTimestamp":1760000000001,"quoteAuthor":"+15551234567","account":"+15550000000"}'
	run jq -c 'select(.method == "sendTyping") | .params' "$TMP/sig/log"
	assert_output '{"recipient":["+15551234567"],"account":"+15550000000"}'
	run db "SELECT ext, peer, state FROM channel_ingress"
	assert_output "+15551234567:1760000000001|+15551234567|done"
	run claw-chat --history -s signal:+15551234567
	assert_output --partial '"text":"hello"'
}

@test "signal: over TCP, long-running poller; the same message twice is answered once" {
	claw config set "channels.signal.rpc=tcp:127.0.0.1:$(cat "$TMP/sig/tcp")" >/dev/null
	claw channel add signal >/dev/null
	claw config set channels.signal.dm_policy=open
	poller
	sig_say +15551234567 one 1760000000001
	wait_for sent_n 1
	sig_say +15551234567 one 1760000000001
	sig_say +15551234567 two 1760000000002
	wait_for sent_n 2
	sleep 1
	run sends
	assert_line --index 0 --partial '"message":"echo: one"'
	assert_line --index 1 --partial '"message":"echo: two"'
	[ "$(sends | wc -l)" -eq 2 ]
	run db "SELECT count(*) FROM channel_ingress"
	assert_output 2
}

@test "signal: the daemon goes away and comes back: one line, status shows it, nothing lost" {
	claw channel add signal >/dev/null
	claw config set channels.signal.dm_policy=open
	echo '{}' | ctl down
	poller
	wait_for grep -q "cannot connect" "$TMP/poll.err"
	run claw channel status signal
	assert_output --partial "error: signal: unix:$TMP/sig/socket: cannot connect"
	run claw channel status --json signal
	assert_output --partial '"error":"signal: unix:'
	# it arrives at Signal's server while the daemon is down; delivered when it is back
	sig_say +15551234567 "while away" 1760000000005
	echo '{}' | ctl up
	wait_for sent_n 1
	run sends
	assert_output --partial '"message":"echo: while away"'
	[ "$(grep -c 'cannot connect' "$TMP/poll.err")" -ge 1 ]
	[ "$(grep -vc 'cannot connect' "$TMP/poll.err")" -eq 0 ]
	wait_for sh -c "! claw channel status signal | grep -q error"
	# it drops the connection while the poller runs: reconnected, still answered
	echo '{}' | ctl down
	sleep 1
	sig_say +15551234567 "second" 1760000000006
	echo '{}' | ctl up
	wait_for sent_n 2
	run sends
	assert_line --index 1 --partial '"message":"echo: second"'
}

@test "signal: a failed send is retried; a refused one is a dead letter" {
	claw channel add signal >/dev/null
	claw config set channels.signal.dm_policy=open
	echo '{"method":"send","code":-5,"message":"Rate limit exceeded: 5","times":1}' | ctl fail
	sig_say +15551234567 hello 1760000000001
	run claw channel poll --once signal
	assert_success
	[ "$(sends | wc -l)" -ge 1 ]
	run db "SELECT state, attempts FROM channel_egress"
	assert_output "sent|2"
	echo '{"method":"send","code":-1,"message":"Unregistered user","times":1}' | ctl fail
	sig_say +15551234567 again 1760000000002
	claw channel poll --once signal || true
	run claw channel queue --dead
	assert_output --partial "Unregistered user"
}

@test "signal: pairing for strangers, groups only on mention, attachments by stored path" {
	claw channel add signal >/dev/null
	sig_say +15559999999 "hi there" 1760000000001
	claw channel poll --once signal
	run sends
	assert_output --partial 'pairing code'
	[ "$(model_calls)" -eq 0 ]
	claw config set channels.signal.dm_policy=open
	sig_say +15551234567 "talking among us" 1760000000002 R3JvdXBJZA==
	claw channel poll --once signal
	[ "$(sends | wc -l)" -eq 1 ]
	jq -cn '{source:"+15551234567", sourceNumber:"+15551234567", timestamp:1760000000003,
	    dataMessage:{timestamp:1760000000003, message:"\ufffc what is this?",
	    mentions:[{start:0,length:1,number:"+15550000000",uuid:"bot-uuid"}],
	    groupInfo:{groupId:"R3JvdXBJZA==",type:"DELIVER"},
	    attachments:[{contentType:"image/png",filename:"dot.png",id:"7QmE1.png",size:68}]}}' |
		ctl receive
	printf '\x89PNG\r\n\x1a\n' >"$TMP/att/7QmE1.png"
	claw channel poll --once signal
	run sends
	assert_line --index 1 --partial '"groupId":"R3JvdXBJZA=="'
	run jq -c 'select(.path == "/v1/chat/completions") | .body.messages[-1].content' "$TMP/prov/log"
	assert_output --partial 'image'
}

@test "signal: malformed lines from the daemon are skipped and said; ingest refuses them with 65" {
	claw channel add signal >/dev/null
	claw config set channels.signal.dm_policy=open
	echo '{"raw":"this is not json"}' | ctl receive
	echo '{"raw":"{\"jsonrpc\":\"2.0\",\"method\":\"receive\",\"params\":{}}"}' | ctl receive
	sig_say +15551234567 fine 1760000000009
	run claw channel poll --once signal
	assert_success
	run sends
	assert_output --partial '"message":"echo: fine"'
	run -65 claw channel ingest signal <<<'{"jsonrpc":"2.0","method":"receive","params":{"envelope":{"dataMessage":{"message":"x"}}}}'
	run -65 claw channel ingest signal <<<'nope'
	run db "SELECT count(*) FROM channel_ingress"
	assert_output 1
}
