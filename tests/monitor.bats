#!/usr/bin/env bats
# claw-monitor: status, monitor (exact figures from fixture /proc and cgroup v2 trees
# under tests/fixtures/monitor, sanity on the live system), profile, doctor, export
# (checked by promtool), prune, and the gateway's GET /metrics.

load helper

FIX="$BATS_TEST_DIRNAME/fixtures/monitor"

db() { sqlite3 "$CLAW_HOME/claw.db" "$@"; }

# A store with a local provider (no key needed) and skills from an empty directory,
# so doctor runs no skill tests unless a test asks for them.
monitor_store() {
	claw config set model=generic/test-model >/dev/null
	claw config set providers.generic.base_url=http://127.0.0.1:9/v1 >/dev/null
	mkdir -p "$BATS_TEST_TMPDIR/noskills"
	export CLAW_SKILLS_PATH="$BATS_TEST_TMPDIR/noskills"
}

now_ms() { echo $(( $(date +%s) * 1000 )); }

# A process holding the gateway's pidfile lock, as claw-gateway start does, in $pid;
# the pidfile says pid, 127.0.0.1:3999, then LINES (printf's escapes).
fake_gateway() {
	mkdir -p "$CLAW_HOME/run"
	flock "$CLAW_HOME/run/gateway.pid" sleep 60 3>&- &
	pid=$!
	for _ in $(seq 50); do [ -n "$(pgrep -P $pid)" ] && break; sleep 0.1; done
	printf "%s 127.0.0.1:3999\n${1:-}" "$pid" > "$CLAW_HOME/run/gateway.pid"
}

# N events of PROGRAM KIND with ms 1..N, ending AGO ms before now; every 10th failed.
seed() {
	local n=$1 program=$2 kind=$3 ago=${4:-0}
	db "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $n)
	    INSERT INTO events(ts, program, kind, ms, ok, detail)
	    SELECT $(now_ms) - $ago - i * 10, '$program', '$kind', i, i % 10 <> 0,
	    CASE WHEN '$kind' = 'turn' THEN json_object('tokens_in', 10, 'tokens_out', 3,
	    'tokens_cached', 4, 'tokens_cache_write', 1,
	    'model', 'generic/test-model') ELSE '{}' END FROM c"
}

# ---- status ----

@test "status with no store says so and creates nothing" {
	run -0 claw-monitor status
	assert_line --partial "store     none yet"
	[ ! -e "$CLAW_HOME/claw.db" ]
	run -0 claw-monitor status --json
	assert_output --partial '"store":null'
}

@test "status: store, model, key presence (never the key), sessions, tokens, errors" {
	monitor_store
	claw config set providers.generic.api_key=sk-never-shown-1234 2>/dev/null
	seed 20 claw-chat turn
	db "INSERT INTO sessions(name, created, updated) VALUES ('work', 1, $(now_ms))"
	run -0 claw-monitor status
	assert_line --regexp '^store     .*schema [0-9]+$'
	assert_line "model     generic/test-model (store), provider generic: key set (sealed in the store)"
	assert_line --regexp '^sessions  1, last turn [0-9]+ s ago in "work"$'
	assert_line "tokens    today 200 in, 60 out (20 turns); 7 days 200 in, 60 out (20 turns)"
	assert_line "cached    today 80 of 200 in (40%); 7 days 80 of 200 in (40%)"
	assert_line "errors    2 in the last hour: claw-chat turn 2"
	assert_line "gateway   not running"
	assert_line "peers     none"
	assert_line "evolution no cycle yet"
	refute_output --partial sk-never-shown
	run -0 claw-monitor status --json
	[ "${#lines[@]}" = 1 ]
	refute_output --partial sk-never-shown
	run -0 jq -r '[.type, .model.key, .tokens.week.in, .tokens.week.cached,
	    .errors.last_hour, .sessions.count, .peers, .gateway.running] | map(tostring)
	    | join(" ")' <<<"$output"
	assert_output "status store 200 80 2 1 [] false"
	# A store from before claw-node and claw-evolve: their parts are not set up.
	db "DROP TABLE peers; DROP TABLE cycles"
	run -0 claw-monitor status
	assert_line "peers     not set up (claw-node)"
	assert_line "evolution not set up (claw-evolve)"
	run -0 jq -r '.peers | tostring' <<<"$(claw-monitor status --json)"
	assert_output null
}

