#!/usr/bin/env python3
"""fakeaudio: the speech services claw-chat calls, on loopback, for tests/media.bats.

usage: fakeaudio.py --port-file FILE --log FILE

Routes, matched on the end of the path so any base URL prefix works:
  POST .../audio/transcriptions   OpenAI: multipart/form-data as documented (file, model,
                                  language, prompt, response_format, temperature,
                                  timestamp_granularities[] only with verbose_json); the
                                  "transcript" says what arrived: the file's name, size and
                                  sha256, so a test can tell the bytes came through whole
  POST .../audio/speech           OpenAI: JSON {model, input <= 4096, voice, response_format}
                                  answered with real audio (a tone, 0.05 s per character)
  POST .../text-to-speech/VOICE[/stream]?output_format=F   ElevenLabs: xi-api-key, JSON
                                  {text, model_id}; /stream answers chunked
Keys: "bad-key" (or none) gets each service's 401.  Every request is appended to the log as
one JSON line {"method","path","query","headers","fields"|"body"}, file bytes as their size
and sha256.  Formats other than WAV/PCM are encoded with ffmpeg, as the real services send.
"""
import argparse
import hashlib
import io
import json
import math
import os
import re
import struct
import subprocess
import threading
import time
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

OPENAI_STT_MODELS = {"whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"}
OPENAI_TTS_MODELS = {"tts-1", "tts-1-hd", "gpt-4o-mini-tts"}
STT_EXTS = {"flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm", "oga", "opus"}
TTS_FORMATS = {"mp3": "audio/mpeg", "opus": "audio/ogg", "aac": "audio/aac",
               "flac": "audio/flac", "wav": "audio/wav", "pcm": "audio/pcm"}
lock = threading.Lock()


def tone(seconds, rate):
    """S16LE mono: a 440 Hz tone, so that the audio is real and measurable."""
    n = max(1, int(seconds * rate))
    return b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                    for i in range(n))


