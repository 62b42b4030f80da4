#!/usr/bin/env bats
# Channels and voice: a voice note sent to the bot is transcribed into the turn (stt), and
# the answer comes back as a voice note too (tts, voice_reply), against tests/fakechannel.py.

load helper

TG_TOKEN=123456:TEST-token_abc

setup() {
	claw_setup
	channel_fakes_start
	echo "$TG_TOKEN" | claw channel add telegram --token=- >/dev/null
	claw config set channels.telegram.dm_policy=open >/dev/null
}

teardown() { channel_fakes_stop; }

need() {
	local p
	for p; do command -v "$p" >/dev/null || skip "$p is not installed"; done
}

db_q() { sqlite3 "$CLAW_HOME/claw.db" "$@"; }
sent() { jq -c --arg m "/bot/$1" 'select(.path == $m) | .body' "$TMP/ch/log" 2>/dev/null; }

# tg_voice FILE [MESSAGE_ID]: FILE stored at the fake and a voice-note Update pointing at it.
tg_voice() {
	local fid size
	fid=$(curl -sf -XPOST --data-binary @"$1" "$FAKE/_control/telegram/file?mime=audio/ogg" |
	    jq -r .file_id)
	size=$(stat -c %s "$1")
	jq -cn --arg f "$fid" --argjson s "$size" --argjson m "${2:-5}" '{message:{message_id:$m,
	    from:{id:42,is_bot:false,first_name:"Ann"},chat:{id:42,type:"private"},date:1,
	    voice:{file_id:$f,file_unique_id:"v",duration:3,mime_type:"audio/ogg",file_size:$s}}}' |
		curl -sf -XPOST -H 'Content-Type: application/json' --data-binary @- \
		    "$FAKE/_control/telegram/update" >/dev/null
}

