#!/usr/bin/env bats
# Voice and images, real round trips: ImageMagick renders text that ocr reads back; flite
# speaks sentences that stt=local (pocketsphinx) transcribes; a window under Xvfb is
# captured by screenshot and reaches the (fake) model; the cloud speech services are
# tests/fakeaudio.py on loopback.  Each engine runs sandboxed, through claw-skill or
# lib/media.

load helper

SKILLS=$BATS_TEST_DIRNAME/../skills
CONVERT=/usr/bin/convert        # /usr/local/bin/convert may be a stand-in

# need PROG...: skip unless each is installed (make deps installs them all).
need() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || skip "$p is not installed (make deps)"
	done
}

setup_file() {
	export M="$BATS_FILE_TMPDIR/m"
	mkdir -p "$M"
	# The fakes: the speech services, and a model that calls tools.
	python3 "$BATS_TEST_DIRNAME/fakeaudio.py" --port-file "$M/audio.port" --log "$M/audio.log" 3>&- &
	echo $! > "$M/audio.pid"
	fakeprovider_start "$M/fake"
	for _ in $(seq 200); do [ -s "$M/audio.port" ] && break; sleep 0.05; done
	# Speech: three short sentences in flite's slt voice (pocketsphinx is slow).
	if command -v flite >/dev/null; then
		flite -voice slt -t "what is the weather like in london today" -o "$M/s1.wav"
		flite -voice slt -t "please call my mother tomorrow morning" -o "$M/s2.wav"
		flite -voice slt -t "the meeting starts at ten o'clock" -o "$M/s3.wav"
	fi
	# A window showing a known text, under Xvfb listening as a stock Xorg does: on
	# its socket file and its abstract name, which libxcb tries first.
	if command -v Xvfb >/dev/null && command -v display >/dev/null; then
		local d
		for d in $(seq 91 120); do [ -e "/tmp/.X11-unix/X$d" ] || [ -e "/tmp/.X$d-lock" ] || break; done
		Xvfb ":$d" -screen 0 800x600x24 -nolisten tcp 3>&- >/dev/null 2>&1 &
		echo $! > "$M/xvfb.pid"
		for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$d" ] && break; sleep 0.05; done
		$CONVERT -size 520x110 xc:white -font DejaVu-Sans -pointsize 36 -fill black \
			-annotate +20+70 'Invoice total 4242' "$M/window.png"
		DISPLAY=":$d" display -geometry +60+80 "$M/window.png" 3>&- >/dev/null 2>&1 &
		echo $! > "$M/display.pid"
		echo ":$d" > "$M/display"
		sleep 2
	fi
}

teardown_file() {
	local p
	for p in display xvfb audio fake/pid; do
		[ -f "$M/$p.pid" ] && kill "$(cat "$M/$p.pid")" 2>/dev/null
		[ -f "$M/$p" ] && kill "$(cat "$M/$p")" 2>/dev/null
	done
	true
}

setup() {
	claw_setup
	unset ELEVENLABS_API_KEY DISPLAY WAYLAND_DISPLAY
	export CLAW_SKILLS_PATH=$SKILLS
	T=$BATS_TEST_TMPDIR
	AUDIO=http://127.0.0.1:$(cat "$M/audio.port")/v1
	: > "$M/audio.log"
	: > "$M/fake/log"
	: > "$M/fake/script"
}

# Word error rate of hypothesis $2 against reference $1: (S + D + I) / words, by edit distance.
wer() {
	python3 -c '
import sys
r, h = sys.argv[1].split(), sys.argv[2].split()
d = [[i + j if i * j == 0 else 0 for j in range(len(h) + 1)] for i in range(len(r) + 1)]
for i in range(1, len(r) + 1):
    for j in range(1, len(h) + 1):
        d[i][j] = min(d[i-1][j] + 1, d[i][j-1] + 1, d[i-1][j-1] + (r[i-1] != h[j-1]))
print(d[len(r)][len(h)], len(r))' "$1" "$2"
}

paragraph() {	# paragraph FILE: three lines of text rendered as a PNG
	$CONVERT -size 1100x220 xc:white -font DejaVu-Sans -pointsize 28 -fill black -annotate +30+60 \
		$'The quick brown fox jumps over the lazy dog.\nPack my box with five dozen liquor jugs.\nSphinx of black quartz, judge my vow 1234.' "$1"
}