@test "status reads claw-node's peers and claw-evolve's cycles when their tables exist" {
	monitor_store
	db "INSERT INTO peers(name, host, added, healthy, last_seen)
	      VALUES ('laptop', 'h:1', 1, 1, 5), ('pi', 'h:2', 1, 0, NULL);
	    INSERT INTO cycles(started, upto_event, upto_suggest, outcome)
	      VALUES ($(now_ms) - 60000, 0, 0, 'applied')"
	run -0 claw-monitor status
	assert_line "peers     laptop (healthy), pi (down); 1 down"
	assert_line --regexp '^evolution last cycle [0-9]+ s ago: applied, next due .* \(cron, every 20 min\)$'
	run -0 claw-monitor status --json
	run -0 jq -r '[.peers[0].name, .peers[1].healthy, .evolution.outcome,
	    (.evolution.next_due > .evolution.last)] | map(tostring) | join(" ")' <<<"$output"
	assert_output "laptop false applied true"
}

@test "status shows a running gateway: pid, address, uptime, RSS and its growth since start" {
	monitor_store
	# A gateway that had no memory at all when it started.
	local pid
	fake_gateway 'rss_kb 0\n'
	db "INSERT INTO events(ts, program, kind, ms, ok, detail) VALUES
	    ($(now_ms), 'claw-gateway', 'request', 3, 1, '{}'),
	    ($(now_ms), 'claw-gateway', 'request', 3, 0, '{}'),
	    ($(now_ms), 'claw-gateway', 'requests', NULL, 1, '{\"count\":5}')"
	run -0 claw-monitor status
	assert_line --regexp "^gateway   pid $pid on 127.0.0.1:3999, up [0-9]+ s, RSS [0-9.]+ MB \(\+[0-9.]+ MB since start\), last hour 7 requests, 1 errors$"
	run -0 claw-monitor status --json
	kill $pid
	run -0 jq -e '.gateway.rss_growth_kb == .gateway.rss_kb and .gateway.rss_kb > 0' <<<"$output"
	# A pidfile without its start RSS (an older claw wrote it): no growth to say.
	fake_gateway
	run -0 claw-monitor status --json
	kill $pid
	run -0 jq -e '.gateway.running and .gateway.rss_growth_kb == null' <<<"$output"
}