@test "stt=local: a Telegram voice note (OGG/Opus) reaches the model as its transcript" {
	need flite ffmpeg pocketsphinx_continuous
	[ -d /usr/share/pocketsphinx/model/en-us ] || skip "pocketsphinx-en-us is not installed"
	flite -voice slt -t "what is the weather like in london today" -o "$TMP/s.wav"
	ffmpeg -loglevel error -i "$TMP/s.wav" -c:a libopus -b:a 24k "$TMP/s.ogg"
	claw config set stt=local
	tg_voice "$TMP/s.ogg"
	claw channel poll --once telegram
	run jq -r 'select(.path | endswith("chat/completions")) | .body.messages[-1].content
	    | if type == "string" then . else map(.text // empty) | join(" ") end' "$TMP/prov/log"
	echo "$output"
	assert_output --partial "weather"
	assert_output --partial "london"
	run sent sendMessage
	refute_output --partial "not set up"
	[ "$(ls "$CLAW_HOME/media/telegram" | wc -l)" -eq 1 ]
}

@test "stt=off: the voice note is kept and the sender told voice is not set up; no model call" {
	printf 'OggS-voice' >"$TMP/v.ogg"
	tg_voice "$TMP/v.ogg"
	claw channel poll --once telegram
	run sent sendMessage
	assert_output --partial "Voice messages are not set up yet"
	[ ! -f "$TMP/prov/log" ] || ! grep -q chat/completions "$TMP/prov/log"
}

# The voice notes the fake was sent, decoded into DIR/voice-N.ogg; how many.
tg_voices() {
	local n=0 d
	while read -r d; do
		n=$((n + 1))
		base64 -d <<<"$d" >"$1/voice-$n.ogg"
	done < <(jq -r 'select(.path == "/bot/sendVoice") | .body.voice.data' "$TMP/ch/log")
	echo "$n"
}

@test "voice_reply=auto: a voice note is answered with text and a voice note (sendVoice) of it" {
	need flite ffmpeg pocketsphinx_continuous
	[ -d /usr/share/pocketsphinx/model/en-us ] || skip "pocketsphinx-en-us is not installed"
	flite -voice slt -t "what is the weather like in london today" -o "$TMP/s.wav"
	ffmpeg -loglevel error -i "$TMP/s.wav" -c:a libopus -b:a 24k "$TMP/s.ogg"
	claw config set stt=local
	claw config set tts=local/flite:slt
	echo '{"text":"please call my mother tomorrow morning"}' >"$TMP/prov/script"
	tg_voice "$TMP/s.ogg" 9
	claw channel poll --once telegram
	run sent sendMessage
	assert_output --partial '"text":"please call my mother tomorrow morning"'
	run jq -c 'select(.path == "/bot/sendVoice") | .body | del(.voice.data, .voice.size)' \
	    "$TMP/ch/log"
	assert_output '{"chat_id":"42","reply_parameters":"{\"message_id\":9,\"allow_sending_without_reply\":true}","voice":{"filename":"voice.ogg","content_type":"audio/ogg"}}'
	[ "$(tg_voices "$TMP")" -eq 1 ]
	# what was sent is Opus in Ogg, and it says the answer
	[ "$(head -c 4 "$TMP/voice-1.ogg")" = OggS ]
	head -c 64 "$TMP/voice-1.ogg" | grep -q OpusHead
	run -0 --separate-stderr claw-chat --transcribe "$TMP/voice-1.ogg"
	echo "heard: $output"
	assert_output --partial "mother"
	# the file made for it is gone; the voice note received is kept
	[ "$(ls "$CLAW_HOME/media/telegram")" = "$(ls "$CLAW_HOME/media/telegram" | grep -v out-)" ]
	run db_q "SELECT voice, state FROM channel_egress ORDER BY id"
	assert_output $'0|sent\n1|sent'
}

@test "voice_reply: text is answered with text only under auto, also as voice under always; never" {
	need flite ffmpeg
	claw config set tts=local/flite:slt
	tg_text() {
		jq -cn --arg t "$1" --argjson m "$2" '{message:{message_id:$m,from:{id:42,
		    is_bot:false},chat:{id:42,type:"private"},date:1,text:$t}}' |
			curl -sf -XPOST -H 'Content-Type: application/json' --data-binary @- \
			    "$FAKE/_control/telegram/update" >/dev/null
	}
	tg_text "hello" 1
	claw channel poll --once telegram
	[ "$(tg_voices "$TMP")" -eq 0 ]
	claw config set channels.telegram.voice_reply=always
	tg_text "hello again" 2
	claw channel poll --once telegram
	[ "$(tg_voices "$TMP")" -eq 1 ]
	run sent sendMessage
	assert_line --partial '"text":"echo: hello again"'
	claw config set channels.telegram.voice_reply=never
	printf 'OggS-voice' >"$TMP/v.ogg"
	tg_voice "$TMP/v.ogg" 3
	tg_text "and again" 4
	claw channel poll --once telegram
	[ "$(tg_voices "$TMP")" -eq 1 ]
	run -78 claw config set channels.telegram.voice_reply=sometimes
	assert_output --partial "auto|always|never"
}

@test "voice_reply with tts off sends text only; a failing engine is a dead letter that says why" {
	claw config set channels.telegram.voice_reply=always
	tg_voice_text() {
		jq -cn --arg t "$1" --argjson m "$2" '{message:{message_id:$m,from:{id:42,
		    is_bot:false},chat:{id:42,type:"private"},date:1,text:$t}}' |
			curl -sf -XPOST -H 'Content-Type: application/json' --data-binary @- \
			    "$FAKE/_control/telegram/update" >/dev/null
	}
	tg_voice_text "hi" 1
	claw channel poll --once telegram
	run db_q "SELECT count(*) FROM channel_egress WHERE voice = 1"
	assert_output 0
	# tts set, but its engine missing: claw-chat's own one line becomes the reason
	claw config set tts=local/espeak-ng:nosuchvoice
	tg_voice_text "hi again" 2
	PATH=/nonexistent:$CLAW_BIN claw channel poll --once telegram || true
	run db_q "SELECT state, error FROM channel_egress WHERE voice = 1"
	assert_output --regexp '^dead\|voice: claw-chat: .*espeak-ng'
	run sent sendMessage
	assert_line --partial '"text":"echo: hi again"'
}