# --- ocr ---

@test "ocr reads an ImageMagick-rendered paragraph back exactly, inside the sandbox" {
	need tesseract $CONVERT
	paragraph "$T/page.png"
	claw-skill grant ocr "fs.read:$T"
	run -0 --separate-stderr claw-skill run ocr path="$T/page.png"
	assert_equal "$(jq -r .text <<<"$output")" \
		"$(printf '%s\n' 'The quick brown fox jumps over the lazy dog.' \
		'Pack my box with five dozen liquor jugs.' 'Sphinx of black quartz, judge my vow 1234.')"
}

@test "ocr elements: lines and words with boxes, confidence and line numbers" {
	need tesseract $CONVERT
	paragraph "$T/page.png"
	claw-skill grant ocr "fs.read:$T"
	run -0 --separate-stderr claw-skill run ocr path="$T/page.png" elements=true
	jq -e '.lines | length == 3 and .[0].text == "The quick brown fox jumps over the lazy dog."' <<<"$output"
	jq -e '.words | length == 25 and all(.conf >= 0 and .conf <= 100 and (.box | length == 4))' <<<"$output"
	# The third line is below the first; "1234." is on it, right of "Sphinx".
	jq -e '.lines[2].box[1] > .lines[0].box[1]' <<<"$output"
	jq -e '[.words[] | select(.text == "1234.")][0] as $n | [.words[] | select(.text == "Sphinx")][0] as $s
		| $n.line == 3 and $s.line == 3 and $n.box[0] > $s.box[0]' <<<"$output"
	# The text for the model is the same, as JSON.
	jq -e '.text | fromjson | .lines | length == 3' <<<"$output"
}

@test "ocr knows images by content: a mislabelled PNG reads, text named .png, truncated, missing, ungranted do not" {
	need tesseract $CONVERT
	paragraph "$T/page.png"
	cp "$T/page.png" "$T/scan.jpg"
	echo 'not an image' > "$T/fake.png"
	head -c 2000 "$T/page.png" > "$T/cut.png"
	claw-skill grant ocr "fs.read:$T"
	run -0 --separate-stderr claw-skill run ocr path="$T/scan.jpg"
	assert_output --partial 'Pack my box'
	run -65 --separate-stderr claw-skill run ocr path="$T/fake.png"
	assert_output --partial 'not an image (png, jpeg'
	run -65 --separate-stderr claw-skill run ocr path="$T/cut.png"
	assert_output --partial 'tesseract cannot read this png image (truncated or corrupt?)'
	run -66 --separate-stderr claw-skill run ocr path="$T/nowhere.png"
	assert_output --partial 'no such file'
	mkdir -p "$T/other"
	cp "$T/page.png" "$T/other/p.png"
	mkdir -p "$T/only"
	claw-skill revoke ocr "fs.read:$T"
	claw-skill grant ocr "fs.read:$T/only"
	run -77 --separate-stderr claw-skill run ocr path="$T/other/p.png"
	assert_output --partial "not granted; run: claw-skill grant ocr fs.read:$T/other"
}

@test "the ocr, screenshot and audio-info skills pass their own tests in the sandbox" {
	need tesseract sox
	claw-skill grant screenshot display
	claw-skill grant ocr fs.read:/usr/share/zoneinfo
	claw-skill grant audio-info fs.read:/usr/share/zoneinfo
	for s in ocr screenshot audio-info; do
		run claw-skill test "$s"
		[ "$status" = 0 ] || { echo "$s:"; echo "$output"; false; }
	done
}

# --- audio-info ---

@test "audio-info measures flite's and espeak-ng's WAVs (espeak-ng's streamed header too)" {
	need sox flite espeak-ng
	espeak-ng --stdout "hello there" > "$T/espeak.wav"
	claw-skill grant audio-info "fs.read:$T"
	claw-skill grant audio-info "fs.read:$M"
	run -0 --separate-stderr claw-skill run audio-info path="$M/s1.wav"
	jq -e '.format == "wav" and .rate == 16000 and .channels == 1 and .bits == 16
		and .duration > 1.5 and .duration < 5 and .rms_db < -5 and .rms_db > -40
		and .peak_db <= 0' <<<"$output"
	run -0 --separate-stderr claw-skill run audio-info path="$T/espeak.wav"
	jq -e '.format == "wav" and .rate == 22050 and .duration > 0.3 and .rms_db != null' <<<"$output"
}