@test "the gateway and the node server write their RSS at start; status counts growth from it" {
	monitor_store
	claw config set gateway.jwt_secret=test-secret-0123456789 2>/dev/null
	run -0 claw-gateway start --listen 127.0.0.1:0
	run -0 sed -n 2p "$CLAW_HOME/run/gateway.pid"
	assert_output --regexp '^rss_kb [0-9]+$'
	local start=${output#rss_kb }
	(( start > 500 ))
	claw-node init >/dev/null 2>&1 || true
	(setsid claw-node serve --listen 127.0.0.1:0 >"$BATS_TEST_TMPDIR/node.out" 2>&1 3>&- &
	 echo $! >"$BATS_TEST_TMPDIR/node.pid")
	for _ in $(seq 100); do grep -q listening "$BATS_TEST_TMPDIR/node.out" && break; sleep 0.05; done
	run -0 claw-monitor status
	assert_line --regexp '^gateway   pid [0-9]+ on 127\.0\.0\.1:[0-9]+, up [0-9]+ s, RSS [0-9.]+ MB \([+-][0-9.]+ MB since start\), '
	assert_line --regexp '^node      pid [0-9]+ on 127\.0\.0\.1:[0-9]+, up [0-9]+ s, RSS [0-9.]+ MB \([+-][0-9.]+ MB since start\), '
	run -0 claw-monitor status --json
	kill "$(cat "$BATS_TEST_TMPDIR/node.pid")"
	claw-gateway stop >/dev/null
	# a fresh server has grown by less than 4 MB since it started
	run -0 jq -e '[.gateway, .node][] | .rss_growth_kb != null and .rss_growth_kb < 4096
	    and .rss_kb - .rss_growth_kb > 500' <<<"$output"
}

@test "status with a garbage store: one line and exit 70" {
	mkdir -p "$CLAW_HOME"
	echo "not a database at all, just text" > "$CLAW_HOME/claw.db"
	run --separate-stderr -70 claw-monitor status
	assert_stderr_lines 1
	[[ $stderr == claw-monitor:*"not a SQLite store"* ]]
}

@test "status folds the gateway's telemetry spool into events" {
	monitor_store
	mkdir -p "$CLAW_HOME/run"
	echo "$(now_ms) 4 1 claw-gateway request {\"route\":\"/healthz\",\"status\":200}" \
	    > "$CLAW_HOME/run/telemetry.spool"
	run -0 claw-monitor status
	run -0 db "SELECT count(*) FROM events WHERE program = 'claw-gateway' AND ms = 4"
	assert_output 1
	[ ! -s "$CLAW_HOME/run/telemetry.spool" ]
}

# --- status's copy (claw.db-status) ---

# Rewrite field I of the status copy's body (netstrings; a negative I counts from
# the end) as VALUE, its lengths and hash made right again: what the copy says then
# shows whether status believed it.
forge_status() {
	python3 - "$CLAW_HOME/claw.db-status" "$1" "$2" <<'PY'
import sys
path, i, value = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
head, body = open(path, "rb").read().split(b"\n", 1)
fields = []
while body:
    n, rest = body.split(b":", 1)
    fields.append(rest[:int(n)])
    assert rest[int(n):int(n) + 1] == b","
    body = rest[int(n) + 1:]
fields[i] = value
body = b"".join(b"%d:%s," % (len(f), f) for f in fields)
magic, ver, token, n, _ = head.split(b" ")
h = 14695981039346656037
for c in body:
    h = ((h ^ c) * 1099511628211) & (2**64 - 1)
open(path, "wb").write(b"%s %s %s %d %016x\n" % (magic, ver, token, len(body), h) + body)
PY
}

# Statuses until the copy is current: the first after a change to the store may
# write none (a store file as new as the moment it opened the copy is not trusted),
# or one that its own refresh of the skill index makes stale.
status_copied() {
	rm -f "$CLAW_HOME/claw.db-status"
	for _ in 1 2 3; do
		sleep 0.05
		claw-monitor status >/dev/null
	done
	[ -f "$CLAW_HOME/claw.db-status" ]
}

@test "status answers from its copy while the store is as it was; any write to it is seen at once" {
	monitor_store
	seed 20 claw-chat turn
	db "INSERT INTO sessions(name, created, updated) VALUES ('work', 1, $(now_ms))"
	status_copied
	[ "$(stat -c %a "$CLAW_HOME/claw.db-status")" = 600 ]
	# one report from the store, which writes the copy; the next from the copy
	rm "$CLAW_HOME/claw.db-status"
	run -0 claw-monitor status --json
	local stored=$output
	[ -f "$CLAW_HOME/claw.db-status" ]
	run -0 claw-monitor status --json
	assert_output "$stored"
	forge_status 4 7
	run -0 claw-monitor status
	assert_line --regexp '^sessions  7, last turn'
	assert_line "tokens    today 200 in, 60 out (20 turns); 7 days 200 in, 60 out (20 turns)"
	run -0 claw status
	assert_line --regexp '^sessions  7, last turn'
	# the store's mode set, even to what it was: asked again
	chmod 600 "$CLAW_HOME/claw.db"
	run -0 claw-monitor status
	assert_line --regexp '^sessions  1, last turn'
	status_copied
	forge_status 4 7
	run -0 claw-monitor status
	assert_line --regexp '^sessions  7, last turn'
	# a row written by anyone, even the sqlite3 shell: the store is asked again
	db "INSERT INTO events(ts, program, kind, ms, ok) VALUES ($(now_ms), 'claw-skill', 'run', 1, 0)"
	run -0 claw-monitor status
	assert_line --regexp '^sessions  1, last turn'
	assert_line "errors    3 in the last hour: claw-chat turn 2, claw-skill run 1"
	# a garbage copy, or one whose body is not what status writes, is not believed
	status_copied
	forge_status 4 07
	run -0 claw-monitor status
	assert_line --regexp '^sessions  1, last turn'
	echo "garbage" > "$CLAW_HOME/claw.db-status"
	run -0 claw-monitor status --json
	[ "$(jq -c .sessions <<<"$output")" = "$(jq -c .sessions <<<"$stored")" ]
}

@test "status's copy: the last hour's figures stand until an event they count leaves the hour" {
	monitor_store
	# an event that leaves the hour in 3 s (20 under valgrind, where a run takes 1)
	local ts=$(( $(date +%s%3N) - 3600000 + (${CLAW_VALGRIND:-0} == 1 ? 20000 : 3000) ))
	db "INSERT INTO events(ts, program, kind, ms, ok) VALUES ($ts, 'claw-skill', 'run', 1, 0)"
	status_copied
	forge_status -1 9
	run -0 claw-monitor status
	assert_line "errors    9 in the last hour: claw-skill run 9"
	while (( $(date +%s%3N) <= ts + 3600000 )); do sleep 0.2; done
	run -0 claw-monitor status
	assert_line "errors    0 in the last hour"
}

@test "status's copy: a daemon that started since is counted from the store; a spool is folded in" {
	monitor_store
	db "INSERT INTO events(ts, program, kind, ms, ok, detail) VALUES
	    ($(now_ms), 'claw-gateway', 'request', 3, 1, '{}'),
	    ($(now_ms), 'claw-gateway', 'request', 3, 0, '{}')"
	status_copied
	local pid
	fake_gateway
	run -0 claw-monitor status
	kill $pid
	assert_line --regexp "^gateway   pid $pid on 127\.0\.0\.1:3999, .*, last hour 2 requests, 1 errors$"
	# rows an inetd gateway spooled are the store's: status folds them in
	status_copied
	echo "$(now_ms) 4 0 claw-gateway request {\"route\":\"/x\",\"status\":500}" \
	    > "$CLAW_HOME/run/telemetry.spool"
	run -0 claw-monitor status
	assert_line "errors    2 in the last hour: claw-gateway request 2"
}

@test "status's copy is not written while a store file is as new as the moment it was opened" {
	monitor_store
	status_copied
	touch -d '+1 hour' "$CLAW_HOME/claw.db"
	rm "$CLAW_HOME/claw.db-status"
	for _ in 1 2 3; do
		run -0 claw-monitor status
		assert_line "sessions  0"
	done
	[ ! -e "$CLAW_HOME/claw.db-status" ]
}

@test "status's copy is not written from a read that failed: the next status asks again" {
	monitor_store
	# the index the errors query must use, gone: that query fails, the rest stands
	db "DROP INDEX events_failed"
	for _ in 1 2 3; do
		sleep 0.05
		run -0 claw-monitor status
		assert_line "sessions  0"
		refute_line --partial "errors    "
	done
	[ ! -e "$CLAW_HOME/claw.db-status" ]
}

# ---- monitor ----

@test "monitor: the first line is since boot, with exact figures from fixture files" {
	CLAW_PROC_ROOT="$FIX/proc" CLAW_CGROUP_ROOT="$BATS_TEST_TMPDIR/none" run -0 \
	    claw-monitor --metrics=cpu,memory,network,disk,claw --count 1
	[ "${#lines[@]}" = 1 ]
	run -0 jq -c '[.since_boot, .seconds, .cpu.busy, .cpu.user, .cpu.system, .cpu.iowait,
	    .cpu.idle, .cpu.ncpu, .memory.available_kb, .memory.used_pct, .memory.swap_used_kb,
	    .network, .disk, .claw, has("cgroup")]' <<<"$output"
	assert_output '[true,1000,42.5,30,12.5,2.5,55,2,3000000,25,250000,[{"iface":"lo","rx_bytes_s":500,"tx_bytes_s":500},{"iface":"eth0","rx_bytes_s":2000,"tx_bytes_s":1000}],[{"device":"vda","read_bytes_s":204800,"write_bytes_s":409600}],[{"pid":4242,"comm":"claw-gateway (x)","cpu":8,"rss_kb":4096}],false]'
}

