#!/usr/bin/env bats
# The built-in skills weather, web-fetch and memory, each `run` called directly (no sandbox)
# with the request claw-skill would send, against tests/fakeweb.py on loopback.  The skills'
# own tests/*.json cases only check arguments, offline; the paths that need a server are here.

load helper

setup_file() {
	export FAKE_DIR="$BATS_FILE_TMPDIR/fake"
	mkdir -p "$FAKE_DIR"
	python3 "$BATS_TEST_DIRNAME/fakeweb.py" --port-file "$FAKE_DIR/port" --log "$FAKE_DIR/log" 3>&- &
	echo $! > "$FAKE_DIR/pid"
	for _ in $(seq 100); do [ -s "$FAKE_DIR/port" ] && break; sleep 0.05; done
	[ -s "$FAKE_DIR/port" ]
}

teardown_file() {
	kill "$(cat "$FAKE_DIR/pid")" 2>/dev/null || true
}

setup() {
	claw_setup
	PORT=$(cat "$FAKE_DIR/port")
	BASE="http://127.0.0.1:$PORT"
	SKILLS="$BATS_TEST_DIRNAME/../skills"
	DATA="$BATS_TEST_TMPDIR/data"
	mkdir -p "$DATA" "$BATS_TEST_TMPDIR/scratch"
	: > "$FAKE_DIR/log"
	WEATHER_CONFIG=$(jq -cn --arg b "$BASE" \
	    '{geo_url: "\($b)/geo", api_url: "\($b)/api", units: "metric", days: 3}')
}