@test "audio-info finds the silent stretch between two sentences, in WAV, FLAC, Ogg Opus, MP3 and WebM" {
	need sox ffmpeg
	sox -n -r 16000 -c 1 -b 16 "$T/gap.wav" trim 0 1
	sox "$M/s2.wav" "$T/gap.wav" "$M/s3.wav" "$T/two.wav"
	sox "$T/two.wav" "$T/two.flac"
	ffmpeg -v error -i "$T/two.wav" -c:a libopus "$T/two.ogg"
	ffmpeg -v error -i "$T/two.wav" "$T/two.mp3"
	ffmpeg -v error -i "$T/two.wav" -c:a libopus "$T/two.webm"
	claw-skill grant audio-info "fs.read:$T"
	start=$(soxi -D "$M/s2.wav")
	for f in two.wav two.flac two.ogg two.mp3 two.webm; do
		run -0 --separate-stderr claw-skill run audio-info path="$T/$f"
		# One stretch covers the inserted second (codecs pad and blur by a few ms).
		jq -e --argjson s "$start" 'any(.silences[]; .start <= $s + 0.1 and .end >= $s + 0.9)' <<<"$output" ||
			{ echo "$f: $output"; false; }
	done
	run -0 claw-skill run audio-info path="$T/two.ogg"
	jq -e '.format == "opus"' <<<"$output"
}

@test "audio-info refuses what is not audio, and a truncated Opus file, in one line" {
	need sox ffmpeg
	ffmpeg -v error -i "$M/s1.wav" -c:a libopus "$T/memo.ogg"
	head -c 600 "$T/memo.ogg" > "$T/cut.ogg"
	echo hello > "$T/memo.wav"
	claw-skill grant audio-info "fs.read:$T"
	run -65 --separate-stderr claw-skill run audio-info path="$T/memo.wav"
	assert_output --partial 'not audio (wav, ogg'
	run -65 --separate-stderr claw-skill run audio-info path="$T/cut.ogg"
	assert_output --partial 'cannot read this opus file'
}

# --- speech to text ---

@test "stt=local: flite's slt voice, transcribed by pocketsphinx, with a word error rate of at most 20 %" {
	need pocketsphinx_continuous flite sox
	[ -d /usr/share/pocketsphinx/model/en-us ] || skip "pocketsphinx-en-us is not installed"
	claw config set stt=local
	local refs=("what is the weather like in london today" "please call my mother tomorrow morning"
		"the meeting starts at ten o'clock") errs=0 words=0 k e n
	for k in 1 2 3; do
		run -0 --separate-stderr claw-chat --transcribe "$M/s$k.wav"
		read -r e n < <(wer "${refs[k - 1]}" "$output")
		echo "s$k: '$output' ($e of $n wrong)"
		errs=$((errs + e)) words=$((words + n))
	done
	echo "WER: $errs / $words"
	[ $((errs * 100)) -le $((words * 20)) ]
}

@test "--transcribe --json gives the words with their times; OGG/Opus as messengers send it" {
	need pocketsphinx_continuous ffmpeg
	ffmpeg -v error -i "$M/s1.wav" -c:a libopus -b:a 32k "$T/memo.ogg"
	claw config set stt=local
	run -0 --separate-stderr claw-chat --json --transcribe "$T/memo.ogg"
	jq -e '.type == "transcript" and (.text | test("weather")) and (.segments | length >= 5)
		and all(.segments[]; .end >= .start and (.text | length > 0))
		and ([.segments[].start] == ([.segments[].start] | sort))' <<<"$output"
}