@test "monitor: cgroup v2 figures from fixture files; the interval after is from deltas" {
	CLAW_PROC_ROOT="$FIX/proc" CLAW_CGROUP_ROOT="$FIX/cgroup" run -0 \
	    claw-monitor --metrics=cpu --interval 0.05 --count 2 --json
	[ "${#lines[@]}" = 2 ]
	local second=${lines[1]}
	run -0 jq -c '.cgroup' <<<"${lines[0]}"
	assert_output '{"path":"/claw.slice/gw","cpu":null,"cpus":0.5,"usage_usec":5000000,"throttled_usec":30000,"nr_throttled":2,"memory_current":52428800,"memory_max":104857600,"memory_peak":60000000,"pids_current":7,"pids_max":null,"oom_kill":0}'
	# The files do not change between the two readings: nothing happened.
	run -0 jq -c '[.since_boot, .cpu.busy, .cgroup.cpu]' <<<"$second"
	assert_output '[false,0,0]'
}

@test "monitor on a terminal: a vmstat-like table whose header repeats" {
	CLAW_PROC_ROOT="$FIX/proc" run -0 script -qec \
	    "stty rows 12; claw-monitor --metrics=cpu,memory --interval 0.01 --count 25" /dev/null
	run -0 grep -c 'busy%  usr%  sys%  iow%  avail_MB  used%' <<<"$output"
	assert_output 3
	CLAW_PROC_ROOT="$FIX/proc" run -0 script -qec \
	    "claw-monitor --metrics=cpu,memory --count 1" /dev/null
	assert_line --regexp '^[0-9:]{8}  42.5  30.0  12.5   2.5    2929.7   25.0'
}