@test "whatsapp: a voice note transcribed in, the answer uploaded (media, multipart) and sent as audio" {
	need flite ffmpeg pocketsphinx_continuous
	[ -d /usr/share/pocketsphinx/model/en-us ] || skip "pocketsphinx-en-us is not installed"
	local phone=106540352242922 vid
	claw config set "channels.whatsapp.base_url=$FAKE" >/dev/null
	echo EAAG-fake-token | claw channel add whatsapp --token=- --phone-number-id=$phone >/dev/null
	claw config set channels.whatsapp.dm_policy=open
	claw config set stt=local
	claw config set tts=local/flite:slt
	echo '{"text":"please call my mother tomorrow morning"}' >"$TMP/prov/script"
	flite -voice slt -t "what is the weather like in london today" -o "$TMP/s.wav"
	ffmpeg -loglevel error -i "$TMP/s.wav" -c:a libopus -b:a 24k "$TMP/s.ogg"
	vid=$(curl -sf -XPOST --data-binary @"$TMP/s.ogg" \
	    "$FAKE/_control/whatsapp/media?mime=audio/ogg" | jq -r .id)
	jq -cn --arg v "$vid" --arg p "$phone" '{object:"whatsapp_business_account",entry:[{id:"W",
	    changes:[{field:"messages",value:{messaging_product:"whatsapp",
	    metadata:{phone_number_id:$p},messages:[{from:"4915112345678",id:"wamid.VOICE",
	    timestamp:"1",type:"audio",audio:{mime_type:"audio/ogg; codecs=opus",id:$v,
	    voice:true}}]}}]}]}' >"$TMP/v.json"
	CLAW_CHANNEL_NO_WORK=1 claw channel ingest whatsapp <"$TMP/v.json"
	claw channel work whatsapp
	run jq -r 'select(.path | endswith("chat/completions")) | .body.messages[-1].content
	    | if type == "string" then . else map(.text // empty) | join(" ") end' "$TMP/prov/log"
	assert_output --partial "london"
	run jq -c 'select(.path | endswith("/media")) | .body | del(.file.data, .file.size)' \
	    "$TMP/ch/log"
	assert_output '{"messaging_product":"whatsapp","type":"audio/ogg","file":{"filename":"voice.ogg","content_type":"audio/ogg"}}'
	jq -r 'select(.path | endswith("/media")) | .body.file.data' "$TMP/ch/log" |
		base64 -d | head -c 64 | grep -q OpusHead
	run jq -c 'select(.path | endswith("/messages")) | .body | select(.type != null)
	    | {type, text: .text.body, audio: .audio.id, context: .context.message_id}' "$TMP/ch/log"
	assert_line --index 0 '{"type":"text","text":"please call my mother tomorrow morning","audio":null,"context":"wamid.VOICE"}'
	assert_line --index 1 --regexp '^\{"type":"audio","text":null,"audio":"[0-9]+","context":"wamid.VOICE"\}$'
	run db_q "SELECT voice, state FROM channel_egress ORDER BY id"
	assert_output $'0|sent\n1|sent'
}

@test "doctor: the local media engines, each missing one a warning naming its Debian package" {
	run -0 --separate-stderr claw-monitor doctor --json
	run -0 jq -e -s '[.[] | select(.check == "media.engines")] | length == 7
	    and all(.severity == "warning")' <<<"$output"
	# with none on PATH: warnings with the package to install, still no error
	run --separate-stderr env PATH="$CLAW_BIN" "$CLAW_BIN/claw-monitor" doctor --json
	run -0 jq -r 'select(.check == "media.engines" and (.ok | not)) | .fix' <<<"$output"
	assert_line "apt-get install tesseract-ocr"
	assert_line "apt-get install pocketsphinx"
	assert_line "apt-get install sox libsox-fmt-all"
	assert_line "apt-get install ffmpeg"
}

DC_TOKEN=MTEwMDAwMDAwMDAwMDAwMDAwMQ.GhIjkl.fake-secret-part_0123456789abcdef

