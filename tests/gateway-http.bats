#!/usr/bin/env bats
# claw-gateway: HTTP hygiene and auth.  The gateway is driven three ways: inetd mode over
# pipes (printf | claw-gateway), inetd mode under tcpserver, and `start` on a free port;
# raw bytes go through tests/gwclient.py, which sends exactly what it is told.  The
# routes themselves are in gateway.bats.
#
# Under bats a $(...) or a pipeline costs some 20 ms (its traps go with every fork), so
# the helpers pass results through files and variables: call, inetd and talk leave the
# answer in STATUS, HEAD and BODY; tok, mint and part leave theirs in a variable.

load helper

SECRET=gw-http-test-secret-0123456789

setup_file() {
	# Not the pyenv shim: that costs a third of a second a call.
	PY=$(python3 -c 'import sys; print(sys.executable)')
	export PY
	export TEMPLATE="$BATS_FILE_TMPDIR/home"
	CLAW_HOME=$TEMPLATE "$CLAW_BIN/claw" config set "gateway.jwt_secret=$SECRET"
}

setup() {
	claw_setup
	cp -a "$TEMPLATE" "$CLAW_HOME"
	TMP=$BATS_TEST_TMPDIR
	GWC=$BATS_TEST_DIRNAME/gwclient.py
	GWPID="" TCPSERVER_PID="" BG_PIDS=""
	printf -v NOW '%(%s)T' -1
}

teardown() {
	local p
	for p in $BG_PIDS; do
		kill "$p" 2>/dev/null || true
	done
	if [ -n "$TCPSERVER_PID" ]; then
		kill "$TCPSERVER_PID" 2>/dev/null || true
		wait "$TCPSERVER_PID" 2>/dev/null || true
	fi
	# A gateway this test started is the one in its CLAW_HOME's pidfile.
	if [ -e "$CLAW_HOME/run/gateway.pid" ]; then
		claw-gateway stop >/dev/null 2>&1 || true
	fi
	claw_valgrind_logs
	# Every error answer the test saw, checked with one jq.
	if [ -s "$TMP/errors" ]; then
		local bad
		bad=$(bad_errors "$TMP/errors")
		[ -z "$bad" ] || fail "bodies that are not {\"error\":{\"message\",\"type\"}} of their status's type:"$'\n'"$bad"
	fi
}

db() { sqlite3 "$CLAW_HOME/claw.db" "$@"; }

# slurp FILE VAR: the whole of FILE into VAR.
slurp() {
	local -n _s=$2
	IFS= read -r -d '' _s <"$1" || true
}

# --- the three ways in ---

# gw_start [VAR=VALUE...]: a detached gateway on a free port: ADDR, GWPID, and what
# start said in START_OUTPUT.
gw_start() {
	run -0 env "$@" claw-gateway start --listen 127.0.0.1:0
	START_OUTPUT=$output
	[[ $output =~ listening\ on\ (127\.0\.0\.1:[0-9]+)\ \(pid\ ([0-9]+)\) ]] || fail "start said: $output"
	ADDR=${BASH_REMATCH[1]}
	GWPID=${BASH_REMATCH[2]}
}

# tcpserver_start: claw-gateway in inetd mode under tcpserver: TCPADDR.  tcpserver -q
# binds port 0 and says nothing, so ss(8) tells which port its pid listens on.
# (The /healthz that finds it up is one request for the telemetry.)
tcpserver_start() {
	local i line
	tcpserver -q -R -H -l 0 127.0.0.1 0 claw-gateway 2>>"$TMP/tcpserver.log" 3>&- &
	TCPSERVER_PID=$!
	TCPADDR=""
	for ((i = 0; i < 100; i++)); do
		ss -ltnpH >"$TMP/ss"
		while IFS= read -r line; do
			[[ $line =~ (127\.0\.0\.1:[0-9]+).*pid=$TCPSERVER_PID, ]] && TCPADDR=${BASH_REMATCH[1]}
		done <"$TMP/ss"
		[ -z "$TCPADDR" ] || break
		sleep 0.02
	done
	[ -n "$TCPADDR" ] || fail "tcpserver would not listen: $(cat "$TMP/tcpserver.log")"
	curl -fsS -o /dev/null "http://$TCPADDR/healthz"
}

# split_answer TEXT: STATUS, HEAD and BODY (no final newline) of one answer, CRs dropped.
split_answer() {
	local a=${1//$'\r'/}
	if [[ $a == *$'\n\n'* ]]; then
		HEAD=${a%%$'\n\n'*}
		BODY=${a#*$'\n\n'}
	else
		HEAD=${a%$'\n'} BODY=""
	fi
	BODY=${BODY%$'\n'}
	STATUS=${HEAD#HTTP/1.1 }
	STATUS=${STATUS%% *}
}

# inetd REQUEST [VAR=VALUE...]: printf %b REQUEST | claw-gateway: STATUS, HEAD, BODY.
inetd() {
	local req=$1 ans
	shift
	printf '%b' "$req" >"$TMP/req"
	if [ $# = 0 ]; then
		claw-gateway <"$TMP/req" >"$TMP/ans" 2>>"$TMP/inetd.log"
	else
		env "$@" claw-gateway <"$TMP/req" >"$TMP/ans" 2>>"$TMP/inetd.log"
	fi
	slurp "$TMP/ans" ans
	split_answer "$ans"
}

# call METHOD PATH [curl args...]: curl to the started gateway: STATUS, HEAD, BODY.
call() {
	local ans
	curl -sS -i -X "$1" "${@:3}" "http://$ADDR$2" >"$TMP/ans" || fail "curl $1 $2 failed"
	slurp "$TMP/ans" ans
	split_answer "$ans"
}

# talk TARGET STEP...: one raw connection (see gwclient.py), into $output.
talk() {
	run -0 "$PY" "$GWC" talk "$@"
}

# load_talk FILE: the output of a talk run in the background, as if talk had run it.
load_talk() {
	slurp "$1" output
	mapfile -t lines <"$1"
}

# split_talk: STATUS, HEAD, BODY of the one answer in a talk's $output.
split_talk() {
	local line text=""
	while IFS= read -r line; do
		[[ $line == '-- '* ]] || text+=$line$'\n'
	done <<<"$output"
	split_answer "$text"
}

# statuses: the status codes in a talk's $output, in order, into CODES.
statuses() {
	local line
	CODES=""
	for line in "${lines[@]}"; do
		if [[ $line =~ ^HTTP/1\.1\ ([0-9]+) ]]; then CODES+=${CODES:+ }${BASH_REMATCH[1]}; fi
	done
}

# elapsed_within LO HI: the last "-- elapsed S" of a talk is within [LO, HI] seconds.
elapsed_within() {
	local line t=""
	for line in "${lines[@]}"; do
		if [[ $line == '-- elapsed '* ]]; then t=${line#-- elapsed }; fi
	done
	[[ $t =~ ^[0-9]+\.[0-9]$ ]] || fail "no elapsed time in: $output"
	local lo=${1/./} hi=${2/./}
	[[ $1 == *.* ]] || lo=${1}0
	[[ $2 == *.* ]] || hi=${2}0
	((10#${t/./} >= 10#$lo && 10#${t/./} <= 10#$hi)) || fail "elapsed $t s, want $1 to $2"
}

# type_for STATUS: TYPE, the error type an answer of STATUS has.
type_for() {
	case $1 in
	400 | 411 | 417 | 505) TYPE=bad_request ;;
	401) TYPE=unauthorized ;;
	403) TYPE=forbidden ;;
	404) TYPE=not_found ;;
	405) TYPE=method_not_allowed ;;
	408) TYPE=timeout ;;
	413 | 414 | 431) TYPE=too_large ;;
	429) TYPE=rate_limited ;;
	503) TYPE=unavailable ;;
	*) TYPE="?" ;;
	esac
}

# note_error TYPE JSON: JSON must be exactly {"error":{"message":"…","type":TYPE}};
# teardown checks every one noted with one jq (a jq each would cost seconds a file).
note_error() {
	[[ $2 == '{"error":{'* ]] || fail "not a JSON error: $2"
	printf '%s\t%s\n' "$1" "$2" >>"$TMP/errors"
}