@test "an audio attachment is transcribed into the turn and into the stored session" {
	need pocketsphinx_continuous
	claw config set "providers.generic.base_url=http://127.0.0.1:$(cat "$M/fake/port")/v1"
	claw config set model=generic/test-model
	claw config set stt=local
	cp "$M/s2.wav" "$T/memo.wav"
	run -0 --separate-stderr claw-chat --no-tools -s voice -a "$T/memo.wav" 'summarise this'
	sed -n 1p "$M/fake/log" | jq -e '.body.messages[-1].content | test("summarise this")
		and test("--- memo.wav \\(audio, transcribed\\) ---") and test("mother")'
	sqlite3 "$CLAW_HOME/claw.db" "select body from messages where role = 'user'" | grep -q 'mother'
}

@test "stt: off, not audio, over the local engine's length limit: one line and the documented code" {
	need sox
	run -78 --separate-stderr claw-chat --transcribe "$M/s1.wav"
	assert_equal "$stderr" "claw-chat: $M/s1.wav: speech to text is off: run: claw config set stt=local (pocketsphinx) or stt=openai/whisper-1"
	claw config set stt=local
	echo 'just text' > "$T/memo.ogg"
	run -65 --separate-stderr claw-chat --transcribe "$T/memo.ogg"
	assert_output ''
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "$stderr" "claw-chat: $T/memo.ogg: not audio (wav, ogg, opus, flac, mp3, webm, m4a, aiff: known by content)"
	run -66 --separate-stderr claw-chat --transcribe "$T/nowhere.wav"
	sox -n -r 16000 -c 1 -b 16 "$T/long.wav" trim 0 605
	run -65 --separate-stderr claw-chat --transcribe "$T/long.wav"
	assert_equal "$stderr" "claw-chat: 605 s of audio is over the local engine's limit of 600 s: cut it (sox in.wav out.wav trim 0 600) or use a cloud stt"
}

@test "stt=generic/whisper-1: multipart exactly as OpenAI documents it, the key in a header" {
	claw config set "providers.generic.base_url=$AUDIO"
	claw config set stt=generic/whisper-1
	cp "$M/s1.wav" "$T/memo.wav"
	CLAW_API_KEY=sk-test-1 run -0 --separate-stderr claw-chat --transcribe "$T/memo.wav"
	assert_output "received memo.wav, $(stat -c %s "$T/memo.wav") bytes, sha256 $(sha256sum "$T/memo.wav" | cut -d' ' -f1)"
	jq -e '.path == "/v1/audio/transcriptions" and .headers.authorization == "Bearer sk-test-1"
		and (.headers["content-type"] | startswith("multipart/form-data; boundary="))
		and .fields.model == "whisper-1" and .fields.response_format == "json"
		and .fields.file.filename == "memo.wav" and .fields.file.content_type == "audio/wav"' "$M/audio.log"
	# --json asks for verbose_json with segment timestamps.
	CLAW_API_KEY=sk-test-1 run -0 --separate-stderr claw-chat --json --transcribe "$T/memo.wav"
	jq -e '.segments[0].start == 0 and .segments[0].end == 1.5 and (.text | startswith("received"))' <<<"$output"
	tail -1 "$M/audio.log" | jq -e '.fields.response_format == "verbose_json"
		and .fields["timestamp_granularities[]"] == "segment"'
	# A refused key is a config error, said in one line.
	CLAW_API_KEY=bad-key run -78 --separate-stderr claw-chat --transcribe "$T/memo.wav"
	assert_equal "$stderr" "claw-chat: stt: HTTP 401: Incorrect API key provided."
	! grep -q 'sk-test-1' <<<"$stderr"
}

@test "stt: a file over the 25 MB upload limit is refused before any upload" {
	need sox
	claw config set "providers.generic.base_url=$AUDIO"
	claw config set stt=generic/whisper-1
	sox -n -r 16000 -c 1 -b 16 "$T/big.wav" trim 0 830
	CLAW_API_KEY=k run -65 --separate-stderr claw-chat --transcribe "$T/big.wav"
	assert_output --partial ''
	[[ $stderr == *"over the 26214400-byte upload limit of generic/whisper-1"* ]]
	[ ! -s "$M/audio.log" ]
}

# --- text to speech ---