@test "monitor on the live system: figures in range; through the front door as the seed writes it" {
	run -0 claw monitor --metrics=cpu,memory,network --interval 0.2 --count 2
	[ "${#lines[@]}" = 2 ]
	run -0 jq -e '.cpu.busy >= 0 and .cpu.busy <= 100 and .memory.available_kb > 0
	    and .memory.total_kb >= .memory.available_kb and (.network | length) >= 1' <<<"${lines[1]}"
}

@test "monitor: Ctrl-C ends it cleanly with whole lines" {
	claw-monitor --interval 0.1 --json > "$BATS_TEST_TMPDIR/out" &
	local pid=$!
	for _ in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/out" ] && break; sleep 0.1; done
	kill -INT $pid
	local rc=0
	wait $pid || rc=$?
	[ "$rc" = 0 ]
	run -0 jq -s 'length >= 1' "$BATS_TEST_TMPDIR/out"
}

@test "monitor: a missing /proc file is one line and exit 66; garbage in one is 65" {
	mkdir -p "$BATS_TEST_TMPDIR/p1"
	CLAW_PROC_ROOT="$BATS_TEST_TMPDIR/p1" run --separate-stderr -66 claw-monitor --count 1
	assert_stderr_lines 1
	[[ $stderr == "claw-monitor: $BATS_TEST_TMPDIR/p1/uptime: "* ]]
	cp -r "$FIX/proc" "$BATS_TEST_TMPDIR/p2"
	echo "garbage" > "$BATS_TEST_TMPDIR/p2/stat"
	CLAW_PROC_ROOT="$BATS_TEST_TMPDIR/p2" run --separate-stderr -65 claw-monitor --count 1
	assert_stderr_lines 1
	[[ $stderr == *"/stat: not what the kernel writes" ]]
}

@test "monitor: bad options are usage errors (64)" {
	run -64 claw-monitor --metrics=cpu,bogus --count 1
	assert_output --partial "'bogus' is not one of"
	run -64 claw-monitor --interval 0 --count 1
	run -64 claw-monitor --count -1
	run -64 claw-monitor --interval
	run -64 claw-monitor monitor extra
}

# ---- profile ----

@test "profile: count, errors, p50/p95/p99, tokens and the slowest, per program and kind" {
	monitor_store
	seed 100 claw-chat turn
	seed 20 claw-skill run
	seed 5 claw-chat turn $((3 * 3600 * 1000))     # outside the last hour
	run -0 claw profile --since 1h --json
	run -0 jq -c 'select(.type == "group") | [.program, .kind, .count, .errors, .p50_ms,
	    .p95_ms, .p99_ms, .tokens_in, .tokens_out, .tokens_cached]' <<<"$output"
	assert_line '["claw-chat","turn",100,10,50,95,99,1000,300,400]'
	assert_line '["claw-skill","run",20,2,10,19,20,0,0,0]'
	run -0 claw-monitor profile --since 1h --json
	run -0 jq -c 'select(.type == "slow") | [.program, .ms]' <<<"$output"
	assert_line --index 0 '["claw-chat",100]'
	run -0 claw-monitor profile --since 1h --json
	run -0 jq -c 'select(.type == "profile") | [.events, .system]' <<<"$output"
	assert_output '[120,null]'
	run -0 claw-monitor profile --since 4h
	assert_line --regexp '^claw-chat +turn +105 +10 '
}

