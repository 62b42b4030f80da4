#!/usr/bin/env bats
# claw-node: identity, pinned peers, pairing by code, the protocol's refusals (unknown
# key, replay, a flipped byte, truncation, a 4 GiB frame, a slow handshake), remote runs
# with stdin/stdout/stderr/exit, balancing and failover — three nodes on loopback, each
# with its own CLAW_HOME and port, and a client paired with all three.

load helper

NODES="alpha beta gamma"

node_home() { echo "$BATS_FILE_TMPDIR/$1"; }

# nd NAME ARG...: claw-node as node NAME.
nd() {
	local n=$1
	shift
	CLAW_HOME=$(node_home "$n") claw_run claw-node "$@"
}

# Start node NAME's server on a free port: its port in $BATS_FILE_TMPDIR/NAME.port.
node_start() {
	local n=$1 h f
	h=$(node_home "$n")
	f=$BATS_FILE_TMPDIR/$n
	rm -f "$f.out"
	# its own session: node_kill takes the listener, its sessions and their runs
	(CLAW_HOME=$h PATH="$BATS_FILE_TMPDIR/stubs:$PATH" CLAW_NODE_TIMEOUT=${2:-10} \
	    setsid "$CLAW_BIN/claw-node" serve --listen 127.0.0.1:0 >"$f.out" 2>>"$f.err" 3>&- &
	 echo $! >"$f.pid")
	for _ in $(seq 100); do grep -q listening "$f.out" 2>/dev/null && break; sleep 0.05; done
	sed -n 's/^listening on 127.0.0.1://p' "$f.out" >"$f.port"
	[ -s "$f.port" ]
}