@test "tts=local: --say writes a WAV that audio-info measures, and speaks stdin as Ogg Opus" {
	need flite sox
	claw config set tts=local
	run -0 claw-chat --say "$T/hello.wav" 'The weather in London is mild today.'
	claw-skill grant audio-info "fs.read:$T"
	run -0 --separate-stderr claw-skill run audio-info path="$T/hello.wav"
	jq -e '.format == "wav" and .rate == 16000 and .duration > 1 and .rms_db > -40' <<<"$output"
	need ffmpeg
	echo 'speak this from a pipe' | claw-chat --say - --format ogg > "$T/pipe.ogg"
	run -0 --separate-stderr claw-skill run audio-info path="$T/pipe.ogg"
	jq -e '.format == "opus" and .duration > 0.5' <<<"$output"
}

@test "tts=local/espeak-ng, and what flite says pocketsphinx hears again" {
	need espeak-ng flite pocketsphinx_continuous
	claw config set tts=local/espeak-ng:en-us
	run -0 claw-chat --say "$T/e.wav" 'hello'
	[ "$(head -c 4 "$T/e.wav")" = RIFF ]
	claw config set tts=local/flite:slt
	claw config set stt=local
	run -0 claw-chat --say "$T/f.wav" 'please call my mother tomorrow morning'
	run -0 --separate-stderr claw-chat --transcribe "$T/f.wav"
	read -r e n < <(wer 'please call my mother tomorrow morning' "$output")
	[ "$e" -le 1 ]
}

@test "--speak FILE speaks the turn's answer" {
	need flite
	claw config set "providers.generic.base_url=http://127.0.0.1:$(cat "$M/fake/port")/v1"
	claw config set model=generic/test-model
	claw config set tts=local
	run -0 --separate-stderr claw-chat --no-tools --speak "$T/answer.wav" 'good morning'
	assert_output 'echo: good morning'
	[ "$(head -c 4 "$T/answer.wav")" = RIFF ]
	[ "$(stat -c %s "$T/answer.wav")" -gt 10000 ]
}

@test "tts: off, a format it cannot write, an unknown engine, nothing to say" {
	run -78 --separate-stderr claw-chat --say "$T/x.wav" hello
	assert_equal "$stderr" "claw-chat: text to speech is off: run: claw config set tts=local (flite, espeak-ng) or tts=openai/tts-1"
	claw config set tts=local
	run -64 --separate-stderr claw-chat --say "$T/x.aac" hello
	assert_equal "$stderr" "claw-chat: aac: not an audio format to write (wav, mp3, ogg, opus, flac)"
	claw config set tts=local/festival
	run -78 --separate-stderr claw-chat --say "$T/x.wav" hello
	assert_equal "$stderr" "claw-chat: tts: festival: the local engines are flite and espeak-ng"
	run -78 claw config set tts=nonsense
	claw config set tts=local
	run -65 --separate-stderr claw-chat --say "$T/x.wav" </dev/null
	assert_equal "$stderr" "claw-chat: nothing to speak: the text is empty"
	[ ! -e "$T/x.wav" ]
}

@test "tts=openai/tts-1:nova and tts=elevenlabs/VOICE: the documented requests, real audio back" {
	need ffmpeg
	claw config set "providers.openai.base_url=$AUDIO"
	claw config set tts=openai/tts-1:nova
	OPENAI_API_KEY=sk-o run -0 claw-chat --say "$T/o.mp3" 'hello world'
	jq -e '.path == "/v1/audio/speech" and .headers.authorization == "Bearer sk-o"
		and .body == {"model":"tts-1","input":"hello world","voice":"nova","response_format":"mp3"}' "$M/audio.log"
	[ "$(head -c 3 "$T/o.mp3")" = ID3 ]
	: > "$M/audio.log"
	claw config set "providers.elevenlabs.base_url=$AUDIO"
	claw config set tts=elevenlabs/21m00Tcm4TlvDq8ikWAM
	ELEVENLABS_API_KEY=xi-1 run -0 claw-chat --say "$T/e.wav" 'hello there'
	jq -e '.path == "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream"
		and .query.output_format == ["pcm_16000"] and .headers["xi-api-key"] == "xi-1"
		and (.headers.authorization == null)
		and .body == {"text":"hello there","model_id":"eleven_multilingual_v2"}' "$M/audio.log"
	# PCM made a WAV whose header tells the truth.
	[ "$(soxi -r "$T/e.wav")" = 16000 ]
	[ "$(soxi -s "$T/e.wav")" -gt 1000 ]
	ELEVENLABS_API_KEY=bad-key run -78 --separate-stderr claw-chat --say "$T/e2.mp3" hello
	assert_equal "$stderr" "claw-chat: tts: HTTP 401: Invalid API key"
	[ ! -e "$T/e2.mp3" ]
}