# dc_start: tests/fakediscord.py up ($DC its base), the discord channel added, open to all.
dc_start() {
	mkdir -p "$TMP/dc"
	python3 "$BATS_TEST_DIRNAME/fakediscord.py" --port-file "$TMP/dc/port" --log "$TMP/dc/log" \
	    --token "$DC_TOKEN" 3>&- &
	echo $! >"$TMP/bg.dc.pid"
	for _ in $(seq 100); do [ -s "$TMP/dc/port" ] && break; sleep 0.05; done
	DC=http://127.0.0.1:$(cat "$TMP/dc/port")
	claw config set "channels.discord.base_url=$DC/api/v10"
	echo "$DC_TOKEN" | claw channel add discord --token=- >/dev/null
	claw config set channels.discord.dm_policy=open
}

@test "discord: the answer also as a voice message (multipart payload_json + files[0], flags 8192, duration and waveform measured)" {
	need flite ffmpeg
	dc_start
	claw config set channels.discord.voice_reply=always
	claw config set tts=local/flite:slt
	echo '{"text":"please call my mother tomorrow morning"}' >"$TMP/prov/script"
	jq -cn '{id:"1700", channel_id:"900", author:{id:"555", username:"ann"}, content:"call",
	    type:0}' | CLAW_CHANNEL_NO_WORK=1 claw channel ingest discord >/dev/null
	claw channel work discord
	msgs() { jq -c 'select(.method == "POST" and .path == "/api/v10/channels/900/messages") | .body' "$TMP/dc/log"; }
	run msgs
	assert_line --index 0 --partial '"content":"please call my mother tomorrow morning"'
	# the voice message: no content, one attachment with what Discord needs to show it
	run jq -c 'select(.path == "/api/v10/channels/900/messages" and .body.payload_json)
	    | .body | {p: .payload_json | del(.attachments[0].duration_secs, .attachments[0].waveform),
	    f: .files | map_values(del(.data, .size))}' "$TMP/dc/log"
	assert_output '{"p":{"allowed_mentions":{"parse":[]},"message_reference":{"message_id":"1700","fail_if_not_exists":false},"attachments":[{"id":0,"filename":"voice-message.ogg"}],"flags":8192},"f":{"files[0]":{"filename":"voice-message.ogg","content_type":"audio/ogg"}}}'
	jq -r 'select(.body.payload_json) | .body.files["files[0]"].data' "$TMP/dc/log" | base64 -d >"$TMP/out.ogg"
	head -c 64 "$TMP/out.ogg" | grep -q OpusHead
	# duration_secs is the file's own length, the waveform one byte per 100 ms of it
	want=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$TMP/out.ogg")
	att() { jq -r "select(.body.payload_json) | .body.payload_json.attachments[0].$1" "$TMP/dc/log"; }
	run jq -n --argjson d "$(att duration_secs)" --argjson w "$want" '($d - $w | fabs) < 0.05'
	assert_output true
	n=$(att waveform | base64 -d | wc -c)
	run jq -n --argjson n "$n" --argjson w "$want" '($n - ($w * 10 | ceil) | fabs) <= 1'
	assert_output true
	# loud speech and the quiet between: not one flat line
	[ "$(att waveform | base64 -d | od -An -tu1 -v | tr -s ' ' '\n' | sort -un | wc -l)" -gt 10 ]
	if command -v pocketsphinx_continuous >/dev/null && [ -d /usr/share/pocketsphinx/model/en-us ]; then
		claw config set stt=local
		run -0 --separate-stderr claw-chat --transcribe "$TMP/out.ogg"
		assert_output --partial "mother"
	fi
	run sqlite3 "$CLAW_HOME/claw.db" "SELECT voice, state FROM channel_egress ORDER BY id"
	assert_output $'0|sent\n1|sent'
}