node_stop() {
	local f=$BATS_FILE_TMPDIR/$1.pid
	[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	rm -f "$f"
	sleep 0.1
}

node_kill() {
	local f=$BATS_FILE_TMPDIR/$1.pid
	kill -9 -- "-$(cat "$f")" 2>/dev/null
	rm -f "$f"
}

port() { cat "$BATS_FILE_TMPDIR/$1.port"; }

stub() {
	printf '#!/bin/sh\n%s\n' "$2" >"$BATS_FILE_TMPDIR/stubs/$1"
	chmod +x "$BATS_FILE_TMPDIR/stubs/$1"
}

# proxy MODE [ARG...] in front of node alpha: its port in $BATS_TEST_TMPDIR/proxy.port.
proxy() {
	local mode=$1
	shift
	python3 "$BATS_TEST_DIRNAME/nodeproxy.py" --port-file "$BATS_TEST_TMPDIR/proxy.port" \
	    --to "$(port alpha)" "$mode" "$@" 3>&- &
	echo $! >"$BATS_TEST_TMPDIR/proxy.pid"
	for _ in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/proxy.port" ] && break; sleep 0.05; done
	[ -s "$BATS_TEST_TMPDIR/proxy.port" ]
}

# The client reaches alpha through the port in FILE (default: the proxy's) for this
# test: one key is one peer, so alpha's own row is pointed there and back.
via_proxy() {
	local f=${1:-$BATS_TEST_TMPDIR/proxy.port}
	sqlite3 "$(node_home client)/claw.db" \
	    "UPDATE peers SET host = '127.0.0.1:$(cat "$f")', down_until = 0 WHERE name = 'alpha'"
}

via_back() {
	sqlite3 "$(node_home client)/claw.db" \
	    "UPDATE peers SET host = '127.0.0.1:$(port alpha)', down_until = 0 WHERE name = 'alpha'"
}

# Events node NAME recorded: "kind ok detail" lines.
events() {
	sqlite3 "$(node_home "$1")/claw.db" \
	    "SELECT kind, ok, detail FROM events WHERE program = 'claw-node' ORDER BY id"
}

setup_file() {
	local n code
	mkdir -p "$BATS_FILE_TMPDIR/stubs"
	stub claw-cat 'exec cat'
	stub claw-three 'echo out; echo err >&2; exit 3'
	stub claw-where 'basename "$CLAW_HOME"'
	stub claw-sleep 'echo $$ >"$1"; echo started; exec sleep 60'
	stub claw-big 'head -c 3000000 /dev/zero'
	# claw-chat --requests as the fan-out sees it: an event on starting, then the answer
	stub claw-reqs 'while IFS= read -r l; do id=$(printf "%s" "$l" | jq -c .id)
printf "{\"type\":\"delta\",\"id\":%s,\"text\":\".\"}\n" "$id"
echo "$id $(basename "$CLAW_HOME")" >>"'"$BATS_FILE_TMPDIR"'/ran"
sleep "$(cat "'"$BATS_FILE_TMPDIR"'/slow" 2>/dev/null || echo 0)"
printf "{\"type\":\"message\",\"id\":%s,\"node\":\"%s\"}\n" "$id" "$(basename "$CLAW_HOME")"
done'
	for n in $NODES; do
		node_start "$n"
		code=$(CLAW_HOME=$(node_home "$n") "$CLAW_BIN/claw-node" invite --ttl 5m)
		CLAW_HOME=$(node_home client) CLAW_NODE_NAME=client "$CLAW_BIN/claw-node" connect \
		    --master="$n" --host="127.0.0.1:$(port "$n")" --code="$code" >/dev/null
		CLAW_HOME=$(node_home "$n") "$CLAW_BIN/claw-node" allow client claw-cat claw-three \
		    claw-where claw-sleep claw-big claw-reqs 'claw-skill list' \
		    'claw-chat --requests'
	done
}

teardown_file() {
	local n
	for n in $NODES stdio; do node_stop "$n"; done
}

setup() {
	claw_setup
	export PATH="$BATS_FILE_TMPDIR/stubs:$PATH"
}

teardown() {
	[ -f "$BATS_TEST_TMPDIR/proxy.pid" ] && kill "$(cat "$BATS_TEST_TMPDIR/proxy.pid")" 2>/dev/null
	via_back
}

# ---- identity and peers ----

@test "init makes a private identity once; id prints its key and fingerprint" {
	run --separate-stderr claw-node init
	assert_success
	[[ $output =~ ^[A-Za-z0-9_-]{43}\ [0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$ ]]
	[ "$(file_mode "$CLAW_HOME/keys/node.key")" = 600 ]
	[ "$(file_mode "$CLAW_HOME/keys")" = 700 ]
	first=$output
	run --separate-stderr claw-node init
	assert_success
	assert_output "$first"
	[[ $stderr == *"exists already: kept"* ]]
	run claw-node id
	assert_output "$first"
}

@test "add, list, allow and remove peers; a key must be a node key" {
	key=$(nd alpha id | cut -d' ' -f1)
	run claw-node add --name=ws --host=127.0.0.1:1 --key="$key" --weight=3
	assert_success
	run claw-node add --name=laptop --host 192.168.1.7
	assert_success
	[[ $output == *"no key pinned yet"* ]]
	run claw-node list --json
	assert_line --index 0 --partial '"name":"laptop","host":"192.168.1.7","key":null'
	assert_line --index 1 --partial "\"name\":\"ws\",\"host\":\"127.0.0.1:1\",\"key\":\"$key\""
	assert_line --index 1 --partial '"weight":3,"allow":["claw-chat --requests","claw-skill run"'
	run claw-node add --name=ws --host=x
	assert_failure 65
	run claw-node add --name=bad --host=x --key=AAAA
	assert_failure 65
	run claw-node allow ws claw-skill 'claw-monitor status --json'
	assert_success
	run claw-node allow ws
	assert_output $'claw-skill\nclaw-monitor status --json'
	run claw-node allow ws /bin/sh
	assert_failure 64
	run claw-node remove ws
	assert_success
	run claw-node remove ws
	assert_failure 1
}

@test "the seed's commands work with ASCII dashes; its typographic dash is named" {
	run claw node add --name=workstation --host=192.168.1.100
	assert_success
	run claw cluster balance --strategy=round-robin
	assert_success
	assert_output "cluster.strategy=round-robin"
	run claw config get cluster.strategy
	assert_output round-robin
	run claw cluster balance --strategy=fastest
	assert_failure 64
	run --separate-stderr claw node add $'\u2013name=workstation' --host=192.168.1.100
	assert_failure 64
	[[ $stderr == *"a typographic dash: write --name"* ]]
	[ "${#stderr_lines[@]}" = 1 ]
	run claw node connect --master=workstation </dev/null
	assert_failure 64
	[[ $output == *"no code: run claw-node invite on workstation"* ]]
}

# ---- pairing ----

@test "pairing by code pins both keys on both sides" {
	for n in $NODES; do
		fp=$(nd "$n" id | cut -d' ' -f2)
		run nd client list
		assert_line --regexp "^$n +$fp 127.0.0.1:$(port "$n")$"
		cfp=$(nd client id | cut -d' ' -f2)
		run nd "$n" list
		assert_line --regexp "^client +$cfp 127.0.0.1:7077$"
	done
	run events alpha
	assert_line --partial 'pair|1|{"peer":"client"'
}

@test "a wrong, a reused and an expired code are refused; wrong ones are limited" {
	code=$(nd beta invite)
	run nd newbie connect --master=beta --host="127.0.0.1:$(port beta)" --code=aaaa-bbbb-cccc-dddd
	assert_failure 77
	assert_output --partial "refused: wrong code"
	CLAW_NODE_NAME=newbie run nd newbie connect --master=beta --host="127.0.0.1:$(port beta)" \
	    --code="$code"
	assert_success
	run nd other connect --master=beta --host="127.0.0.1:$(port beta)" --code="$code"
	assert_failure 77
	assert_output --partial "this code was already used"
	code=$(nd beta invite --ttl 1s)
	sleep 1.5
	run nd other connect --master=beta --host="127.0.0.1:$(port beta)" --code="$code"
	assert_failure 77
	assert_output --partial "this code has expired"
	code=$(nd beta invite)
	for i in 1 2 3 4 5; do
		nd other connect --master=beta --host="127.0.0.1:$(port beta)" \
		    --code=0000-0000-0000-000$i || true
	done
	run nd other connect --master=beta --host="127.0.0.1:$(port beta)" --code="$code"
	assert_failure 77
	assert_output --partial "too many wrong codes"
	run nd other connect --master=beta --code=xyz --host=127.0.0.1:1
	assert_failure 64
	nd beta remove newbie
}

# ---- remote runs ----

@test "exec carries stdin, stdout, stderr apart and the exit code" {
	run --separate-stderr nd client exec --node alpha -- claw-three
	assert_failure 3
	assert_output out
	[ "$stderr" = err ]
	run bash -c "printf 'a\nb\n' | CLAW_HOME=$(node_home client) claw-node exec --node beta -- claw-cat"
	assert_success
	assert_output $'a\nb'
	run nd client exec --node gamma -- claw-where
	assert_output gamma
	run bash -c "CLAW_HOME=$(node_home client) claw-node exec --node alpha -- claw-big | head -c 10 | wc -c"
	assert_output 10
}

@test "a 100 MB stream goes through the channel intact" {
	head -c 100000000 /dev/urandom >"$BATS_TEST_TMPDIR/big"
	nd client exec --node beta -- claw-cat <"$BATS_TEST_TMPDIR/big" | cmp - "$BATS_TEST_TMPDIR/big"
	rm -f "$BATS_TEST_TMPDIR/big"
}

@test "/bin/sh and programs off the allowlist are refused and recorded" {
	run --separate-stderr nd client exec --node alpha -- /bin/sh -c id
	assert_failure 77
	[[ $stderr == *"/bin/sh: not allowed for this peer"* ]]
	run --separate-stderr nd client exec --node alpha -- claw-skill run x
	assert_failure 77
	run --separate-stderr nd client exec --node alpha -- claw-nosuch
	assert_failure 77
	run --separate-stderr nd client exec --node alpha -- claw-skill list
	assert_success
	run events alpha
	assert_line --partial '"program":"/bin/sh","exit":77,"refused":"not on the allowlist"'
	assert_line --partial '"program":"claw-skill","exit":77,"refused":"not on the allowlist"'
}

@test "a client that goes away kills the remote run" {
	CLAW_HOME=$(node_home client) "$CLAW_BIN/claw-node" exec --node alpha -- \
	    claw-sleep "$BATS_TEST_TMPDIR/pid" >/dev/null 3>&- &
	c=$!
	for _ in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/pid" ] && break; sleep 0.05; done
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	kill -0 "$pid"
	kill "$c"
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	run kill -0 "$pid"
	assert_failure
	grep -q "the client went away" "$BATS_FILE_TMPDIR/alpha.err"
}

# ---- the protocol's refusals ----

@test "an unknown key is refused before any request is read" {
	run --separate-stderr nd stranger add --name=alpha --host="127.0.0.1:$(port alpha)" \
	    --key="$(nd alpha id | cut -d' ' -f1)"
	run --separate-stderr nd stranger exec --node alpha -- claw-cat
	assert_failure 69
	[[ $stderr == *"refused: this node does not know your key"* ]]
	fp=$(nd stranger id | cut -d' ' -f2)
	run events alpha
	assert_line --partial "refused|0|{\"peer\":null,\"fingerprint\":\"$fp\""
	assert_line --partial '"reason":"unknown key","requests_read":0}'
	refute_line --partial "request|1|{\"peer\":null"
	grep -q "refused $fp from 127.0.0.1: unknown key; no request was read" \
	    "$BATS_FILE_TMPDIR/alpha.err"
}

@test "a server with another key than the pinned one is refused" {
	nd mitm add --name=alpha --host="127.0.0.1:$(port beta)" --key="$(nd alpha id | cut -d' ' -f1)"
	run --separate-stderr nd mitm exec --node alpha -- claw-cat
	assert_failure 69
	[[ $stderr == *"not the one pinned for it"* ]]
}

@test "a proxy that flips one byte kills the session with a clear error" {
	# byte 154 + 24 + 10: inside the server's first sealed frame
	proxy flip --at 188
	via_proxy
	run --separate-stderr nd client exec --node alpha -- claw-where
	assert_failure 69
	[[ $stderr == *"a frame failed authentication (tampered, replayed or reordered)"* ]]
}

@test "a flipped byte in the handshake is refused too" {
	proxy flip --at 100
	via_proxy
	run --separate-stderr nd client exec --node alpha -- claw-where
	assert_failure 69
	[[ $stderr == *"the server's identity does not open (tampered)"* ]]
}

@test "a replayed recording of an earlier session is refused" {
	proxy record --file "$BATS_TEST_TMPDIR/rec"
	via_proxy
	run nd client exec --node alpha -- claw-where
	assert_output alpha
	before=$(events alpha | grep -c '^request|')
	run python3 "$BATS_TEST_DIRNAME/nodeproxy.py" --to "$(port alpha)" --file "$BATS_TEST_TMPDIR/rec" replay
	assert_success
	sleep 0.3
	grep -q "handshake from 127.0.0.1: handshake: the client's identity does not open" \
	    "$BATS_FILE_TMPDIR/alpha.err"
	[ "$(events alpha | grep -c '^request|')" = "$before" ]
}

@test "truncation (no final frame) is an error, not a clean end" {
	# the server's header, its welcome and a frame or more of output, then the cut
	proxy cut --at 100000
	via_proxy
	run --separate-stderr nd client exec --node alpha -- claw-big
	assert_failure 75
	[[ $stderr == *"the stream ended without its final frame (truncated)"* ]]
	[[ $stderr == *"output was already relayed, so it is not run again"* ]]
}

@test "a 4 GiB frame length is refused at once, by either side" {
	proxy bigframe --at 180
	via_proxy
	nd client exec --node alpha -- claw-where >/dev/null 2>&1 || true
	sleep 0.3
	grep -q "a frame length over the cap was refused" "$BATS_FILE_TMPDIR/alpha.err" ||
	    events alpha | grep -q 'a frame length over the cap was refused'
	rm -f "$BATS_TEST_TMPDIR/proxy.port"
	proxy bigreply --at 178
	via_proxy
	start=$(date +%s)
	run --separate-stderr nd client exec --node alpha -- claw-where
	assert_failure 69
	[[ $stderr == *"a frame length over the cap was refused"* ]]
	# refused when the length arrived, not when the proxy let go 3 s later
	[ $(($(date +%s) - start)) -lt 3 ]
}

@test "a slow handshake times out on both sides" {
	node_start slowsrv 1
	exec 5<>/dev/tcp/127.0.0.1/"$(port slowsrv)"
	sleep 2.5
	exec 5>&-
	grep -q "timed out waiting for the client's hello" "$BATS_FILE_TMPDIR/slowsrv.err"
	node_stop slowsrv
	python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(1)
open(sys.argv[1],"w").write(str(s.getsockname()[1])); c,_=s.accept(); time.sleep(10)' \
	    "$BATS_TEST_TMPDIR/silent.port" 3>&- &
	echo $! >"$BATS_TEST_TMPDIR/proxy.pid"
	for _ in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/silent.port" ] && break; sleep 0.05; done
	via_proxy "$BATS_TEST_TMPDIR/silent.port"
	run --separate-stderr env CLAW_NODE_TIMEOUT=1 CLAW_HOME="$(node_home client)" \
	    claw-node exec --node alpha -- claw-where
	assert_failure 69
	[[ $stderr == *"timed out waiting for the server's answer"* ]]
}

# ---- balancing, health, failover ----

@test "round-robin is exactly even over 30 runs" {
	for i in $(seq 30); do nd client exec --strategy round-robin -- claw-where; done \
	    >"$BATS_TEST_TMPDIR/where"
	run sort "$BATS_TEST_TMPDIR/where"
	[ "$(grep -c alpha "$BATS_TEST_TMPDIR/where")" = 10 ]
	[ "$(grep -c beta "$BATS_TEST_TMPDIR/where")" = 10 ]
	[ "$(grep -c gamma "$BATS_TEST_TMPDIR/where")" = 10 ]
}

@test "ping records health; cluster status shows each peer" {
	run nd client ping --all
	assert_success
	assert_line --regexp '^alpha: ok [0-9.]+ ms, load [0-9.]+, [0-9]+ jobs$'
	run nd client cluster status --json
	assert_line --index 0 --regexp '"name":"alpha".*"healthy":true,"last_seen":[1-9][0-9]*,.*"rtt_ms":[0-9]+'
	run nd client cluster status
	assert_line --index 0 --regexp '^NAME +FINGERPRINT +ADDRESS +HEALTHY +SEEN +LOAD +JOBS +RTT$'
	assert_line --regexp '^beta +[0-9a-f-]{19} +127.0.0.1:[0-9]+ +yes '
}

@test "a dead peer is marked unhealthy and the run goes to the next one" {
	node_stop beta
	run --separate-stderr nd client exec --node beta -- claw-where
	assert_failure 69
	for i in 1 2 3 4 5 6; do nd client exec --strategy round-robin -- claw-where; done \
	    >"$BATS_TEST_TMPDIR/where" 2>"$BATS_TEST_TMPDIR/err"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/where")" = 6 ]
	! grep -q beta "$BATS_TEST_TMPDIR/where"
	run nd client cluster status --json
	assert_line --partial '"name":"beta"'
	assert_line --regexp '"name":"beta".*"healthy":false'
	run nd client ping beta
	assert_failure
	node_start beta
	sqlite3 "$(node_home client)/claw.db" "UPDATE peers SET host = '127.0.0.1:$(port beta)', down_until = 0 WHERE name = 'beta'"
	run nd client ping beta
	assert_success
	run nd client cluster status --json
	assert_line --regexp '"name":"beta".*"healthy":true'
}

@test "least-loaded, random and weighted strategies pick healthy peers" {
	for s in least-loaded random weighted; do
		run nd client exec --strategy "$s" -- claw-where
		assert_success
		[[ $output =~ ^(alpha|beta|gamma)$ ]]
	done
	run nd client exec --strategy fastest -- claw-where
	assert_failure 64
}

@test "serve --stdio is a peer behind socat (as under inetd or systemd Accept=yes)" {
	command -v socat >/dev/null || skip "no socat"
	p=$((20000 + RANDOM % 20000))
	CLAW_HOME=$(node_home alpha) PATH="$BATS_FILE_TMPDIR/stubs:$PATH" socat \
	    TCP-LISTEN:$p,bind=127.0.0.1,reuseaddr,fork EXEC:"$CLAW_BIN/claw-node serve --stdio" 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/stdio.pid"
	for _ in $(seq 100); do nc -z 127.0.0.1 $p 2>/dev/null && break; sleep 0.05; done
	echo $p >"$BATS_TEST_TMPDIR/inetd.port"
	via_proxy "$BATS_TEST_TMPDIR/inetd.port"
	run bash -c "echo via-stdio | CLAW_HOME=$(node_home client) claw-node exec --node alpha -- claw-cat"
	assert_success
	assert_output via-stdio
	node_stop stdio
}

# ---- fan-out ----

@test "exec --requests spreads request lines over the peers and merges events by id" {
	rm -f "$BATS_FILE_TMPDIR/ran"
	{ for i in $(seq 11); do echo "{\"id\":$i,\"prompt\":\"p$i\"}"; done
	  echo '{"prompt":"no id"}'; echo 'not json'; } >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr nd client exec --strategy round-robin --requests -- claw-reqs \
	    <"$BATS_TEST_TMPDIR/in"
	assert_failure 65
	[ "$(grep -c '"type":"message"' <<<"$output")" = 12 ]
	for i in $(seq 12); do
		[ "$(grep -c "\"type\":\"message\",\"id\":$i," <<<"$output")" = 1 ]
	done
	assert_line --partial '"type":"error","code":65,"line":13'
	# each node had some of them
	for n in $NODES; do grep -q " $n$" "$BATS_FILE_TMPDIR/ran"; done
}

@test "kill one node mid-batch: its unstarted work goes to the others, nothing lost or run twice" {
	rm -f "$BATS_FILE_TMPDIR/ran"
	echo 0.1 >"$BATS_FILE_TMPDIR/slow"
	for i in $(seq 30); do echo "{\"id\":$i}"; done >"$BATS_TEST_TMPDIR/in"
	CLAW_HOME=$(node_home client) "$CLAW_BIN/claw-node" exec --strategy round-robin --requests \
	    -- claw-reqs <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	c=$!
	sleep 0.6
	node_kill beta
	wait "$c" || true
	rm -f "$BATS_FILE_TMPDIR/slow"
	for i in $(seq 30); do
		m=$(grep -c "\"type\":\"message\",\"id\":$i," "$BATS_TEST_TMPDIR/out" || true)
		e=$(grep -c "\"type\":\"error\",\"id\":$i," "$BATS_TEST_TMPDIR/out" || true)
		[ $((m + e)) = 1 ] || { echo "id $i: $m answers, $e errors" >&2; false; }
		[ "$(grep -c "^$i " "$BATS_FILE_TMPDIR/ran")" -le 1 ]
	done
	grep -q 'beta' "$BATS_TEST_TMPDIR/err"
	# what beta had not started ran on the others
	[ "$(grep -c '"type":"message"' "$BATS_TEST_TMPDIR/out")" -ge 25 ]
	node_start beta
	sqlite3 "$(node_home client)/claw.db" \
	    "UPDATE peers SET host = '127.0.0.1:$(port beta)', down_until = 0 WHERE name = 'beta'"
}

@test "GNU parallel fans claw-chat --requests out (pipelines/parallel-requests)" {
	command -v parallel >/dev/null || skip "no GNU parallel"
	claw_stub claw-chat 'while IFS= read -r l; do printf "{\"type\":\"message\",\"echo\":%s}\n" "$l"; done'
	run bash -c "for i in 1 2 3 4 5; do echo {\\\"id\\\":\$i}; done | $CLAW_SRC/pipelines/parallel-requests"
	assert_success
	assert_equal "${#lines[@]}" 5
	for i in 1 2 3 4 5; do
		assert_line --index $((i - 1)) "{\"type\":\"message\",\"echo\":{\"id\":$i}}"
	done
}

# ---- the gateway through the cluster ----

@test "gateway.dispatch=cluster serves /v1/chat/completions while a node is down" {
	fakeprovider_start "$BATS_TEST_TMPDIR/fake"
	fp=$(cat "$BATS_TEST_TMPDIR/fake/port")
	for n in $NODES client; do
		CLAW_HOME=$(node_home "$n") claw config set \
		    "providers.generic.base_url=http://127.0.0.1:$fp/v1" >/dev/null
		CLAW_HOME=$(node_home "$n") claw config set model=generic/test-model >/dev/null
	done
	echo test-secret-0123456789 | CLAW_HOME=$(node_home client) claw config set gateway.jwt_secret -
	CLAW_HOME=$(node_home client) claw config set gateway.dispatch=cluster
	CLAW_HOME=$(node_home client) claw config set gateway.rate=0
	node_stop gamma
	body='{"model":"generic/test-model","messages":[{"role":"user","content":"hi there"}]}'
	tok=$(CLAW_HOME=$(node_home client) claw-gateway token)
	for i in 1 2 3; do
		run --separate-stderr bash -c "printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s' \
		    '$tok' ${#body} '$body' | CLAW_HOME=$(node_home client) claw-gateway"
		assert_line --index 0 --partial "HTTP/1.1 200 OK"
		tail -n1 <<<"$output" | jq -e '.choices[0].message.content == "echo: hi there"'
	done
	# the turns ran on the nodes, not here; the dead one was passed over
	[[ $stderr == *"gamma: "*"trying the next peer"* ]] || [ "$(nd client cluster status --json | grep -c '"name":"gamma".*"healthy":false')" = 1 ]
	run sqlite3 "$(node_home client)/claw.db" "SELECT count(*) FROM events WHERE program = 'claw-node' AND kind = 'exec' AND ok = 1 AND detail LIKE '%claw-chat%'"
	[ "$output" -ge 3 ]
	kill "$(cat "$BATS_TEST_TMPDIR/fake/pid")"
	node_start gamma
	sqlite3 "$(node_home client)/claw.db" \
	    "UPDATE peers SET host = '127.0.0.1:$(port gamma)', down_until = 0 WHERE name = 'gamma'"
	CLAW_HOME=$(node_home client) claw config set gateway.dispatch=local
}