@test "profile: a past window has CPU and memory, from what each event recorded" {
	monitor_store
	# Every row a program writes carries its CPU ms and peak RSS (getrusage).
	run claw-skill run no-such-skill </dev/null
	run -0 db "SELECT count(*) FROM events WHERE program = 'claw-skill' AND cpu_ms >= 0
	    AND rss_kb > 0"
	assert_output 1
	# Rows as if recorded an hour and more ago: 40 ms of CPU each, peaks 2 and 3 MB.
	db "INSERT INTO events(ts, program, kind, ms, ok, detail, cpu_ms, rss_kb) VALUES
	    ($(now_ms) - 5400000, 'claw-chat', 'turn', 900, 1, '{}', 40, 2048),
	    ($(now_ms) - 5000000, 'claw-chat', 'turn', 800, 1, '{}', 40, 3072),
	    ($(now_ms) - 4000000, 'claw-chat', 'cache', 1, 1, '{}', 20, 1024),
	    ($(now_ms) - 4000000, 'claw-skill', 'run', 5, 1, '{}', NULL, NULL)"
	run -0 claw-monitor profile --since 2h --json
	run -0 jq -c 'select(.type == "group" and .program == "claw-chat")
	    | [.kind, .cpu_ms, .rss_max_kb]' <<<"$output"
	assert_line '["turn",80,3072]'
	assert_line '["cache",20,1024]'
	run -0 claw-monitor profile --since 2h --json
	run -0 jq -c 'select(.type == "profile") | .recorded[]
	    | select(.program == "claw-chat") | [.program, .cpu_ms, .rss_max_kb]' <<<"$output"
	assert_output '["claw-chat",100,3072]'
	run -0 claw-monitor profile --since 2h
	assert_line --regexp '^(recorded|        ) +claw-chat +100 ms CPU \(0\.001 % of a core\), peak RSS 3\.0 MB$'
}

@test "profile --svg draws a chart a renderer turns into a picture" {
	command -v rsvg-convert || skip "rsvg-convert (librsvg2-bin) is not installed"
	monitor_store
	seed 200 claw-chat turn
	seed 50 claw-gateway request
	run -0 claw-monitor profile --since 1h --svg "$BATS_TEST_TMPDIR/p.svg"
	run -0 xmllint --noout "$BATS_TEST_TMPDIR/p.svg"
	run -0 rsvg-convert "$BATS_TEST_TMPDIR/p.svg" -o "$BATS_TEST_TMPDIR/p.png"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/p.png")" -gt 5000 ]
	run -0 grep -c '<polyline' "$BATS_TEST_TMPDIR/p.svg"
	assert_output 2
}

@test "profile --duration watches the machine while it waits, as the seed writes it" {
	monitor_store
	run -0 claw profile --duration=1 --json
	run -0 jq -e 'select(.type == "profile") | .system.samples >= 1
	    and .system.cpu_avg >= 0 and .system.mem_total_kb > 0' <<<"$output"
}

@test "profile: an empty window says so and exits 1; a bad age is a usage error" {
	monitor_store
	run --separate-stderr -1 claw-monitor profile --since 1h
	[[ $stderr == *"no events"* ]]
	run -64 claw-monitor profile --since yesterday
	run -64 claw-monitor profile --duration=0
}

# ---- doctor ----

@test "doctor: each check a finding; a wide home is an error that --fix repairs" {
	monitor_store
	chmod 755 "$CLAW_HOME"
	run -1 claw-monitor doctor
	assert_line --regexp "^ERROR home.mode +$CLAW_HOME is 755: group and others may enter it$"
	run -1 --separate-stderr claw-monitor doctor --json
	run -0 jq -e -s 'all(has("check") and has("severity") and has("ok") and has("message")
	    and has("fix") and .type == "finding")' <<<"$output"
	run -0 claw-monitor doctor --fix
	assert_line --partial "fixed: $CLAW_HOME is now 0700"
	assert_line --partial "fixed: made \$CLAW_HOME/keys, 0700"
	[ "$(file_mode "$CLAW_HOME")" = 700 ]
	[ "$(file_mode "$CLAW_HOME/keys")" = 700 ]
	run -0 claw doctor
	assert_line --regexp '^ok +store.quick_check +quick_check: ok$'
	assert_line --regexp '^ok +sandbox.landlock '
}

