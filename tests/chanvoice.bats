#!/usr/bin/env bats
# Channels and voice: a voice note sent to the bot is transcribed into the turn (stt), and
# the answer comes back as a voice note too (tts, voice_reply), against tests/fakechannel.py.

load helper

TG_TOKEN=123456:TEST-token_abc

setup() {
	claw_setup
	TMP=$BATS_TEST_TMPDIR
	fakeprovider_start "$TMP/prov"
	mkdir -p "$TMP/ch"
	: >"$TMP/ch/script"
	python3 "$BATS_TEST_DIRNAME/fakechannel.py" --port-file "$TMP/ch/port" --log "$TMP/ch/log" \
	    --script "$TMP/ch/script" 3>&- &
	echo $! >"$TMP/ch/pid"
	for _ in $(seq 100); do [ -s "$TMP/ch/port" ] && break; sleep 0.05; done
	PP=$(cat "$TMP/prov/port") CP=$(cat "$TMP/ch/port")
	FAKE=http://127.0.0.1:$CP
	claw config set "providers.generic.base_url=http://127.0.0.1:$PP/v1" >/dev/null
	claw config set model=generic/test-model >/dev/null
	claw config set "channels.telegram.base_url=$FAKE" >/dev/null
	echo "$TG_TOKEN" | claw channel add telegram --token=- >/dev/null
	claw config set channels.telegram.dm_policy=open >/dev/null
}

teardown() {
	local p
	for p in "$TMP/prov/pid" "$TMP/ch/pid"; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
	done
	return 0
}

need() {
	local p
	for p; do command -v "$p" >/dev/null || skip "$p is not installed"; done
}

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