# --- the screen ---

@test "screenshot under Xvfb, then ocr: the window's text is found" {
	need import tesseract
	[ -s "$M/display" ] || skip "no Xvfb"
	claw-skill grant screenshot display
	DISPLAY=$(cat "$M/display") run -0 --separate-stderr claw-skill run screenshot text=true
	jq -se '.[0].type == "result" and (.[0].text | test("Invoice total 4242"))
		and (.[0].text | test("800x600"))' <<<"$output"
	jq -se '.[1] | .type == "attachment" and .path == "screen.png" and .media_type == "image/png"' <<<"$output"
	# The attachment is the picture itself: ocr reads it again.
	jq -r 'select(.type == "attachment").data' <<<"$output" | base64 -d > "$T/shot.png"
	claw-skill grant ocr "fs.read:$T"
	run -0 --separate-stderr claw-skill run ocr path="$T/shot.png"
	assert_output --partial 'Invoice total 4242'
}

@test "screenshot under Xvfb listening on its abstract name too: every layer, display granted, no net" {
	need import
	[ -s "$M/display" ] || skip "no Xvfb"
	d=$(cat "$M/display")
	grep -q "@/tmp/.X11-unix/X${d#:}\$" /proc/net/unix     # the stock setup: libxcb tries it first
	run -77 --separate-stderr claw-skill run screenshot
	assert_output --partial 'run: claw-skill grant screenshot display'
	claw-skill grant screenshot display
	run -0 claw-skill check --sandbox
	assert_output --partial $'seccomp\tactive'
	assert_output --partial $'landlock\tactive'
	DISPLAY=$d run -0 --separate-stderr claw-skill run screenshot
	jq -se '.[0].type == "result" and (.[0].text | test("X11 :[0-9]+, import, 800x600"))' <<<"$output"
	[ -z "$stderr" ] || { echo "$stderr"; false; }
}

# probe_skill DIR PERMS: a skill that tries to connect to each socket it is given.
probe_skill() {
	mkdir -p "$1"
	cat > "$1/SKILL.md" <<EOF
---
name: $(basename "$1")
description: tries sockets
permissions: [$2]
timeout: 20
metadata:
  openclaw:
    requires:
      bins: [python3]
---
test fixture
EOF
	cat > "$1/run" <<'EOF'
#!/bin/sh
exec python3 -c '
import json, socket, sys
out = []
for a in json.load(sys.stdin)["args"]["to"].split():
    fam = socket.AF_INET if a.startswith("tcp:") else socket.AF_UNIX
    addr = ("127.0.0.1", int(a[4:])) if fam == socket.AF_INET else a.replace("@", "\0", 1)
    try:
        socket.socket(fam, socket.SOCK_STREAM).connect(addr)
        out.append(a + " connected")
    except OSError as e:
        out.append(a + " " + e.strerror)
print(json.dumps({"type": "result", "text": "\n".join(out)}))'
EOF
	chmod +x "$1/run"
}

@test "the display permission: without it no way to the X server, with it to the display's sockets only" {
	[ -s "$M/display" ] || skip "no Xvfb"
	need python3
	d=$(cat "$M/display"); x=/tmp/.X11-unix/X${d#:}
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); time.sleep(30)' "$T/other.sock" 3>&- &
	local py=$!
	for _ in $(seq 100); do [ -S "$T/other.sock" ] && break; sleep 0.05; done
	probe_skill "$T/skills/nodisplay" env:DISPLAY
	probe_skill "$T/skills/withdisplay" display
	export CLAW_SKILLS_PATH=$T/skills
	claw-skill grant nodisplay env:DISPLAY
	claw-skill grant withdisplay display
	DISPLAY=$d run -0 --separate-stderr claw-skill run nodisplay to="$x @$x"
	jq -e --arg x "$x" '.text == "\($x) Operation not permitted\n@\($x) Operation not permitted"' <<<"$output"
	DISPLAY=$d run -0 --separate-stderr claw-skill run withdisplay \
		to="$x @$x $T/other.sock @$T/other.sock @${x}9 tcp:1"
	kill "$py"
	jq -e --arg x "$x" --arg o "$T/other.sock" '.text | split("\n") == ["\($x) connected",
		"@\($x) connected", "\($o) Operation not permitted", "@\($o) Operation not permitted",
		"@\($x)9 Operation not permitted", "tcp:1 Operation not permitted"]' <<<"$output"
}