@test "doctor: a key file others can read, an undecryptable secret, a missing provider key" {
	monitor_store
	claw config set gateway.jwt_secret=test-secret-0123456789 2>/dev/null
	claw config set model=openai/gpt-4o >/dev/null
	chmod 644 "$CLAW_HOME/keys/store.key"
	run -1 --separate-stderr claw-monitor doctor --json
	run -0 jq -r 'select(.ok == false) | .check' <<<"$output"
	assert_line keys.file
	assert_line provider.configured
	run -1 claw-monitor doctor --fix
	[ "$(file_mode "$CLAW_HOME/keys/store.key")" = 600 ]
	# Another store key: the sealed secret no longer opens.
	rm "$CLAW_HOME/keys/store.key"
	head -c 32 /dev/urandom > "$CLAW_HOME/keys/store.key"
	chmod 600 "$CLAW_HOME/keys/store.key"
	run -1 claw-monitor doctor
	assert_line --regexp '^ERROR secrets.unseal +gateway.jwt_secret cannot be unsealed'
}

@test "doctor: a garbage store is one finding and the other checks still run" {
	mkdir -p "$CLAW_HOME" && chmod 700 "$CLAW_HOME"
	head -c 4096 /dev/urandom > "$CLAW_HOME/claw.db"
	chmod 600 "$CLAW_HOME/claw.db"
	run -1 claw-monitor doctor
	assert_line --regexp '^ERROR store.open +.*not a SQLite store'
	assert_line --regexp '^ok +sandbox.seccomp '
}

@test "doctor runs the built-in skills' tests" {
	monitor_store
	export CLAW_SKILLS_PATH="$BATS_TEST_DIRNAME/../skills"
	run --separate-stderr claw-monitor doctor --json
	run -0 jq -r 'select(.check == "skills.tests" and .ok) | .message' <<<"$output"
	assert_line --regexp '^calc: [0-9]+ cases pass$'
}

# ---- export, prune, /metrics ----

@test "export --prometheus: counters and histograms that promtool accepts" {
	monitor_store
	seed 100 claw-chat turn
	seed 30 claw-gateway request
	run -0 claw-monitor export --prometheus
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/m.prom"
	assert_line 'claw_events_total{program="claw-chat",kind="turn"} 100'
	assert_line 'claw_requests_total{program="claw-gateway",outcome="error"} 3'
	assert_line 'claw_tokens_total{direction="in"} 1000'
	assert_line 'claw_tokens_cached_total{op="read"} 400'
	assert_line 'claw_tokens_cached_total{op="write"} 100'
	assert_line 'claw_turn_duration_seconds_bucket{program="claw-chat",le="0.05"} 50'
	assert_line 'claw_turn_duration_seconds_bucket{program="claw-chat",le="+Inf"} 100'
	assert_line 'claw_turn_duration_seconds_sum{program="claw-chat"} 5.050'
	assert_line 'claw_daemon_up{daemon="gateway"} 0'
	command -v promtool || skip "promtool (Debian's prometheus package) is not installed"
	run -0 promtool check metrics < "$BATS_TEST_TMPDIR/m.prom"
}

@test "prune: events past monitor.retention_days go in batches; counters stay monotonic" {
	monitor_store
	seed 5000 claw-chat turn $((40 * 86400 * 1000))
	seed 10 claw-chat turn
	run -0 claw-monitor prune --dry-run
	assert_output "would prune 5000 events older than 30 days"
	run -0 db "SELECT count(*) FROM events"
	assert_output 5010
	run -0 claw-monitor prune
	assert_output "pruned 5000 events older than 30 days"
	run -0 db "SELECT count(*) FROM events"
	assert_output 10
	run -0 claw-monitor export --prometheus
	assert_line 'claw_events_total{program="claw-chat",kind="turn"} 5010'
	assert_line 'claw_tokens_total{direction="in"} 50100'
	assert_line 'claw_tokens_cached_total{op="read"} 20040'
	claw config set monitor.retention_days=0 >/dev/null
	run -0 claw-monitor prune
	assert_output "kept: monitor.retention_days is 0"
	run -0 claw-monitor prune --days 0
	run -64 claw-monitor prune --days soon
}