@test "signal: the answer also as a voice note (send with attachments: the stored file's path)" {
	need flite ffmpeg
	mkdir -p "$TMP/sig"
	python3 "$BATS_TEST_DIRNAME/fakesignal.py" --socket "$TMP/sig/socket" \
	    --control-port-file "$TMP/sig/ctl" --log "$TMP/sig/log" --account +15550000000 \
	    --keep "$TMP/sig/kept" 3>&- &
	echo $! >"$TMP/bg.sig.pid"
	for _ in $(seq 100); do [ -s "$TMP/sig/ctl" ] && break; sleep 0.05; done
	claw config set "channels.signal.rpc=unix:$TMP/sig/socket"
	claw config set channels.signal.account=+15550000000
	claw channel add signal >/dev/null
	claw config set channels.signal.dm_policy=open
	claw config set channels.signal.voice_reply=always
	claw config set tts=local/flite:slt
	echo '{"text":"please call my mother tomorrow morning"}' >"$TMP/prov/script"
	jq -cn '{source:"+4915112345678", sourceNumber:"+4915112345678",
	    sourceName:"Ann", sourceDevice:1, timestamp:1760000000001,
	    dataMessage:{timestamp:1760000000001, message:"call", attachments:[]}}' |
		curl -sf -XPOST -H 'Content-Type: application/json' --data-binary @- \
		    "http://127.0.0.1:$(cat "$TMP/sig/ctl")/_control/receive" >/dev/null
	claw channel poll --once signal
	run jq -c 'select(.method == "send") | .params | del(.attachments)' "$TMP/sig/log"
	assert_line --index 0 '{"recipient":["+4915112345678"],"message":"please call my mother tomorrow morning","quoteTimestamp":1760000000001,"quoteAuthor":"+4915112345678","account":"+15550000000"}'
	assert_line --index 1 '{"recipient":["+4915112345678"],"quoteTimestamp":1760000000001,"quoteAuthor":"+4915112345678","account":"+15550000000"}'
	# an absolute path under the voice notes' directory, read by the daemon as it sent
	run jq -r 'select(.method == "send" and .params.attachments) | .params.attachments[0]' "$TMP/sig/log"
	assert_output --regexp "^$CLAW_HOME/media/signal/out-[0-9]+\.ogg$"
	head -c 64 "$TMP/sig/kept/0" | grep -q OpusHead
	[ ! -e "$output" ]            # gone once sent
	run sqlite3 "$CLAW_HOME/claw.db" "SELECT voice, state FROM channel_egress ORDER BY id"
	assert_output $'0|sent\n1|sent'
}

@test "discord voice_reply=auto: a voice message in (from the CDN, transcribed) is answered by a voice message" {
	need flite ffmpeg pocketsphinx_continuous
	[ -d /usr/share/pocketsphinx/model/en-us ] || skip "pocketsphinx-en-us is not installed"
	dc_start
	claw config set stt=local
	claw config set tts=local/flite:slt
	echo '{"text":"please call my mother tomorrow morning"}' >"$TMP/prov/script"
	flite -voice slt -t "what is the weather like in london today" -o "$TMP/s.wav"
	ffmpeg -loglevel error -i "$TMP/s.wav" -c:a libopus -b:a 24k "$TMP/s.ogg"
	url=$(curl -sf -XPOST -H 'Content-Type: audio/ogg' --data-binary @"$TMP/s.ogg" \
	    "$DC/_control/file" | jq -r .url)
	jq -cn --arg u "$url" --argjson s "$(stat -c %s "$TMP/s.ogg")" '{id:"1800",
	    channel_id:"900", author:{id:"555", username:"ann"}, content:"", type:0, flags:8192,
	    attachments:[{id:"1801", filename:"voice-message.ogg", content_type:"audio/ogg",
	    size:$s, url:$u, duration_secs:3.1, waveform:"AAAA"}]}' |
		CLAW_CHANNEL_NO_WORK=1 claw channel ingest discord >/dev/null
	claw channel work discord
	# fetched without the bot token, heard by the model as words
	run jq -c 'select(.path | startswith("/api/v10/cdn/")) | .auth' "$TMP/dc/log"
	assert_output null
	run jq -r 'select(.path | endswith("chat/completions")) | .body.messages[-1].content
	    | if type == "string" then . else map(.text // empty) | join(" ") end' "$TMP/prov/log"
	assert_output --partial "london"
	run jq -c 'select(.path == "/api/v10/channels/900/messages") | .body
	    | {content, flags: .payload_json.flags}' "$TMP/dc/log"
	assert_line --index 0 '{"content":"please call my mother tomorrow morning","flags":null}'
	assert_line --index 1 '{"content":null,"flags":8192}'
	run sqlite3 "$CLAW_HOME/claw.db" "SELECT voice, state FROM channel_egress ORDER BY id"
	assert_output $'0|sent\n1|sent'
}