def encode(pcm, rate, fmt):
    if fmt == "pcm":
        return pcm
    b = io.BytesIO()
    with wave.open(b, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    if fmt == "wav":
        return b.getvalue()
    args = {"mp3": ["-f", "mp3"], "opus": ["-c:a", "libopus", "-f", "ogg"],
            "flac": ["-f", "flac"], "aac": ["-f", "adts"]}[fmt]
    return subprocess.run(["ffmpeg", "-v", "error", "-i", "-"] + args + ["-"],
                          input=b.getvalue(), capture_output=True, check=True).stdout


def multipart(ctype, body):
    """RFC 7578 strictly: a boundary parameter, CRLF delimiters, a closing delimiter,
    each part with Content-Disposition: form-data; name=...; a file part has filename
    and Content-Type.  Returns {name: (value bytes, filename, content type)} or raises."""
    m = re.fullmatch(r'multipart/form-data;\s*boundary=("?)([^";]{1,70})\1', ctype or "")
    if not m:
        raise ValueError("Content-Type must be multipart/form-data with a boundary")
    delim = b"--" + m.group(2).encode()
    if not body.startswith(delim + b"\r\n"):
        raise ValueError("the body does not start with the boundary")
    end = body.rfind(b"\r\n" + delim + b"--\r\n")
    if end < 0 or not body.endswith(delim + b"--\r\n"):
        raise ValueError("no closing boundary")
    parts = {}
    for raw in body[len(delim) + 2:end].split(b"\r\n" + delim + b"\r\n"):
        head, sep, value = raw.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("a part without headers")
        hdrs = {}
        for line in head.split(b"\r\n"):
            k, _, v = line.decode().partition(":")
            hdrs[k.strip().lower()] = v.strip()
        cd = hdrs.get("content-disposition", "")
        nm = re.search(r'(?:^|;)\s*name="([^"]*)"', cd)
        if not cd.startswith("form-data") or not nm:
            raise ValueError("a part without Content-Disposition: form-data; name")
        fn = re.search(r'filename="([^"]*)"', cd)
        parts[nm.group(1)] = (value, fn.group(1) if fn else None, hdrs.get("content-type"))
    return parts


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body, ctype="application/json", chunked=False):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(body), 4096):
                c = body[i:i + 4096]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(c), c))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def openai_error(self, status, message, code=None, param=None):
        self.reply(status, {"error": {"message": message, "type": "invalid_request_error",
                                      "param": param, "code": code}})

    def record(self, entry):
        with lock, open(self.server.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def do_POST(self):
        url = urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        entry = {"method": "POST", "path": url.path, "query": parse_qs(url.query),
                 "headers": {k.lower(): v for k, v in self.headers.items()}}
        if url.path.endswith("/audio/transcriptions"):
            return self.transcribe(entry, body)
        if url.path.endswith("/audio/speech"):
            return self.speech(entry, body)
        m = re.search(r"/text-to-speech/([^/]+)(/stream)?$", url.path)
        if m:
            return self.eleven(entry, body, m.group(1), bool(m.group(2)), parse_qs(url.query))
        self.reply(404, {"error": {"message": "not found"}})

    def bearer_ok(self):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth == "Bearer bad-key":
            self.openai_error(401, "Incorrect API key provided.", "invalid_api_key")
            return False
        return True

    def transcribe(self, entry, body):
        try:
            parts = multipart(self.headers.get("Content-Type"), body)
        except ValueError as e:
            entry["error"] = str(e)
            self.record(entry)
            return self.openai_error(400, str(e))
        entry["fields"] = {k: (v[0].decode(errors="replace") if v[1] is None else
                               {"filename": v[1], "content_type": v[2], "bytes": len(v[0]),
                                "sha256": hashlib.sha256(v[0]).hexdigest()})
                           for k, v in parts.items()}
        self.record(entry)
        if not self.bearer_ok():
            return
        if "file" not in parts or parts["file"][1] is None:
            return self.openai_error(400, "you must provide a 'file'", param="file")
        if "model" not in parts:
            return self.openai_error(400, "you must provide a model parameter", param="model")
        model = parts["model"][0].decode()
        if model not in OPENAI_STT_MODELS:
            return self.openai_error(404, f"The model `{model}` does not exist", "model_not_found")
        data, filename, ctype = parts["file"]
        if len(data) > 25 * 1024 * 1024:
            return self.openai_error(413, "Maximum content size limit (26214400) exceeded")
        ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if ext not in STT_EXTS:
            return self.openai_error(400, "Invalid file format. Supported formats: "
                                     "['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', "
                                     "'ogg', 'wav', 'webm']")
        fmt = parts.get("response_format", (b"json",))[0].decode()
        if "timestamp_granularities[]" in parts and fmt != "verbose_json":
            return self.openai_error(400, "timestamp_granularities requires verbose_json")
        text = (f"received {filename}, {len(data)} bytes, sha256 "
                f"{hashlib.sha256(data).hexdigest()}")
        if fmt == "text":
            return self.reply(200, text.encode() + b"\n", "text/plain; charset=utf-8")
        if fmt == "json":
            return self.reply(200, {"text": text, "usage": {"type": "duration", "seconds": 1}})
        if fmt == "verbose_json":
            return self.reply(200, {"task": "transcribe", "language": "english",
                                    "duration": 1.5, "text": text,
                                    "segments": [{"id": 0, "seek": 0, "start": 0.0, "end": 1.5,
                                                  "text": text, "tokens": [1],
                                                  "temperature": 0.0}]})
        return self.openai_error(400, f"'{fmt}' is not one of ['json', 'text', 'srt', "
                                 "'verbose_json', 'vtt'] - 'response_format'")

    def speech(self, entry, body):
        try:
            req = json.loads(body)
        except ValueError:
            req = None
        entry["body"] = req
        self.record(entry)
        if not self.bearer_ok():
            return
        if not isinstance(req, dict) or not isinstance(req.get("input"), str) or not req["input"]:
            return self.openai_error(400, "'input' is a required property", param="input")
        if req.get("model") not in OPENAI_TTS_MODELS:
            return self.openai_error(404, f"The model `{req.get('model')}` does not exist")
        if len(req["input"]) > 4096:
            return self.openai_error(400, "input is longer than 4096 characters")
        if not isinstance(req.get("voice"), (str, dict)):
            return self.openai_error(400, "'voice' is a required property", param="voice")
        fmt = req.get("response_format", "mp3")
        if fmt not in TTS_FORMATS:
            return self.openai_error(400, f"'{fmt}' is not a response_format")
        audio = encode(tone(0.05 * len(req["input"]), 24000), 24000, fmt)
        self.reply(200, audio, TTS_FORMATS[fmt], chunked=True)

    def eleven(self, entry, body, voice, stream, query):
        try:
            req = json.loads(body)
        except ValueError:
            req = None
        entry["body"] = req
        self.record(entry)
        key = self.headers.get("xi-api-key")
        if not key or key == "bad-key":
            return self.reply(401, {"detail": {"status": "invalid_api_key",
                                               "message": "Invalid API key"}})
        if not isinstance(req, dict) or not isinstance(req.get("text"), str):
            return self.reply(422, {"detail": [{"loc": ["body", "text"],
                                                "msg": "field required",
                                                "type": "value_error.missing"}]})
        of = query.get("output_format", ["mp3_44100_128"])[0]
        m = re.fullmatch(r"(mp3|pcm|opus)_(\d+)(?:_(\d+))?", of)
        if not m:
            return self.reply(400, {"detail": {"status": "invalid_output_format",
                                               "message": f"Invalid output format {of}"}})
        kind, rate = m.group(1), int(m.group(2))
        audio = encode(tone(0.05 * len(req["text"]), rate), rate, kind)
        ctype = {"mp3": "audio/mpeg", "pcm": "audio/pcm", "opus": "audio/ogg"}[kind]
        self.reply(200, audio, ctype, chunked=stream)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.log = a.log
    open(a.log, "a").close()
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, a.port_file)
    threading.Timer(3600, srv.shutdown).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