@test "the gateway serves GET /metrics to an admin token only" {
	monitor_store
	claw config set gateway.jwt_secret=test-secret-0123456789 2>/dev/null
	seed 10 claw-chat turn
	local admin chat
	admin=$(claw-gateway token --scope admin)
	chat=$(claw-gateway token --scope chat)
	run -0 sh -c "printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n' \
	    '$admin' | claw-gateway"
	assert_line --partial "HTTP/1.1 200 OK"
	assert_line --partial "Content-Type: text/plain; version=0.0.4; charset=utf-8"
	assert_line --partial 'claw_events_total{program="claw-chat",kind="turn"} 10'
	run -0 sh -c "printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n' \
	    '$chat' | claw-gateway"
	assert_line --partial "HTTP/1.1 403"
	run -0 sh -c "printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n' | claw-gateway"
	assert_line --partial "HTTP/1.1 401"
}

@test "a slow /metrics or webhook ingest holds up no other request (each runs in a job's child)" {
	monitor_store
	claw config set gateway.jwt_secret=test-secret-0123456789 2>/dev/null
	claw config set channels.telegram.webhook_secret=hook-secret-1 2>/dev/null
	local dir=$BATS_TEST_TMPDIR/slow admin t0 t1 addr
	mkdir -p "$dir"
	# The gateway finds claw-monitor and claw-channel beside itself first: slow ones.
	cp "$CLAW_BIN/claw-gateway" "$dir/"
	printf '#!/bin/sh\nsleep 3\necho "claw_slow 1"\n' >"$dir/claw-monitor"
	printf '#!/bin/sh\ncat >/dev/null\nsleep 3\n' >"$dir/claw-channel"
	chmod +x "$dir"/claw-*
	admin=$(claw-gateway token --scope admin)
	run -0 "$dir/claw-gateway" start --listen 127.0.0.1:0
	[[ $output =~ listening\ on\ (127\.0\.0\.1:[0-9]+) ]]
	addr=${BASH_REMATCH[1]}
	curl -sS -m 10 -o "$dir/metrics" -w '%{http_code}' -H "Authorization: Bearer $admin" \
	    "http://$addr/metrics" >"$dir/metrics.code" &
	curl -sS -m 10 -o "$dir/hook" -w '%{http_code}' -H 'Content-Type: application/json' \
	    -H 'X-Telegram-Bot-Api-Secret-Token: hook-secret-1' -d '{"update_id":1}' \
	    "http://$addr/channels/telegram/webhook" >"$dir/hook.code" &
	sleep 0.5                          # both are waiting for their children now
	t0=$(date +%s%N)
	run -0 curl -sS -m 10 -H "Authorization: Bearer $admin" "http://$addr/api/v1/status"
	t1=$(date +%s%N)
	assert_output --partial '"version"'
	(( (t1 - t0) / 1000000 < 1500 )) || fail "a status request took $(( (t1 - t0) / 1000000 )) ms"
	wait
	[ "$(cat "$dir/metrics.code")" = 200 ]
	run -0 cat "$dir/metrics"
	assert_output "claw_slow 1"
	[ "$(cat "$dir/hook.code")" = 200 ]
	run -0 cat "$dir/hook"
	assert_output '{"ok":true}'
	run -0 curl -sS -I -H "Authorization: Bearer $admin" "http://$addr/metrics"
	assert_line --partial "HTTP/1.1 200"
	refute_output --partial "claw_slow"
	claw-gateway stop >/dev/null
}

@test "status, profile and doctor work through the front door" {
	monitor_store
	run -0 claw status
	assert_line --partial "model     generic/test-model"
	seed 3 claw-skill run
	run -0 claw profile --since 1h
	assert_line --regexp '^claw-skill +run +3 '
	run claw doctor
	assert_line --regexp '^ok +provider.configured '
}