@test "screenshot without a display says what it needs (69)" {
	claw-skill grant screenshot display
	run -69 --separate-stderr claw-skill run screenshot
	assert_output --partial 'no display: neither DISPLAY nor WAYLAND_DISPLAY is set'
}

# screen_turn KIND: the model (fake, in wire format KIND) calls screenshot, then answers.
screen_turn() {
	local port
	port=$(cat "$M/fake/port")
	claw config set "providers.generic.base_url=http://127.0.0.1:$port/v1"
	claw config set "providers.anth.base_url=http://127.0.0.1:$port/v1"
	claw config set providers.anth.kind=anthropic
	claw config set providers.anth.api_key=test-key
	claw-skill grant screenshot display
	printf '%s\n' '{"tool_calls":[{"id":"call_1","name":"screenshot","arguments":"{}"}]}' \
		'{"text":"An invoice window."}' > "$M/fake/script"
	DISPLAY=$(cat "$M/display") run -0 --separate-stderr claw-chat -m "$1" 'what is on my screen?'
	assert_output 'An invoice window.'
}

@test "what is on my screen: the picture reaches the model after the tool result (OpenAI)" {
	need import
	[ -s "$M/display" ] || skip "no Xvfb"
	screen_turn generic/test-model
	sed -n 2p "$M/fake/log" | jq -e '.body.messages as $m
		| ($m | map(.role) | .[-3:] == ["assistant", "tool", "user"])
		and $m[-2].tool_call_id == "call_1" and ($m[-2].content | test("screenshot of X11"))
		and ($m[-1].content | map(.type) == ["text", "image_url"])
		and ($m[-1].content[1].image_url.url | startswith("data:image/png;base64,iVBORw0KGgo"))'
	# The picture is the screen: decoded, ocr finds the window's text.
	sed -n 2p "$M/fake/log" | jq -r '.body.messages[-1].content[1].image_url.url | sub("^data:image/png;base64,"; "")' |
		base64 -d > "$T/seen.png"
	need tesseract
	tesseract "$T/seen.png" - 2>/dev/null | grep -q 'Invoice total 4242'
}

@test "what is on my screen: the picture reaches the model beside the tool result (Anthropic)" {
	need import
	[ -s "$M/display" ] || skip "no Xvfb"
	screen_turn anth/claude-sonnet-4-5
	sed -n 2p "$M/fake/log" | jq -e '.body.messages[-1] as $u | $u.role == "user"
		and ($u.content | map(.type) | .[0] == "tool_result" and index("image") > 0)
		and ($u.content[0].tool_use_id == "call_1")
		and ([$u.content[] | select(.type == "image")][0].source
			| .type == "base64" and .media_type == "image/png" and (.data | startswith("iVBORw0KGgo")))'
}

@test "attachments are bounded: no link, no path outside the run's directory, no file over 5 MiB" {
	mkdir -p "$T/skills/shots"
	cat > "$T/skills/shots/SKILL.md" <<'EOF'
---
name: shots
description: returns files, some it may not
permissions: []
timeout: 20
metadata:
  openclaw:
    requires:
      bins: [head, ln, printf]
---
test fixture
EOF
	cat > "$T/skills/shots/run" <<'EOF'
#!/bin/sh
printf '\211PNG\r\n\032\n' > ok.png
head -c 6000000 /dev/zero > big.png
ln -s /etc/passwd link.png
printf '{"type":"result","text":"four","attachments":[{"path":"ok.png"},{"path":"big.png"},{"path":"link.png"},{"path":"../x"}]}\n'
EOF
	chmod +x "$T/skills/shots/run"
	CLAW_SKILLS_PATH=$T/skills run -0 --separate-stderr claw-skill run shots
	jq -se 'map(.type) == ["result", "attachment", "log", "log", "log"]' <<<"$output"
	jq -se '.[1] | .path == "ok.png" and .media_type == "image/png" and .bytes == 8 and .data == "iVBORw0KGgo="' <<<"$output"
	jq -se '.[2].message == "attachment big.png not returned: over the 5 MiB cap of one attachment"
		and .[3].message == "attachment link.png not returned: no such file (or a symbolic link)"
		and (.[4].message | startswith("attachment ../x not returned: want a file name"))' <<<"$output"
}