# skill NAME ARGS [CONFIG]: run skills/NAME/run with the request claw-skill would send, in
# the environment claw-sandbox gives it: a scratch HOME, TMPDIR and cwd, a plain PATH, nothing
# else.
skill() {
	local name=$1 args=$2 config=${3:-'{}'}
	jq -cn --arg s "$name" --argjson a "$args" --argjson c "$config" --arg d "$DATA" \
	    '{args: $a, context: {skill: $s, config: $c, data_dir: $d, grants: ["net"]}}' |
	    (cd "$BATS_TEST_TMPDIR/scratch" &&
	    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$PWD" TMPDIR="$PWD" LANG=C.UTF-8 \
	    "$SKILLS/$name/run")
}

# The events of the last run: every line is JSON with a type; exactly one result or error.
events_ok() {
	echo "$output" | jq -e -s 'length > 0 and all(.[]; type == "object" and (.type | type) == "string")' >/dev/null
	[ "$(echo "$output" | jq -s '[.[] | select(.type == "result" or .type == "error")] | length')" = 1 ]
}
result() { echo "$output" | jq -r 'select(.type == "result").text'; }
message() { echo "$output" | jq -r 'select(.type == "error").message'; }
req() { sed -n "${1}p" "$FAKE_DIR/log"; }          # the Nth request the fake saw
nreq() { wc -l < "$FAKE_DIR/log" | tr -d ' '; }
mem() { skill memory "$1" "${2:-{\}}"; }

# --- weather ---

@test "weather: geocodes the place, then answers with current conditions and 3 days" {
	run -0 skill weather '{"place": "Berlin"}' "$WEATHER_CONFIG"
	events_ok
	echo "$output" | jq -e -s '.[0] == {type: "log", text: "found Berlin, Land Berlin, Germany at 52.52437,13.41053"}'
	[ "$(result)" = "Berlin, Land Berlin, Germany: 21.5°C, partly cloudy, wind 12.6 km/h
Forecast:
  Mon 05 May: 10–22°C, overcast
  Tue 06 May: 11–23°C, light rain
  Wed 07 May: 12–24°C, clear sky" ]
	[ "$(nreq)" = 2 ]
	req 1 | jq -e '.path == "/geo/search" and .query == {name: "Berlin", count: "1", language: "en", format: "json"}'
	req 2 | jq -e '.path == "/api/forecast" and .query == {latitude: "52.52437", longitude: "13.41053",
	    current: "temperature_2m,weather_code,wind_speed_10m",
	    daily: "temperature_2m_max,temperature_2m_min,weather_code", timezone: "auto", forecast_days: "3"}'
}

@test "weather: imperial units from the config ask for Fahrenheit and mph" {
	run -0 skill weather '{"place": "springfield", "days": 2}' \
	    "$(jq -c '.units = "imperial"' <<<"$WEATHER_CONFIG")"
	events_ok
	[ "$(result)" = "Springfield, Missouri, United States: 70.7°F, partly cloudy, wind 7.8 mph
Forecast:
  Mon 05 May: 50–71.6°F, overcast
  Tue 06 May: 51.8–73.4°F, light rain" ]
	req 2 | jq -e '.query | .temperature_unit == "fahrenheit" and .wind_speed_unit == "mph" and .forecast_days == "2"'
}

@test "weather: units in the arguments win over the config; days as a string from claw config" {
	run -0 skill weather '{"place": "Berlin", "units": "imperial"}' \
	    "$(jq -c '.days = "5"' <<<"$WEATHER_CONFIG")"
	[ "$(result | grep -c "°F, ")" = 6 ]   # now and 5 days
	req 2 | jq -e '.query | .temperature_unit == "fahrenheit" and .forecast_days == "5"'
}

@test "weather: an unknown place is error 65 and no forecast is asked for" {
	run -65 skill weather '{"place": "São Paulo & Co"}' "$WEATHER_CONFIG"
	events_ok
	[ "$(message)" = 'no place called "São Paulo & Co"' ]
	[ "$(nreq)" = 1 ]
	req 1 | jq -e '.query.name == "São Paulo & Co"'   # sent URL-encoded, arrived whole
}

@test "weather: a service that is down is error 69" {
	run -69 skill weather '{"place": "Berlin"}' \
	    '{"geo_url": "http://127.0.0.1:1/v1", "api_url": "http://127.0.0.1:1/v1"}'
	events_ok
	[[ "$(message)" == "geocoding service unreachable: (7) Failed to connect to 127.0.0.1 port 1"* ]]
}

@test "weather: an answer that is not JSON, or an HTTP error, is error 69" {
	run -69 skill weather '{"place": "Garbled"}' "$WEATHER_CONFIG"
	[ "$(message)" = "geocoding service sent an answer that is not the JSON expected" ]
	run -69 skill weather '{"place": "Berlin"}' "$(jq -c --arg b "$BASE" '.api_url = "\($b)/gone"' <<<"$WEATHER_CONFIG")"
	[[ "$(message)" == "weather service unreachable: "*"404"* ]]
}

@test "weather: bad arguments are error 65 before any request" {
	run -65 skill weather '{}' "$WEATHER_CONFIG"
	[ "$(message)" = "missing place: say which city or place" ]
	run -65 skill weather '{"place": "Oslo", "days": 0}' "$WEATHER_CONFIG"
	[ "$(message)" = "days must be a whole number from 1 to 7" ]
	run -65 skill weather '{"place": "Oslo"}' '{"geo_url": "file:///etc"}'
	[ "$(nreq)" = 0 ]
}

# --- web-fetch ---

@test "web-fetch: HTML becomes text: title and URL first, no script, style, nav or head" {
	run -0 skill web-fetch "{\"url\": \"$BASE/web/page.html\"}"
	events_ok
	[ "$(result)" = "The Fake Gazette ($BASE/web/page.html)

# Big News
First paragraph with a linked story ($BASE/web/story.html) and extra spaces.

## Details
- one item
- two & three
Café <ok> elsewhere (https://other.example/x?a=1&b=2)" ]
	req 1 | jq -e '.headers["user-agent"] == "claw-web-fetch/1.0" and (.headers.accept | startswith("text/html"))'
}

@test "web-fetch: text/plain as it is, line ends made plain" {
	run -0 skill web-fetch "{\"url\": \"$BASE/web/plain.txt\"}"
	[ "$(result)" = "$BASE/web/plain.txt

Plain line one.
Plain   line two." ]
}

@test "web-fetch: JSON is pretty-printed, a declared charset is honoured" {
	run -0 skill web-fetch "{\"url\": \"$BASE/web/data.json\"}"
	[ "$(result | sed 1,2d | jq -c .)" = '{"answer":42,"list":[1,2]}' ]
	run -0 skill web-fetch "{\"url\": \"$BASE/web/latin1.txt\"}"
	[ "$(result | tail -1)" = "Grüße aus Köln" ]
}

@test "web-fetch: a redirect is followed and the first line has the final URL" {
	run -0 skill web-fetch "{\"url\": \"$BASE/web/redirect\"}"
	[ "$(result | head -1)" = "The Fake Gazette ($BASE/web/page.html)" ]
	[ "$(req 1 | jq -r .path) $(req 2 | jq -r .path)" = "/web/redirect /web/page.html" ]
}

@test "web-fetch: a redirect to file: or a redirect loop is refused, 69" {
	run -69 skill web-fetch "{\"url\": \"$BASE/web/to-file\"}"
	events_ok
	[[ "$(message)" == *"refused a redirect to a URL that is not http(s)"* ]]
	run -69 skill web-fetch "{\"url\": \"$BASE/web/redirect-loop\"}"
	[ "$(message)" = "$BASE/web/redirect-loop: more than 5 redirects" ]
	[ "$(nreq)" -le 8 ]
}

@test "web-fetch: an image is an unsupported type, 65" {
	run -65 skill web-fetch "{\"url\": \"$BASE/web/image.png\"}"
	events_ok
	[[ "$(message)" == "unsupported type image/png at $BASE/web/image.png"* ]]
}

@test "web-fetch: a body declared over 2 MB is refused, an undeclared one is cut" {
	run -65 skill web-fetch "{\"url\": \"$BASE/web/big-declared\"}"
	[ "$(message)" = "$BASE/web/big-declared: refused, the page is larger than 2000000 bytes" ]
	run -0 skill web-fetch "{\"url\": \"$BASE/web/big-stream\"}"
	events_ok
	[ "$(result | wc -m)" -le 32768 ]
	[ "$(result | wc -m)" -gt 32000 ]
	result | tail -1 | grep -Ex '\[the page is over 2000000 bytes; only its start was read; cut at [0-9]+ of 1999999 characters\]'
}

@test "web-fetch: config max_chars cuts the text and says so" {
	run -0 skill web-fetch "{\"url\": \"$BASE/web/page.html\"}" '{"max_chars": "200"}'
	[ "$(result | wc -m)" -le 200 ]
	[ "$(result | head -1)" = "The Fake Gazette ($BASE/web/page.html)" ]
	result | tail -1 | grep -Ex '\[cut at [0-9]+ of [0-9]+ characters\]'
}

@test "web-fetch: file:, ftp: and schemeless URLs are 65 and never fetched" {
	run -65 skill web-fetch '{"url": "file:///etc/passwd"}'
	events_ok
	[ "$(message)" = "only http and https URLs can be fetched, not file:" ]
	refute_output --partial root:
	run -65 skill web-fetch '{"url": "ftp://127.0.0.1/x"}'
	run -65 skill web-fetch "{\"url\": \"127.0.0.1:$PORT/web/plain.txt\"}"
	[ "$(nreq)" = 0 ]
}

@test "web-fetch: an HTTP error or nothing listening is 69" {
	run -69 skill web-fetch "{\"url\": \"$BASE/web/nothing-here\"}"
	[ "$(message)" = "$BASE/web/nothing-here: HTTP 404" ]
	run -69 skill web-fetch '{"url": "http://127.0.0.1:1/"}'
	[[ "$(message)" == "http://127.0.0.1:1/: Failed to connect"* ]]
}

# --- memory ---

@test "memory: remember, recall, list, forget round trip in data_dir" {
	run -0 mem '{"op": "remember", "text": "Alice'\''s birthday is May 3", "tags": "people"}'
	events_ok
	[ "$(result)" = "remembered #1: Alice's birthday is May 3" ]
	run -0 mem '{"op": "remember", "text": "The spare key is under the blue pot"}'
	[ "$(result)" = "remembered #2: The spare key is under the blue pot" ]
	run -0 mem '{"op": "remember", "text": "  Alice'\''s birthday is May 3 "}'
	[ "$(result)" = "already remembered #1: Alice's birthday is May 3" ]

	local today
	today=$(date -u +%F)
	run -0 mem '{"op": "recall", "query": "birthdays"}'
	[ "$(result)" = "#1 ($today) Alice's birthday is May 3 [people]" ]
	run -0 mem '{"op": "recall", "query": "key alice"}'
	[ "$(result | wc -l)" = 2 ]
	run -0 mem '{"op": "list"}'
	[ "$(result)" = "2 memories, newest first:
#2 ($today) The spare key is under the blue pot
#1 ($today) Alice's birthday is May 3 [people]" ]
	run -0 mem '{"op": "list", "limit": 1}'
	[ "$(result | wc -l)" = 2 ]

	run -0 mem '{"op": "forget", "id": 1}'
	[ "$(result)" = "forgot #1: Alice's birthday is May 3" ]
	run -0 mem '{"op": "recall", "query": "birthday"}'
	[ "$(result)" = "no memories match: birthday" ]
	run -65 mem '{"op": "forget", "id": 1}'
	[ "$(message)" = "no memory #1 (list or recall shows the ids)" ]

	[ "$(sqlite3 "$DATA/memory.db" 'PRAGMA journal_mode')" = wal ]
	[ "$(sqlite3 "$DATA/memory.db" 'SELECT count(*) FROM facts')" = 1 ]
}

@test "memory: FTS5 and SQL syntax in a query is only ever words" {
	run -0 mem '{"op": "remember", "text": "x'\''); DROP TABLE facts; -- and a NEAR thing"}'
	run -0 mem '{"op": "remember", "text": "The cat sat on the mat"}'
	local q
	for q in '"a" OR NEAR(' "'; DROP TABLE facts; --" '*' '"' "x' OR '1'='1" 'text:cat ^(' \
	    "$(printf '.shell touch pwned\n\001')"; do
		run -0 mem "$(jq -cn --arg q "$q" '{op: "recall", query: $q}')"
		events_ok
		result | grep -Eq '^(no memories match: |#[0-9]+ \()'
	done
	# The words in them still match, as words.
	run -0 mem '{"op": "recall", "query": "NOT cat"}'
	[[ "$(result)" == "#2 ("*") The cat sat on the mat" ]]
	run -0 mem "$(jq -cn '{op: "recall", query: "\u0027; DROP TABLE"}')"
	[[ "$(result)" == "#1 ("*") x'); DROP TABLE facts; -- and a NEAR thing" ]]
	[ "$(sqlite3 "$DATA/memory.db" 'SELECT count(*) FROM facts')" = 2 ]
	[ ! -e "$BATS_TEST_TMPDIR/scratch/pwned" ]
}

@test "memory: concurrent runs all land (WAL and the busy timeout)" {
	local i
	for i in 1 2 3 4 5 6; do
		mem "{\"op\": \"remember\", \"text\": \"parallel fact $i\"}" > "$BATS_TEST_TMPDIR/out.$i" &
	done
	wait
	cat "$BATS_TEST_TMPDIR"/out.* | jq -e -s 'length == 6 and all(.[]; .type == "result")'
	run -0 mem '{"op": "list", "limit": 100}'
	[ "$(result | head -1)" = "6 memories, newest first:" ]
}

@test "memory: bad arguments are 65, no data_dir is 1" {
	run -65 mem '{"op": "erase"}'
	[ "$(message)" = "op must be remember, recall, forget or list" ]
	run -65 mem '{"op": "forget", "id": "1 OR 1=1"}'
	run -65 mem '{"op": "list"}' '{"db": "../escape.db"}'
	[ "$(message)" = "config db must be a plain file name like memory.db" ]
	run -1 sh -c 'echo "{\"args\": {\"op\": \"list\"}, \"context\": {}}" | "$0"' "$SKILLS/memory/run"
	[[ "$output" == *'"no data_dir in the context'* ]]
	[ ! -e "$DATA/memory.db" ]
}