# bad_errors FILE: of the lines "TYPE<TAB>JSON" of FILE, those whose JSON is not an
# error of TYPE.
bad_errors() {
	jq -r -R 'split("\t") as [$t, $b] | ($b | try fromjson catch null) as $j
	    | select(($j | type) != "object" or ($j | keys) != ["error"] or ($j.error | keys) != ["message", "type"]
	        or ($j.error.message | type) != "string" or $j.error.message == "" or $j.error.type != $t)' "$1"
}

# expect STATUS [TYPE]: the last answer was STATUS, and an error is JSON of its type.
expect() {
	[ "$STATUS" = "$1" ] || fail "want status $1, got '$STATUS'"$'\n'"$HEAD"$'\n\n'"$BODY"
	if [ "$1" -ge 400 ]; then
		type_for "$1"
		note_error "${2:-$TYPE}" "$BODY"
	fi
}

# has_header REGEXP: a line of HEAD is REGEXP, case aside.  no_header REGEXP: none starts so.
has_header() {
	local re=$'(^|\n)'"$1"$'(\n|$)' rc=0
	shopt -s nocasematch
	[[ $HEAD =~ $re ]] || rc=1
	shopt -u nocasematch
	[ "$rc" = 0 ] || fail "no header '$1' in:"$'\n'"$HEAD"
}

no_header() {
	local re=$'(^|\n)'"$1" rc=0
	shopt -s nocasematch
	[[ $HEAD =~ $re ]] && rc=1
	shopt -u nocasematch
	[ "$rc" = 0 ] || fail "an unwanted header '$1' in:"$'\n'"$HEAD"
}

# --- tokens ---

# tok VAR [ARG...]: claw-gateway token ARG... into VAR.
tok() {
	local -n _t=$1
	shift
	claw-gateway token "$@" >"$TMP/tok"
	IFS= read -r _t <"$TMP/tok"
}

# b64u VAR FILE: FILE's bytes in unpadded base64url, into VAR.
b64u() {
	local -n _b=$1
	basenc --base64url -w0 "$2" >"$TMP/b64"
	IFS= read -r _b <"$TMP/b64" || true
	_b=${_b//=/}
}

# mint VAR PAYLOAD [HEADER [SECRET]]: a JWT by hand, into VAR.  "alg":"HS512" is signed
# with HMAC-SHA512, "alg":"none" not at all, anything else with HMAC-SHA256.
mint() {
	local -n _m=$1
	local header=${3:-} secret=${4:-$SECRET} h=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9 p sig dgst=-sha256
	if [ -n "$header" ]; then
		printf '%s' "$header" >"$TMP/mint"
		b64u h "$TMP/mint"
	fi
	printf '%s' "$2" >"$TMP/mint"
	b64u p "$TMP/mint"
	case $header in
	*'"alg":"none"'*)
		_m=$h.$p.
		return
		;;
	*'"alg":"HS512"'*) dgst=-sha512 ;;
	esac
	printf '%s' "$h.$p" >"$TMP/mint"
	openssl dgst -binary "$dgst" -hmac "$secret" "$TMP/mint" >"$TMP/sig"
	b64u sig "$TMP/sig"
	_m=$h.$p.$sig
}