@test "--requests: a request's audio attachment goes through the cloud stt into its turn" {
	claw config set "providers.generic.base_url=$AUDIO"
	claw config set stt=generic/whisper-1
	claw config set "providers.fake.base_url=http://127.0.0.1:$(cat "$M/fake/port")/v1"
	cp "$M/s1.wav" "$T/memo.wav"
	printf '{"id":"r1","model":"fake/test-model","prompt":"what did I say?","attachments":["%s"]}\n' \
		"$T/memo.wav" > "$T/req.ndjson"
	CLAW_API_KEY=k run -0 --separate-stderr claw-chat --requests --no-tools < "$T/req.ndjson"
	jq -se 'map(select(.type == "message")) | length == 1 and .[0].id == "r1"' <<<"$output" ||
		{ echo "$output"; false; }
	sed -n 1p "$M/fake/log" | jq -e --arg sum "$(sha256sum "$T/memo.wav" | cut -d' ' -f1)" \
		'.body.messages[-1].content | test("what did I say\\?") and test("sha256 " + $sum)'
}

@test "a missing local engine: claw-chat, screenshot and claw doctor name the Debian package" {
	[ "$(id -u)" = 0 ] || skip "needs root to hide a program (a mount namespace)"
	unshare -m true 2>/dev/null || skip "no mount namespace here"
	[ -s "$M/display" ] || skip "no Xvfb"
	claw config set tts=local
	claw config set stt=local
	claw-skill grant screenshot display
	# Each engine hidden under /dev/null, which nobody may execute.
	cat > "$T/hidden.sh" <<'EOF'
for p in flite espeak-ng pocketsphinx_continuous import xwd; do
	[ -e "/usr/bin/$p" ] && mount --bind /dev/null "/usr/bin/$p"
done
claw-chat --say "$1/x.wav" hello; echo "say $?"
claw-chat --transcribe "$2"; echo "transcribe $?"
claw-skill run screenshot; echo "screenshot $?"
claw doctor | grep -A1 'not found'
EOF
	DISPLAY=$(cat "$M/display") run --separate-stderr unshare -m sh "$T/hidden.sh" "$T" "$M/s1.wav"
	assert_line "say 69"
	assert_line "transcribe 69"
	assert_line "screenshot 69"
	assert_line --partial 'an X11 session needs ImageMagick'"'"'s import: apt-get install imagemagick'
	assert_line --partial 'fix: apt-get install flite'
	assert_line --partial 'fix: apt-get install pocketsphinx'
	[[ $stderr == *"claw-chat: espeak-ng is not installed: apt-get install espeak-ng"* ]] || fail "$stderr"
	[[ $stderr == *"claw-chat: pocketsphinx_continuous is not installed: apt-get install pocketsphinx"* ]] ||
		fail "$stderr"
	[ ! -e "$T/x.wav" ]
}

@test "an image over the provider's limit is refused with the limit named (65)" {
	{ printf '\211PNG\r\n\032\n'; head -c 6000000 /dev/zero; } > "$T/big.png"
	run -65 --separate-stderr claw-chat -m fake/test-model -a "$T/big.png" 'what is this?'
	assert_equal "$stderr" "claw-chat: $T/big.png: over the 5242880-byte attachment cap"
}

@test "voice options: usage errors say what goes with what (64)" {
	run -64 --separate-stderr claw-chat --requests --speak "$T/x.wav"
	assert_equal "$stderr" "claw-chat: --speak goes with a single turn, not with --requests"
	run -64 --separate-stderr claw-chat --transcribe "$T/x.wav" extra words
	assert_equal "$stderr" "claw-chat: a prompt and -a go with a single turn, not with --transcribe"
	run -64 --separate-stderr claw-chat --transcribe
	[[ $stderr == *"option '--transcribe' requires an argument"* ]]
}