# part N TOKEN: its header (1) or payload (2), decoded, into PART.
part() {
	local parts p
	IFS=. read -r -a parts <<<"$2"
	p=${parts[$1 - 1]}
	while ((${#p} % 4)); do p+='='; done
	printf '%s' "$p" >"$TMP/part"
	basenc --base64url -d "$TMP/part" >"$TMP/part.out"
	slurp "$TMP/part.out" PART
}

# verify SECRET TOKEN: the payload into PART when TOKEN is HS256, signed with SECRET.
verify() {
	local sig
	printf '%s' "${2%.*}" >"$TMP/verify"
	openssl dgst -binary -sha256 -hmac "$1" "$TMP/verify" >"$TMP/sig"
	b64u sig "$TMP/sig"
	part 1 "$2"
	[ "$PART" = '{"alg":"HS256","typ":"JWT"}' ] || fail "header: $PART"
	[ "$sig" = "${2##*.}" ] || fail "not signed with $1: $2"
	part 2 "$2"
}

need_npm() {
	[ -d "$BATS_TEST_DIRNAME/npm/node_modules/jsonwebtoken" ] ||
		skip "tests/npm/node_modules is missing: run npm ci --prefix tests/npm"
}

# jwtjs ARG...: tests/npm/jwt.js (jsonwebtoken) into $output.
jwtjs() {
	run node "$BATS_TEST_DIRNAME/npm/jwt.js" "$@"
}

# --- malformed requests: NAME STATUS REQUEST, the REQUEST in printf %b escapes ---

pad() {
	local -n _p=$1
	printf -v _p "%${2}s" ""
	_p=${_p// /$3}
}
H='Host: x\r\n'
C='POST /api/v1/chat HTTP/1.1\r\nHost: x\r\n'

# authed: CA, the head of C with a valid chat token (a body is read only after one).
authed() {
	local t
	mint t "{\"sub\":\"t\",\"scope\":\"chat\",\"exp\":$((NOW + 600))}"
	CA="${C}Authorization: Bearer $t\r\n"
}

# load_cases: the table, and what gwclient.py cases prints of each but the body, in
# inetd mode (EXP_INETD) and in start mode (EXP_START).
load_cases() {
	CASE_NAME=() CASE_STATUS=() CASE_REQ=() EXP_INETD=() EXP_START=()
	local a8179 b16342 x101 fields64
	pad a8179 8179 a
	pad b16342 16342 b
	pad x101 101 x
	printf -v fields64 'X-H%d: v\\r\\n' {1..64}
	case_add cl+te 400 "${C}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc"
	case_add te+cl 400 "${C}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc"
	case_add cl-twice-same 400 "${C}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc"
	case_add cl-twice-different 400 "${C}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"
	case_add cl-plus 400 "${C}Content-Length: +5\r\n\r\nabcde"
	case_add cl-hex 400 "${C}Content-Length: 0x5\r\n\r\nabcde"
	case_add cl-list 400 "${C}Content-Length: 5,5\r\n\r\nabcde"
	case_add cl-negative 400 "${C}Content-Length: -1\r\n\r\n"
	case_add cl-empty 400 "${C}Content-Length: \r\n\r\n"
	case_add cl-19-digits 400 "${C}Content-Length: 1000000000000000000\r\n\r\n"
	case_add space-before-colon 400 "${C}Content-Length : 3\r\n\r\nabc"
	case_add tab-before-colon 400 "GET /healthz HTTP/1.1\r\nHost\t: x\r\n\r\n"
	case_add obs-fold 400 "GET /healthz HTTP/1.1\r\n${H}X-A: b\r\n c\r\n\r\n"
	case_add obs-fold-tab 400 "GET /healthz HTTP/1.1\r\n${H}X-A: b\r\n\tc\r\n\r\n"
	case_add bare-cr-field 400 "GET /healthz HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n"
	case_add bare-cr-line 400 "GET /healthz HTTP/1.1\r${H}\r\n"
	case_add bare-lf 400 "GET /healthz HTTP/1.1\nHost: x\n\n"
	case_add bare-lf-field 400 "GET /healthz HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n"
	case_add nul-value 400 "GET /healthz HTTP/1.1\r\n${H}X-A: a\x00b\r\n\r\n"
	case_add nul-line 400 "GET /heal\x00thz HTTP/1.1\r\n${H}\r\n"
	case_add control-byte 400 "GET /healthz HTTP/1.1\r\n${H}X-A: a\x01b\r\n\r\n"
	case_add no-host 400 "GET /healthz HTTP/1.1\r\n\r\n"
	case_add host-twice 400 "GET /healthz HTTP/1.1\r\n${H}${H}\r\n"
	case_add absolute-form 400 "GET http://x/healthz HTTP/1.1\r\n${H}\r\n"
	case_add two-spaces 400 "GET  /healthz HTTP/1.1\r\n${H}\r\n"
	case_add http-2.0 505 "GET /healthz HTTP/2.0\r\n${H}\r\n"
	case_add http-0.9 505 "GET /healthz HTTP/0.9\r\n${H}\r\n"
	case_add chunked 411 "${C}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
	case_add chunked-get 411 "GET /healthz HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
	case_add post-no-length 411 "${C}\r\n"
	case_add expect-other 417 "${C}Expect: something-else\r\nContent-Length: 2\r\n\r\n{}"
	case_add line-8193 414 "GET /$a8179 HTTP/1.1\r\n${H}\r\n"
	case_add head-16385 431 "GET /healthz HTTP/1.1\r\n${H}X-Pad: $b16342\r\n\r\n"
	case_add 65-fields 431 "GET /healthz HTTP/1.1\r\n${H}${fields64}\r\n"
	case_add body-101 413 "${C}Content-Length: 101\r\n\r\n$x101"
	case_add body-huge 413 "${C}Content-Length: 999999999999999999\r\n\r\n"
	# Not malformed: answered, and in start mode the connection is kept.
	case_add unknown-path 404 "GET /nope HTTP/1.1\r\n${H}\r\n"
	case_add post-on-get 405 "POST /healthz HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n"
	case_add get-on-post 405 "GET /api/v1/chat HTTP/1.1\r\n${H}\r\n"
}

case_add() {
	CASE_NAME+=("$1")
	CASE_STATUS+=("$2")
	CASE_REQ+=("$3")
	EXP_INETD+=("$1	$2	close	closed")
	case $2 in
	404 | 405) EXP_START+=("$1	$2	keep	open") ;;
	*) EXP_START+=("$1	$2	close	closed") ;;
	esac
}

# run_cases TARGET: every case on its own connection, through gwclient.py cases.
run_cases() {
	local i
	load_cases
	for i in "${!CASE_NAME[@]}"; do
		printf '%s\t%s\n' "${CASE_NAME[i]}" "${CASE_REQ[i]}"
	done >"$TMP/cases"
	run -0 "$PY" "$GWC" cases "$1" "$TMP/cases"
}

# check_cases EXPECTED...: run_cases's lines, but for their bodies, are EXPECTED; the
# bodies are noted as errors of their status's type.
check_cases() {
	local i name status close closed body got=()
	for i in "${!lines[@]}"; do
		IFS=$'\t' read -r name status close closed body <<<"${lines[i]}"
		got+=("$name	$status	$close	$closed")
		type_for "$status"
		note_error "$TYPE" "$body"
	done
	printf '%s\n' "$@" >"$TMP/want"
	printf '%s\n' "${got[@]}" >"$TMP/got"
	diff "$TMP/want" "$TMP/got" || fail "NAME STATUS Connection:-close? closed-after?: want < and got >"
}

@test "inetd over pipes: each malformed request gets its status, a JSON error and Connection: close" {
	local i
	load_cases
	export CLAW_GATEWAY_MAX_BODY=100
	for i in "${!CASE_NAME[@]}"; do
		inetd "${CASE_REQ[i]}"
		[ "$STATUS" = "${CASE_STATUS[i]}" ] || fail "${CASE_NAME[i]}: want ${CASE_STATUS[i]}, got: $HEAD"$'\n\n'"$BODY"
		expect "${CASE_STATUS[i]}"
		has_header "Connection: close"
		has_header "Content-Type: application/json"
		has_header "Content-Length: $((${#BODY} + 1))"
	done
	# Nothing for the log in any of them.
	[ ! -s "$TMP/inetd.log" ]
}

@test "inetd under tcpserver: the same answers, and every connection ends after one" {
	export CLAW_GATEWAY_MAX_BODY=100
	tcpserver_start
	run_cases "$TCPADDR"
	check_cases "${EXP_INETD[@]}"
}

@test "start mode: the same answers; a malformed request closes the connection, a 404 or 405 keeps it" {
	gw_start CLAW_GATEWAY_MAX_BODY=100
	run -0 claw-gateway status
	assert_output "running pid $GWPID on $ADDR"
	run_cases "$ADDR"
	check_cases "${EXP_START[@]}"
	# And it is still there for everyone else.
	call GET /healthz
	expect 200
}

@test "the caps are exact: request line 8 KiB, head 16 KiB, 64 fields, gateway.max_body" {
	local a8178 a8179 b16341 b16342 x100 x101 fields63
	pad a8178 8178 a
	pad a8179 8179 a
	pad b16341 16341 b
	pad b16342 16342 b
	pad x100 100 x
	pad x101 101 x
	inetd "GET /$a8178 HTTP/1.1\r\n${H}\r\n"
	expect 404
	inetd "GET /$a8179 HTTP/1.1\r\n${H}\r\n"
	expect 414
	# The head: 23 + 9 + (7 + N + 2) + 2 bytes.
	inetd "GET /healthz HTTP/1.1\r\n${H}X-Pad: $b16341\r\n\r\n"
	expect 200
	inetd "GET /healthz HTTP/1.1\r\n${H}X-Pad: $b16342\r\n\r\n"
	expect 431
	printf -v fields63 'X-H%d: v\\r\\n' {1..63}
	inetd "GET /healthz HTTP/1.1\r\n${H}${fields63}\r\n"
	expect 200
	inetd "GET /healthz HTTP/1.1\r\n${H}${fields63}X-Last: v\r\n\r\n"
	expect 431
	[[ $BODY == *"too many header fields"* ]]
	# gateway.max_body bytes are read (and then a token is wanted); one more is 413.
	inetd "${C}Content-Length: 100\r\n\r\n$x100" CLAW_GATEWAY_MAX_BODY=100
	expect 401
	inetd "${C}Content-Length: 101\r\n\r\n$x101" CLAW_GATEWAY_MAX_BODY=100
	expect 413
	[[ $BODY == *"gateway.max_body"* ]]
	# The default is 1 MiB.
	inetd "${C}Content-Length: 1048577\r\n\r\n"
	expect 413
	# Set in the store, for start.
	claw config set gateway.max_body=100
	gw_start
	call POST /api/v1/chat --data-binary "$x101"
	expect 413
	call POST /api/v1/chat --data-binary "$x100"
	expect 401
}

# gateway.head_timeout runs before any head, when inetd mode has not opened the
# store yet: there only CLAW_GATEWAY_HEAD_TIMEOUT sets it (the man page says so).
@test "inetd mode honours gateway.max_body and body_timeout set in the store" {
	local x101
	pad x101 101 x
	claw config set gateway.max_body=100
	inetd "${C}Content-Length: 101\r\n\r\n$x101"
	expect 413
	claw config set gateway.body_timeout=1
	authed
	talk exec "send:${CA}Content-Length: 10\r\n\r\nabc" resp:3 -- claw-gateway
	split_talk
	expect 408
}

@test "HEAD /healthz: 200 with the Content-Length of GET and no body" {
	inetd "HEAD /healthz HTTP/1.1\r\n${H}\r\n"
	expect 200
	has_header "Content-Length: 12"
	[ -z "$BODY" ]
	# The answer ends with its head.
	[ "$(tail -c4 "$TMP/ans" | od -An -c | tr -d ' ')" = '\r\n\r\n' ]
	tcpserver_start
	curl -sS -I "http://$TCPADDR/healthz" >"$TMP/ans"
	slurp "$TMP/ans" output
	split_answer "$output"
	expect 200
	has_header "Content-Length: 12"
	# start mode: no body, so the next answer on the connection is read right.
	gw_start
	talk "$ADDR" 'send:HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n' resp silent:0.3 \
		'send:GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' resp
	assert_line --index 0 "HTTP/1.1 200 OK"
	assert_line "Content-Length: 12"
	assert_line -- "-- silent"
	statuses
	[ "$CODES" = "200 200" ]
	assert_line '{"ok":true}'
}

@test "HEAD answered with an error (404, 401, 405) carries a body" {
	gw_start
	local path
	for path in /nope /v1/models /api/v1/chat; do
		talk "$ADDR" "send:HEAD $path HTTP/1.1\r\nHost: x\r\n\r\n" resp silent:0.3 \
			'send:GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' resp
		assert_line -- "-- silent"
		assert_line "HTTP/1.1 200 OK"
	done
}

@test "a wrong method is 405 with Allow; near-miss paths are 404" {
	gw_start
	call GET /api/v1/chat
	expect 405
	has_header "Allow: POST"
	call GET /api/v1/skills/time/run
	expect 405
	has_header "Allow: POST"
	call POST /v1/models -d '{}'
	expect 405
	has_header "Allow: GET, HEAD"
	call DELETE /healthz
	expect 405
	has_header "Allow: GET, HEAD"
	local p
	for p in /healthz/ /HEALTHZ /v1/models/x /api/v1/skills//run /api/v1/skills/a/b/run /api/v1/skills/time/run/x /; do
		call GET "$p"
		expect 404
		no_header Allow
	done
}

# --- slow clients ---

@test "inetd: a head or a body that stalls is 408, and the connection ends within 1-3 s" {
	# The body's stall runs meanwhile, on its own claw-gateway.
	authed
	CLAW_GATEWAY_BODY_TIMEOUT=1 "$PY" "$GWC" talk exec "send:${CA}Content-Length: 10\r\n\r\nabc" resp:5 closed:3 elapsed \
		-- claw-gateway >"$TMP/body" 3>&- &
	BG_PIDS+=" $!"
	talk exec 'send:GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ' resp:5 closed:3 elapsed -- \
		env CLAW_GATEWAY_HEAD_TIMEOUT=1 claw-gateway
	split_talk
	expect 408
	has_header "Connection: close"
	[[ $BODY == *gateway.head_timeout* ]]
	assert_line -- "-- closed"
	elapsed_within 0.9 3
	wait $BG_PIDS
	BG_PIDS=""
	load_talk "$TMP/body"
	split_talk
	expect 408
	has_header "Connection: close"
	[[ $BODY == *gateway.body_timeout* ]]
	assert_line -- "-- closed"
	elapsed_within 0.9 3
}

@test "start mode: stalled clients get 408 within 1-3 s, and the loop answers others meanwhile" {
	# The body's timeout from the store, the head's from the environment.
	claw config set gateway.body_timeout=1
	gw_start CLAW_GATEWAY_HEAD_TIMEOUT=1
	# One sends half a head, one connects and says nothing, one stalls in its body.
	"$PY" "$GWC" talk "$ADDR" 'send:GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ' elapsed resp:5 closed:3 elapsed \
		>"$TMP/half" 3>&- &
	BG_PIDS+=" $!"
	"$PY" "$GWC" talk "$ADDR" elapsed resp:5 closed:3 elapsed >"$TMP/mute" 3>&- &
	BG_PIDS+=" $!"
	authed
	"$PY" "$GWC" talk "$ADDR" "send:${CA}Content-Length: 10\r\n\r\nabc" elapsed resp:5 closed:3 elapsed >"$TMP/body" 3>&- &
	BG_PIDS+=" $!"
	local i f
	for ((i = 0; i < 100; i++)); do
		[ -s "$TMP/half" ] && [ -s "$TMP/mute" ] && [ -s "$TMP/body" ] && break
		sleep 0.02
	done
	for i in 1 2 3; do
		curl -sS --max-time 0.8 -o /dev/null -w '%{http_code}' "http://$ADDR/healthz" >"$TMP/code"
		[ "$(<"$TMP/code")" = 200 ]
		# Answered while the three still waited for theirs.
		[ "$i" != 1 ] || ! grep -q HTTP "$TMP/half" "$TMP/mute" "$TMP/body"
	done
	wait $BG_PIDS
	BG_PIDS=""
	for f in half mute body; do
		load_talk "$TMP/$f"
		split_talk
		expect 408
		has_header "Connection: close"
		assert_line -- "-- closed"
		elapsed_within 0.9 3
	done
	[[ $BODY == *gateway.body_timeout* ]]
}

# --- connections ---

@test "start mode keeps connections: HTTP/1.1 unless it says close, HTTP/1.0 when it asks" {
	gw_start
	talk "$ADDR" 'send:GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' resp \
		'send:GET /nope HTTP/1.1\r\nHost: x\r\n\r\n' resp \
		'send:GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' resp silent:0.2
	statuses
	[ "$CODES" = "200 404 200" ]
	refute_line "Connection: close"
	assert_line -- "-- silent"
	run -0 curl -sS -v "http://$ADDR/healthz" "http://$ADDR/healthz"
	assert_line --partial "Re-using existing connection"
	[ "$(grep -c '^{"ok":true}$' <<<"$output")" = 2 ]
	talk "$ADDR" 'send:GET /healthz HTTP/1.0\r\n\r\n' resp closed:2
	assert_line --index 0 "HTTP/1.1 200 OK"
	assert_line "Connection: close"
	assert_line -- "-- closed"
	talk "$ADDR" 'send:GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' resp \
		'send:GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' resp silent:0.2
	statuses
	[ "$CODES" = "200 200" ]
	# HTTP/1.0 takes a connection to close unless the answer says otherwise.
	[ "$(grep -c '^Connection: keep-alive$' <<<"$output")" = 2 ]
	assert_line -- "-- silent"
	talk "$ADDR" 'send:GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' resp closed:2
	assert_line "Connection: close"
	assert_line -- "-- closed"
}

@test "pipelined requests in one write are answered in order" {
	gw_start
	talk "$ADDR" 'send:GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nPOST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcdeGET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/models HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz?n=5 HTTP/1.1\r\nHost: x\r\n\r\n' \
		resp resp resp resp resp silent:0.2
	statuses
	[ "$CODES" = "200 405 404 401 200" ]
	assert_line -- "-- silent"
	# A malformed one in the middle ends it: what follows is not answered.
	talk "$ADDR" 'send:GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nxGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' \
		resp resp closed:2
	statuses
	[ "$CODES" = "200 400" ]
	assert_line -- "-- closed"
}

@test "inetd mode answers one request and always says Connection: close" {
	inetd "GET /healthz HTTP/1.1\r\n${H}Connection: keep-alive\r\n\r\nGET /nope HTTP/1.1\r\n${H}\r\n"
	expect 200
	has_header "Connection: close"
	[ "$BODY" = '{"ok":true}' ]
	inetd "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
	expect 200
	has_header "Connection: close"
	no_header "Connection: keep-alive"
	tcpserver_start
	run -0 curl -sS -v "http://$TCPADDR/healthz" "http://$TCPADDR/nope"
	[ "$(grep -c '^< Connection: close' <<<"${output//$'\r'/}")" = 2 ]
	refute_line --partial "Re-using existing connection"
	assert_line '{"ok":true}'
	assert_line --partial '"type":"not_found"'
}

@test "Expect: 100-continue: 100 Continue before the final answer; none when the body is refused" {
	gw_start CLAW_GATEWAY_MAX_BODY=100
	# The interim answer comes before the body is sent; none to a request its
	# token refuses, which is answered at once.
	authed
	talk "$ADDR" "send:${CA}Expect: 100-continue\r\nContent-Length: 2\r\n\r\n" resp:2 'send:{}' resp
	assert_line --index 0 "HTTP/1.1 100 Continue"
	assert_line --index 1 "HTTP/1.1 400 Bad Request"
	talk "$ADDR" "send:${C}Expect: 100-continue\r\nContent-Length: 2\r\n\r\n" resp:2 closed:2
	assert_line --index 0 "HTTP/1.1 401 Unauthorized"
	refute_line --partial "100 Continue"
	assert_line -- "-- closed"
	# A body that is too large is refused at once, with no 100.
	talk "$ADDR" "send:${C}Expect: 100-continue\r\nContent-Length: 1000\r\n\r\n" resp:2 closed:2
	assert_line --index 0 "HTTP/1.1 413 Content Too Large"
	refute_line --partial "100 Continue"
	assert_line -- "-- closed"
	# curl, to the started gateway and under tcpserver.
	local token a
	tok token --scope skills
	tcpserver_start
	for a in "$ADDR" "$TCPADDR"; do
		run -0 curl -sS -v --expect100-timeout 30 -H 'Expect: 100-continue' -H "Authorization: Bearer $token" -d '[1]' \
			"http://$a/api/v1/skills/time/run"
		output=${output//$'\r'/}
		[[ $output == *$'\n< HTTP/1.1 100 Continue\n'*$'\n< HTTP/1.1 400 Bad Request\n'* ]]
		assert_line --partial '"want a JSON object body"'
	done
}

# --- auth ---

@test "every route but /healthz wants a bearer token: 401 with WWW-Authenticate: Bearer; never one in the URL" {
	gw_start
	call GET /healthz
	expect 200
	local r
	for r in "GET /v1/models" "GET /api/v1/skills" "GET /api/v1/sessions" "GET /api/v1/status" \
		"POST /api/v1/chat" "POST /v1/chat/completions" "POST /api/v1/skills/time/run"; do
		set -- $r
		if [ "$1" = POST ]; then call POST "$2" -d '{}'; else call GET "$2"; fi
		expect 401
		has_header "WWW-Authenticate: Bearer"
		[[ $BODY == *"missing bearer token"* ]] || fail "$r: $BODY"
	done
	# The same in inetd mode.
	inetd "GET /v1/models HTTP/1.1\r\n${H}\r\n"
	expect 401
	has_header "WWW-Authenticate: Bearer"
	# A token in the URL is never read.
	local t
	tok t --scope admin
	call GET "/v1/models?token=$t"
	expect 401
	[[ $BODY == *"missing bearer token"* ]]
	call GET "/v1/models?access_token=$t"
	expect 401
	call GET "/api/v1/status?access_token=$t&token=$t"
	expect 401
	call POST "/api/v1/chat?access_token=$t" -d '{}'
	expect 401
	inetd "GET /v1/models?access_token=$t HTTP/1.1\r\n${H}\r\n"
	expect 401
	# With the header the query does not matter.
	call GET "/v1/models?access_token=junk" -H "Authorization: Bearer $t"
	expect 200
}

@test "a bad credential is 401: Basic, empty Bearer, bad signature, another secret, alg none, HS512" {
	gw_start
	local good bad sig c h p pad3011 pad3012
	tok good --scope admin
	call GET /v1/models -H "Authorization: Bearer $good"
	expect 200
	# The scheme is case-insensitive.
	call GET /v1/models -H "Authorization: bearer $good"
	expect 200
	call GET /v1/models -H "Authorization: Basic dXNlcjpwYXNzd29yZA=="
	expect 401
	has_header 'WWW-Authenticate: Bearer( .*)?'
	call GET /v1/models -H "Authorization: Bearer"
	expect 401
	call GET /v1/models -H "Authorization: Bearer not.a.jwt"
	expect 401
	# One character of the signature changed (in the middle: no stray low bits).
	sig=${good##*.}
	c=${sig:20:1}
	[ "$c" = A ] && c=B || c=A
	call GET /v1/models -H "Authorization: Bearer ${good%.*}.${sig:0:20}$c${sig:21}"
	expect 401
	[[ $BODY == *"bad signature"* ]]
	has_header 'WWW-Authenticate: Bearer.*'
	# Another payload under the good signature.
	mint bad "{\"sub\":\"x\",\"scope\":\"admin\",\"exp\":$((NOW + 600))}"
	call GET /v1/models -H "Authorization: Bearer ${bad%.*}.$sig"
	expect 401
	# Signed with another secret.
	mint bad "{\"sub\":\"x\",\"scope\":\"admin\",\"exp\":$((NOW + 600))}" "" other-secret
	call GET /v1/models -H "Authorization: Bearer $bad"
	expect 401
	[[ $BODY == *"bad signature"* ]]
	# alg none (no signature, or the good one); HS512 with the right secret; HS256 misspelt or missing.
	for h in '{"alg":"none"}' '{"alg":"none","typ":"JWT"}' '{"alg":"HS512","typ":"JWT"}' '{"alg":"hs256"}' '{"typ":"JWT"}'; do
		mint bad "{\"sub\":\"x\",\"scope\":\"admin\",\"exp\":$((NOW + 600))}" "$h"
		call GET /v1/models -H "Authorization: Bearer $bad"
		expect 401
		[[ $BODY == *"alg must be HS256"* ]] || fail "$h: $BODY"
	done
	call GET /v1/models -H "Authorization: Bearer ${bad%.*}.$sig"
	expect 401
	# Our header written otherwise is fine: the signature covers the bytes sent.
	mint bad "{\"scope\":\"chat\",\"exp\":$((NOW + 600))}" '{"typ":"JWT","alg":"HS256"}'
	call GET /v1/models -H "Authorization: Bearer $bad"
	expect 200
	# 4096 bytes at most: a payload of 3011 bytes makes a token of 4096, 3012 one of 4097.
	p="{\"scope\":\"chat\",\"exp\":$((NOW + 600)),\"pad\":\"\"}"
	pad pad3011 $((3011 - ${#p})) y
	pad pad3012 $((3012 - ${#p})) y
	mint bad "${p%\"\}}$pad3011\"}"
	[ "${#bad}" = 4096 ]
	call GET /v1/models -H "Authorization: Bearer $bad"
	expect 200
	mint bad "${p%\"\}}$pad3012\"}"
	[ "${#bad}" = 4097 ]
	call GET /v1/models -H "Authorization: Bearer $bad"
	expect 401
	[[ $BODY == *"too long"* ]]
}

@test "exp and nbf: expired is 401 token expired, nbf ahead is 401, both within 30 s of leeway pass" {
	gw_start
	local t
	mint t "{\"scope\":\"chat\",\"iat\":$((NOW - 3600)),\"exp\":$((NOW - 120))}"
	call GET /v1/models -H "Authorization: Bearer $t"
	expect 401
	has_header 'WWW-Authenticate: Bearer.*'
	[[ $BODY == '{"error":{"message":"token expired",'* ]]
	mint t "{\"scope\":\"chat\",\"exp\":$((NOW - 10))}"
	call GET /v1/models -H "Authorization: Bearer $t"
	expect 200
	mint t "{\"scope\":\"chat\",\"nbf\":$((NOW + 600)),\"exp\":$((NOW + 1200))}"
	call GET /v1/models -H "Authorization: Bearer $t"
	expect 401
	[[ $BODY == *"not yet valid"* ]]
	mint t "{\"scope\":\"chat\",\"nbf\":$((NOW + 10)),\"exp\":$((NOW + 1200))}"
	call GET /v1/models -H "Authorization: Bearer $t"
	expect 200
	# exp is required, and a number.
	mint t '{"scope":"chat"}'
	call GET /v1/models -H "Authorization: Bearer $t"
	expect 401
	[[ $BODY == *"no exp"* ]]
	mint t "{\"scope\":\"chat\",\"exp\":\"$((NOW + 600))\"}"
	call GET /v1/models -H "Authorization: Bearer $t"
	expect 401
}

@test "scopes: a token without the route's scope is 403; admin reaches every route" {
	gw_start
	local skills chat admin arr r
	tok skills --scope skills
	tok chat --scope chat
	tok admin --scope admin
	call GET /v1/models -H "Authorization: Bearer $skills"
	expect 403 forbidden
	[[ $BODY == *chat* ]]
	call POST /api/v1/chat -H "Authorization: Bearer $skills" -d '{}'
	expect 403
	call POST /v1/chat/completions -H "Authorization: Bearer $skills" -d '{}'
	expect 403
	call GET /api/v1/status -H "Authorization: Bearer $chat"
	expect 403
	call GET /api/v1/sessions -H "Authorization: Bearer $chat"
	expect 403
	call GET /api/v1/skills -H "Authorization: Bearer $chat"
	expect 403
	call POST /api/v1/skills/time/run -H "Authorization: Bearer $chat" -d '{}'
	expect 403
	call GET /api/v1/status -H "Authorization: Bearer $skills"
	expect 403
	# The right scopes, as a string or as an array.
	call GET /v1/models -H "Authorization: Bearer $chat"
	expect 200
	call GET /api/v1/skills -H "Authorization: Bearer $skills"
	expect 200
	mint arr "{\"scope\":[\"skills\",\"chat\"],\"exp\":$((NOW + 600))}"
	call GET /api/v1/skills -H "Authorization: Bearer $arr"
	expect 200
	call GET /v1/models -H "Authorization: Bearer $arr"
	expect 200
	call GET /api/v1/status -H "Authorization: Bearer $arr"
	expect 403
	# admin: the GET routes answer, the POST routes get as far as reading the body.
	for r in /v1/models /api/v1/skills /api/v1/sessions /api/v1/status; do
		call GET "$r" -H "Authorization: Bearer $admin"
		expect 200
		[[ $BODY == \{* ]]
	done
	call POST /api/v1/chat -H "Authorization: Bearer $admin" -d '{}'
	expect 400
	[[ $BODY == *'want \"message\"'* ]]
	call POST /v1/chat/completions -H "Authorization: Bearer $admin" -d '{}'
	expect 400
	[[ $BODY == *messages* ]]
	call POST /api/v1/skills/time/run -H "Authorization: Bearer $admin" -d '[1]'
	expect 400
	[[ $BODY == *"want a JSON object body"* ]]
}

# --- claw-gateway token ---

@test "token: sub, scope chat skills, an hour, a jti, HS256 with the stored secret; --scope, --ttl; usage errors" {
	local t t2
	USER=alice tok t
	verify "$SECRET" "$t"
	jq -e '.sub == "alice" and .scope == "chat skills" and .exp - .iat == 3600
	    and (.iat - now | length) < 60 and (.jti | test("^[0-9a-f]{24}$"))
	    and keys == ["exp", "iat", "jti", "scope", "sub"]' <<<"$PART"
	env -u USER claw-gateway token >"$TMP/tok"
	read -r t <"$TMP/tok"
	part 2 "$t"
	[[ $PART == '{"sub":"claw",'* ]]
	tok t --sub robot
	part 2 "$t"
	[[ $PART == '{"sub":"robot",'* ]]
	# No two alike.
	tok t2 --sub robot
	[ "$t" != "$t2" ]
	local opt bad t
	for opt in "--scope admin" "--scope skills,chat" "--scope chat,skills" "--scope admin,chat" \
		"--ttl 30m" "--ttl 2d" "--ttl 90" "--ttl 45s" "--ttl 3h" "--ttl 366d"; do
		tok t $opt
		part 2 "$t"
		printf '%s\n' "$PART"
	done >"$TMP/payloads"
	jq -e -s 'map(.scope) == ["admin", "skills chat", "chat skills", "admin chat"] + [range(6) | "chat skills"]
	    and map(.exp - .iat) == [range(4) | 3600] + [1800, 172800, 90, 45, 10800, 31622400]' "$TMP/payloads"
	tok t --scope 'skills chat'
	part 2 "$t"
	[[ $PART == *'"scope":"skills chat"'* ]]
	for bad in root "" "chat root"; do
		run -64 --separate-stderr claw-gateway token --scope "$bad"
		[ -z "$output" ] || fail "--scope '$bad' printed $output"
		[[ $stderr == *"--scope"* ]]
	done
	for bad in 0 1x 1.5h "" 367d 10w; do
		run -64 --separate-stderr claw-gateway token --ttl "$bad"
		[ -z "$output" ] || fail "--ttl '$bad' printed $output"
		[[ $stderr == *"--ttl"* ]]
	done
	run -64 claw-gateway token --bogus
	run -64 claw-gateway token extra
}

@test "token --sub takes up to 127 bytes, as claw-gateway(1) says, and the gateway accepts that token" {
	local t sub
	sub=$(printf 'a%.0s' $(seq 127))
	tok t --sub "$sub" --scope chat
	part 2 "$t"
	jq -e --arg s "$sub" '.sub == $s' <<<"$PART"
	inetd "GET /v1/models HTTP/1.1\r\n${H}Authorization: Bearer $t\r\n\r\n"
	expect 200
	run -64 --separate-stderr claw-gateway token --sub "${sub}b"
	[ "$stderr" = "claw-gateway: --sub: at most 127 bytes" ]
	run -64 --separate-stderr claw-gateway token --sub $'caf\xe9'
	[ "$stderr" = "claw-gateway: --sub: not UTF-8" ]
	grep -q 'may be up to 127 bytes' "$CLAW_SRC/man/claw-gateway.1"
}

@test "no secret: token and start make one, sealed, and say so; inetd mode answers 503 naming gateway.jwt_secret" {
	claw config unset gateway.jwt_secret
	run -0 --separate-stderr claw-gateway token --scope chat
	local t=$output secret
	[[ $stderr == *"generated gateway.jwt_secret"* ]]
	[ "${#stderr_lines[@]}" = 1 ]
	run -0 claw config list
	assert_line "gateway.jwt_secret=***"
	run -0 claw config get gateway.jwt_secret
	assert_output "***"
	run -0 claw config get --reveal gateway.jwt_secret
	secret=$output
	[[ $secret =~ ^[A-Za-z0-9_-]{43}$ ]]
	verify "$secret" "$t"
	[[ $PART == *'"scope":"chat"'* ]]
	# Sealed: the store does not hold it in the clear.
	! grep -qF -- "$secret" "$CLAW_HOME"/claw.db*
	[ "$(db "select secret from config where key = 'gateway.jwt_secret'")" = 1 ]
	# The next token uses it and says nothing.
	run -0 --separate-stderr claw-gateway token
	[ -z "$stderr" ]
	verify "$secret" "$output"
	# And the gateway checks with it.
	inetd "GET /v1/models HTTP/1.1\r\n${H}Authorization: Bearer $t\r\n\r\n"
	expect 200
	# start, with none, makes one too and says how to mint a token.
	claw config unset gateway.jwt_secret
	gw_start
	[[ $START_OUTPUT == *"generated gateway.jwt_secret"* ]]
	[[ $START_OUTPUT == *"claw-gateway token"* ]]
	run -0 claw config list
	assert_line "gateway.jwt_secret=***"
	tok t
	call GET /v1/models -H "Authorization: Bearer $t"
	expect 200
	# inetd mode makes none: without one it is 503.
	claw config unset gateway.jwt_secret
	mint t "{\"scope\":\"admin\",\"exp\":$((NOW + 600))}"
	inetd "GET /v1/models HTTP/1.1\r\n${H}Authorization: Bearer $t\r\n\r\n"
	expect 503 unavailable
	[[ $BODY == *gateway.jwt_secret* ]]
	[[ $BODY == *"claw-gateway start"* ]]
	inetd "POST /api/v1/chat HTTP/1.1\r\n${H}Authorization: Bearer $t\r\nContent-Length: 2\r\n\r\n{}"
	expect 503
	inetd "GET /healthz HTTP/1.1\r\n${H}\r\n"
	expect 200
	run -0 claw config list
	refute_line --partial gateway.jwt_secret
}

@test "JWT_SECRET signs and checks when the store has none; CLAW_GATEWAY_JWT_SECRET overrides the store" {
	claw config unset gateway.jwt_secret
	export JWT_SECRET=from-the-environment-42
	run -0 --separate-stderr claw-gateway token --scope chat
	local t=$output t2
	[ -z "$stderr" ]
	verify "$JWT_SECRET" "$t"
	inetd "GET /v1/models HTTP/1.1\r\n${H}Authorization: Bearer $t\r\n\r\n"
	expect 200
	gw_start
	[[ $START_OUTPUT != *generated* ]]
	call GET /v1/models -H "Authorization: Bearer $t"
	expect 200
	run -0 claw config list
	refute_line --partial gateway.jwt_secret
	# The store's secret wins over JWT_SECRET.
	claw config set "gateway.jwt_secret=$SECRET"
	tok t2
	verify "$SECRET" "$t2"
	inetd "GET /v1/models HTTP/1.1\r\n${H}Authorization: Bearer $t\r\n\r\n"
	expect 401
	unset JWT_SECRET
	export CLAW_GATEWAY_JWT_SECRET=override-secret-77
	tok t --scope chat
	verify "$CLAW_GATEWAY_JWT_SECRET" "$t"
	inetd "GET /v1/models HTTP/1.1\r\n${H}Authorization: Bearer $t\r\n\r\n"
	expect 200
	claw-gateway stop
	gw_start
	call GET /v1/models -H "Authorization: Bearer $t"
	expect 200
	# A token signed with the stored one is refused now.
	mint t "{\"scope\":\"chat\",\"exp\":$((NOW + 600))}"
	call GET /v1/models -H "Authorization: Bearer $t"
	expect 401
}

@test "inetd mode with no secret answers a request without a token 401, not 503" {
	claw config unset gateway.jwt_secret
	inetd "GET /v1/models HTTP/1.1\r\n${H}\r\n"
	expect 503 unavailable
}

# --- npm jsonwebtoken ---

@test "jsonwebtoken interop: its tokens are accepted, ours verify with it, also with generated and JWT_SECRET secrets" {
	need_npm
	gw_start
	local t
	jwtjs sign "$SECRET" '{"sub":"node","scope":"chat"}' 1h
	t=$output
	call GET /v1/models -H "Authorization: Bearer $t"
	expect 200
	inetd "GET /v1/models HTTP/1.1\r\n${H}Authorization: Bearer $t\r\n\r\n"
	expect 200
	jwtjs sign "$SECRET" '{"sub":"node","scope":["skills","admin"]}' 600
	call GET /api/v1/status -H "Authorization: Bearer $output"
	expect 200
	# jsonwebtoken adds iat but no exp unless asked; we want exp.
	jwtjs sign "$SECRET" '{"sub":"node","scope":"chat"}'
	call GET /v1/models -H "Authorization: Bearer $output"
	expect 401
	[[ $BODY == *"no exp"* ]]
	# Ours, checked by jsonwebtoken.
	tok t --scope admin --ttl 30m --sub ours
	jwtjs verify "$SECRET" "$t"
	[ "$status" = 0 ]
	jq -e '.sub == "ours" and .scope == "admin" and .exp - .iat == 1800' <<<"$output"
	jwtjs verify other-secret "$t"
	[ "$status" = 1 ]
	assert_output --partial "invalid signature"
	claw config unset gateway.jwt_secret
	local t
	tok t
	run -0 claw config get --reveal gateway.jwt_secret
	jwtjs verify "$output" "$t"
	[ "$status" = 0 ]
	[[ $output == *'"scope":"chat skills"'* ]]
	claw config unset gateway.jwt_secret
	JWT_SECRET=shared-with-node tok t
	jwtjs verify shared-with-node "$t"
	[ "$status" = 0 ]
	jwtjs sign shared-with-node '{"scope":"chat"}' 5m
	inetd "GET /v1/models HTTP/1.1\r\n${H}Authorization: Bearer $output\r\n\r\n" JWT_SECRET=shared-with-node
	expect 200
}

# --- rate limit ---

# rate_round SEND: with gateway.rate=3, five /healthz, then four requests of one token,
# one of another, one more /healthz; done again (new tokens) if a minute began in
# between.  SEND TOKEN|- PATH leaves STATUS, HEAD, BODY.  Sets R (the statuses),
# RETRY and BODY429 (of the 4th request of the first token), TOKEN_A.
rate_round() {
	local send=$1 try m0 m1 i b
	for try in 1 2; do
		# a round that met a minute's end is done again afresh: its counts go too
		[ "$try" = 1 ] || db "delete from gateway_rate"
		printf -v m0 '%(%s)T' -1
		tok TOKEN_A --scope chat
		tok b --scope admin
		R=""
		for i in 1 2 3 4 5; do
			$send - /healthz
			R+="$STATUS "
		done
		for i in 1 2 3 4; do
			$send "$TOKEN_A" /v1/models
			R+="$STATUS "
		done
		RETRY=""
		[[ $HEAD =~ $'\n'[Rr]etry-[Aa]fter:\ ([^$'\n']*) ]] && RETRY=${BASH_REMATCH[1]}
		BODY429=$BODY
		$send "$b" /api/v1/status
		R+="$STATUS "
		$send - /healthz
		R+=$STATUS
		printf -v m1 '%(%s)T' -1
		if ((m0 / 60 == m1 / 60)); then return 0; fi
	done
}

send_start() {
	if [ "$1" = - ]; then call GET "$2"; else call GET "$2" -H "Authorization: Bearer $1"; fi
}

send_inetd() {
	local auth=""
	[ "$1" = - ] || auth="Authorization: Bearer $1\r\n"
	inetd "GET $2 HTTP/1.1\r\n${H}${auth}\r\n"
}

check_rate() {
	[ "$R" = "200 200 200 200 200 200 200 200 429 200 200" ] || fail "statuses: $R"
	[[ $RETRY =~ ^[0-9]+$ ]] && [ "$RETRY" -ge 1 ] && [ "$RETRY" -le 60 ] || fail "Retry-After: '$RETRY'"
	note_error rate_limited "$BODY429"
}

@test "rate: the 4th request of a token in a minute is 429 with Retry-After (start mode)" {
	claw config set gateway.rate=3
	gw_start
	rate_round send_start
	check_rate
}

@test "rate: inetd mode counts in the store, by a hash of the token" {
	claw config set gateway.rate=3
	rate_round send_inetd
	check_rate
	# Two tokens counted; the keys are 16-byte hashes, never the token.
	[ "$(db "select count(*), max(count), min(length(key)) from gateway_rate")" = "2|4|16" ]
	! grep -qF -- "$TOKEN_A" "$CLAW_HOME"/claw.db*
	# CLAW_GATEWAY_RATE overrides; 0 is no limit.
	local t i
	tok t --scope chat
	for i in 1 2 3 4 5; do
		inetd "GET /v1/models HTTP/1.1\r\n${H}Authorization: Bearer $t\r\n\r\n" CLAW_GATEWAY_RATE=0
		expect 200
	done
}

@test "inetd with CLAW_GATEWAY_JWT_SECRET honours gateway.rate=0 from the store" {
	claw config set gateway.rate=0
	export CLAW_GATEWAY_JWT_SECRET=$SECRET
	local t
	tok t --scope chat
	inetd "GET /v1/models HTTP/1.1\r\n${H}Authorization: Bearer $t\r\n\r\n"
	expect 200
}

# --- telemetry ---

@test "inetd: one event per request with method, route, status and peer, and never the token" {
	local t
	tok t --scope chat
	inetd "GET /healthz HTTP/1.1\r\n${H}\r\n"
	inetd "GET /v1/models HTTP/1.1\r\n${H}Authorization: Bearer $t\r\n\r\n" TCPREMOTEIP=192.0.2.1
	inetd "GET /v1/models?access_token=$t HTTP/1.1\r\n${H}\r\n" REMOTE_ADDR=192.0.2.2
	inetd "GET /nope HTTP/1.1\r\n${H}\r\n"
	inetd "GET /healthz HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 1\r\n\r\nx"
	inetd "POST /healthz HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n"
	# Requests that never open the store wait in a spool for the next one that does.
	inetd "GET /v1/models HTTP/1.1\r\n${H}Authorization: Bearer $t\r\n\r\n" TCPREMOTEIP=192.0.2.3 REMOTE_ADDR=192.0.2.4
	db "select json_object('kind', kind, 'ok', ok, 'ms', ms, 'd', json(detail)) from events
	    where program = 'claw-gateway' order by ts, id" >"$TMP/ev"
	# /healthz is not recorded under inetd (nobody could count it); a refused one is.
	jq -e -s '
	    map(.d.method) == ["GET","GET","GET","-","POST","GET"]
	    and map(.d.route) == ["/v1/models","/v1/models","-","-","/healthz","/v1/models"]
	    and map(.d.status) == [200,401,404,400,405,200]
	    and map(.d.peer) == ["192.0.2.1","192.0.2.2","-","-","-","192.0.2.3"]
	    and all(.kind == "request" and .ok == 1 and .ms >= 0)
	    and all(.d | keys == ["method","peer","route","status"])' "$TMP/ev"
	[ ! -s "$CLAW_HOME/run/telemetry.spool" ]
	! grep -rqF -- "$t" "$CLAW_HOME" "$TMP/inetd.log"
	# Under tcpserver the peer is TCPREMOTEIP.
	tcpserver_start
	curl -sS -o /dev/null -H "Authorization: Bearer $t" "http://$TCPADDR/v1/models?access_token=$t"
	# The row is written after the connection closes: wait for it.
	for _ in $(seq 50); do
		db "select detail from events where program = 'claw-gateway' order by ts desc, id desc limit 1" >"$TMP/ev"
		jq -e '.peer == "127.0.0.1"' "$TMP/ev" >/dev/null && break
		sleep 0.1
	done
	jq -e '.peer == "127.0.0.1" and .route == "/v1/models" and .status == 200' "$TMP/ev"
	! grep -rqF -- "$t" "$CLAW_HOME" "$TMP/tcpserver.log"
}

@test "start mode: events reach the store within a second or so, and on stop; the token never does" {
	gw_start
	local t n i
	tok t --scope chat
	call GET /healthz
	call GET /v1/models -H "Authorization: Bearer $t"
	call GET "/v1/models?access_token=$t"
	call GET /nope
	# Flushed at least once a second: no stop needed (/healthz is a count, written
	# when a wall-clock minute ends and on stop: not counted here, since a run
	# may straddle a minute).
	for ((i = 0; i < 40; i++)); do
		db "select count(*) from events where program = 'claw-gateway' and kind = 'request'" \
		    >"$TMP/n"
		n=$(<"$TMP/n")
		[ "$n" = 3 ] && break
		sleep 0.05
	done
	[ "$n" = 3 ] || fail "$n events after 2 s"
	kill -0 "$GWPID"
	# The last ones are written when it stops.
	talk "$ADDR" 'send:GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n' resp resp
	call POST /v1/models -H "Authorization: Bearer $t" -d '{}'
	run -0 claw-gateway stop
	db "select detail from events where program = 'claw-gateway' and kind = 'request'
	    order by ts, id" >"$TMP/ev"
	jq -e -s '
	    map(.status) == [200,401,404,401,405]
	    and map(.route) == ["/v1/models","/v1/models","-","/v1/models","/v1/models"]
	    and map(.method) == ["GET","GET","GET","GET","POST"]
	    and all(.peer == "127.0.0.1")' "$TMP/ev"
	db "select detail from events where program = 'claw-gateway' and kind = 'requests'" >"$TMP/ev"
	# one row, or one a minute when the run straddled one: two /healthz in all
	jq -e -s 'length >= 1 and all(.route == "/healthz") and (map(.count) | add) == 2' "$TMP/ev"
	! grep -rqF -- "$t" "$CLAW_HOME"
}

# ---- issue 11 ----

# hold N SRC [REQUEST]: gwclient.py hold against the started gateway, into $output.
hold() {
	run -0 "$PY" "$GWC" hold "$ADDR" "$@"
}

@test "a full connection table sheds the least advanced one: 1100 idle sockets, /healthz still answered" {
	gw_start CLAW_GATEWAY_MAX_PER_PEER=1024
	hold 1100 127.0.0.1
	assert_line --regexp '^healthz 200 [0-2]\.[0-9]$'
	[[ $output =~ open\ ([0-9]+) ]]
	((BASH_REMATCH[1] <= 1024)) || fail "kept ${BASH_REMATCH[1]} of 1100"
	kill -0 "$GWPID"
}

@test "one address holds at most gateway.max_per_peer connections; others still get in" {
	gw_start
	hold 200 127.0.0.2
	assert_line --regexp '^healthz 200 '
	assert_line "open 64"
	claw config set gateway.max_per_peer=8
	run -0 claw-gateway stop
	gw_start
	hold 20 127.0.0.3
	assert_line "open 8"
	run ! claw config set gateway.max_per_peer=lots
}

@test "no token: a POST of 50 MB is 401 on its head, before a body byte is sent, and nothing is buffered" {
	gw_start CLAW_GATEWAY_MAX_BODY=104857600
	local head="${C}Content-Length: 52428800\r\n\r\n"
	talk "$ADDR" "send:$head" resp:2 closed:2
	assert_line --index 0 "HTTP/1.1 401 Unauthorized"
	assert_line -- "-- closed"
	# With Expect, no 100 Continue either.
	talk "$ADDR" "send:${C}Expect: 100-continue\r\nContent-Length: 52428800\r\n\r\n" resp:2 closed:2
	assert_line --index 0 "HTTP/1.1 401 Unauthorized"
	refute_line --partial "100 Continue"
	# 60 such clients at once (under gateway.max_per_peer), each with a 64 KiB start
	# of its body: each is answered, its body dropped, its connection closed.
	local x
	x=$(head -c 65536 /dev/zero | tr '\0' x)
	hold 60 127.0.0.4 "$head$x"
	assert_line "statuses 401"
	assert_line "open 0"
	local rss
	while read -r k v _; do [ "$k" != VmRSS: ] || rss=$v; done </proc/"$GWPID"/status
	# Under valgrind the resident size is valgrind's own, a few tens of MB more.
	((rss < (${CLAW_VALGRIND:-0} == 1 ? 131072 : 32768))) || fail "RSS $rss kB"
	# inetd the same: answered without reading the body.
	talk exec "send:$head" resp:2 -- env CLAW_GATEWAY_MAX_BODY=104857600 claw-gateway
	assert_line --index 0 "HTTP/1.1 401 Unauthorized"
}

@test "1000 /healthz in start mode leave one counted row, not 1000" {
	gw_start
	curl -sS -o /dev/null "http://$ADDR/healthz?n=[1-1000]"
	run -0 claw-gateway stop
	[ "$(db "select count(*) from events where program = 'claw-gateway' and kind = 'request'")" = 0 ]
	db "select detail from events where program = 'claw-gateway' and kind = 'requests'" >"$TMP/ev"
	jq -e -s 'length <= 2 and (map(.count) | add) == 1000 and all(.route == "/healthz")' "$TMP/ev"
	# Under inetd a /healthz is not recorded at all.
	inetd "GET /healthz HTTP/1.1\r\n${H}\r\n"
	expect 200
	[ ! -s "$CLAW_HOME/run/telemetry.spool" ]
}

@test "a flood of bad tokens leaves at most 10 rows a minute per peer, the rest counted" {
	gw_start
	curl -sS -o /dev/null -H "Authorization: Bearer not.a.token" "http://$ADDR/v1/models?n=[1-500]"
	curl -sS -o /dev/null "http://$ADDR/nope?n=[1-100]"
	run -0 claw-gateway stop
	db "select count(*) from events where program = 'claw-gateway' and kind = 'request'" >"$TMP/n"
	(($(<"$TMP/n") <= 20)) || fail "$(<"$TMP/n") rows"
	db "select detail from events where program = 'claw-gateway' and kind = 'requests'" >"$TMP/ev"
	jq -e -s --argjson rows "$(<"$TMP/n")" '(map(.refused) | add) + $rows == 600' "$TMP/ev"
}

@test "start leaves the caller's descriptors: claw-gateway start 3>&1 | cat ends" {
	run -0 timeout 5 bash -c "claw-gateway start --listen 127.0.0.1:0 3>&1 7>'$TMP/seven' 2>&1 | cat"
	[[ $output =~ \(pid\ ([0-9]+)\) ]]
	local fd
	for fd in /proc/"${BASH_REMATCH[1]}"/fd/*; do
		[ "$(readlink "$fd")" != "$TMP/seven" ] || fail "the gateway holds $TMP/seven"
	done
}

@test "bytes that are not UTF-8 in a skill's output reach the client as U+FFFD in valid JSON" {
	mkdir -p "$TMP/skills/raw"
	printf -- '---\nname: raw\ndescription: prints a byte that is no UTF-8\npermissions: []\n---\n' \
		>"$TMP/skills/raw/SKILL.md"
	printf '#!/bin/sh\nprintf "caf\\377 \\303\\251\\n"\n' >"$TMP/skills/raw/run"
	chmod +x "$TMP/skills/raw/run"
	gw_start CLAW_SKILLS_PATH="$TMP/skills"
	local t
	tok t --scope skills
	curl -sS -H "Authorization: Bearer $t" -d '{}' "http://$ADDR/api/v1/skills/raw/run" >"$TMP/out"
	"$PY" -c 'import sys; t = open(sys.argv[1], "rb").read().decode("utf-8"); print(t)' "$TMP/out" >"$TMP/text"
	grep -qF $'caf\xef\xbf\xbd \xc3\xa9' "$TMP/text" || fail "$(cat "$TMP/out")"
	jq -e . "$TMP/out" >/dev/null
}
