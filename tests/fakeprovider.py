#!/usr/bin/env python3
"""fakeprovider: a model provider on loopback that speaks the OpenAI chat completions and
Anthropic Messages wire formats byte for byte, scripted per request, for claw-chat's tests.

usage: fakeprovider.py --port-file FILE --log FILE [--script FILE] [--delay-ms N]

Binds 127.0.0.1 on a free port and writes it to FILE (atomically), then serves until
killed, or for at most an hour.  Routes, matched on the end of the path so any base URL
prefix works:
  POST .../chat/completions   OpenAI format (DeepSeek's reasoning_content too)
  POST .../messages           Anthropic format (needs x-api-key and anthropic-version)
  GET  .../models             OpenAI's list, or Anthropic's when x-api-key or
                              anthropic-version is sent
An API key "bad-key" (or no x-api-key for Anthropic) gets the format's 401; no
anthropic-version gets Anthropic's 400.  Neither takes a script line, nor does /models.

Every request is appended to the log as one JSON line:
  {"method","path","headers":{lowercased names},"body": parsed JSON or null}

Each chat request takes the first line of the script (NDJSON, rewritten without it).
No line: answer "echo: " + the text of the last user message.  Fields, all optional:
  status N          answer with the format's error body and status N instead
  retry_after S     with status: a Retry-After: S header
  error_type, error_message   override the error body's type and message
  text "…"          the answer (default: the echo; none when tool_calls are given)
  reasoning "…"     OpenAI: reasoning_content deltas; Anthropic: a thinking block
  tool_calls [{"id","name","arguments": JSON text}]
  split N           write the SSE bytes in pieces of N bytes, one HTTP chunk each, 1 ms apart
  crlf true         end SSE lines with \\r\\n
  comments true     add ": keep-alive" comment lines, and for Anthropic more ping events
  error_after N     after N deltas, an error event (Anthropic event: error, OpenAI data: {"error"})
  cut_after N       after N deltas, drop the connection: no terminator
  delay_ms N        sleep before the response headers (default --delay-ms)
  token_delay_ms N  sleep between deltas
  usage_chunk bool  OpenAI: the usage-only last chunk (default: stream_options.include_usage)
A delta is any reasoning, text or tool-argument fragment.  Anthropic streams always have
one ping after the first content_block_start, where the documented example has it.
Usage: prompt tokens = request body characters / 4, completion tokens = characters of
text + reasoning + tool arguments / 4 (integer division).
"""
import argparse
import json
import os
import re
import socket
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LIFETIME = 3600
CREATED = 1735689600
FINGERPRINT = "fp_fake0001"
SIGNATURE = "RmFrZVNpZ25hdHVyZUZvclRoaW5raW5nQmxvY2s="

OPENAI_MODELS = ["gpt-4o-mini", "gpt-4o", "deepseek-chat", "deepseek-reasoner"]
ANTHROPIC_MODELS = [("claude-sonnet-4-5", "Claude Sonnet 4.5"), ("claude-haiku-4-5", "Claude Haiku 4.5")]

# The error bodies the real services send for each status.
OPENAI_ERRORS = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key",
          "Incorrect API key provided: bad-key. You can find your API key at "
          "https://platform.openai.com/account/api-keys."),
    403: ("invalid_request_error", "unsupported_country_region_territory",
          "Country, region, or territory not supported"),
    404: ("invalid_request_error", "model_not_found",
          "The model `fake` does not exist or you do not have access to it."),
    429: ("requests", "rate_limit_exceeded",
          "Rate limit reached for requests. Please try again in 1s."),
    500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
    503: ("server_error", None, "The engine is currently overloaded, please try again later"),
}
ANTHROPIC_ERRORS = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "The requested resource could not be found."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of requests has exceeded your rate limit."),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
}

args = None
script_lock = threading.Lock()
log_lock = threading.Lock()
counter_lock = threading.Lock()
counter = 0


def next_id():
    global counter
    with counter_lock:
        counter += 1
        return counter


def compact(obj):
    # The real services send UTF-8 as it is, not \u escapes: so characters get cut too.
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def pop_script():
    """The first non-blank script line as a dict, the file rewritten without it."""
    if not args.script:
        return {}
    with script_lock:
        try:
            with open(args.script, encoding="utf-8") as f:
                lines = f.read().splitlines(keepends=True)
        except FileNotFoundError:
            return {}
        while lines and not lines[0].strip():
            lines.pop(0)
        if not lines:
            return {}
        first = lines.pop(0)
        tmp = args.script + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.writelines(lines)
        os.replace(tmp, args.script)
    try:
        line = json.loads(first)
        if not isinstance(line, dict):
            raise ValueError("not an object")
        return line
    except ValueError as e:
        print(f"fakeprovider: script line: {e}: {first.strip()}", file=sys.stderr)
        return {"status": 500, "error_message": f"fakeprovider: bad script line: {e}"}


def text_of(content):
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content
                         if isinstance(p, dict) and p.get("type") == "text")
    return ""


def last_user_text(body):
    for m in reversed(body.get("messages") or []):
        if isinstance(m, dict) and m.get("role") == "user":
            return text_of(m.get("content"))
    return ""


def words(text):
    """The text in word-sized deltas that join back to it exactly."""
    return [w for w in re.findall(r"\S*\s*", text) if w] or [""]


def fragments(s, parts=4):
    """A string in a few pieces, as providers stream tool arguments."""
    if not s:
        return []
    n = max(1, -(-len(s) // parts))
    return [s[i:i + n] for i in range(0, len(s), n)]


class Cut(Exception):
    """cut_after reached: drop the connection."""


class Answer:
    """What to say, from the request and its script line."""

    def __init__(self, kind, body, raw_len, line):
        self.line = line
        self.model = body.get("model") or "fake-model"
        self.reasoning = line.get("reasoning")
        self.tool_calls = []
        for i, t in enumerate(line.get("tool_calls") or []):
            self.tool_calls.append({
                "id": t.get("id") or ("call_fake%d" if kind == "openai" else "toolu_fake%d") % i,
                "name": t.get("name") or "tool",
                "arguments": t.get("arguments") if isinstance(t.get("arguments"), str)
                else compact(t.get("arguments") or {}),
            })
        if "text" in line:
            self.text = line["text"]
        elif self.tool_calls:
            self.text = None
        else:
            self.text = "echo: " + last_user_text(body)
        self.prompt_tokens = raw_len // 4
        chars = len(self.text or "") + len(self.reasoning or "")
        chars += sum(len(t["arguments"]) for t in self.tool_calls)
        self.completion_tokens = chars // 4


class SSE:
    """Writes SSE events as HTTP chunks: one chunk per event, or cut every `split` bytes
    across event boundaries; counts deltas for error_after and cut_after."""

    def __init__(self, handler, line):
        self.h = handler
        self.split = int(line.get("split") or 0)
        self.eol = "\r\n" if line.get("crlf") else "\n"
        self.comments = bool(line.get("comments"))
        self.error_after = line.get("error_after")
        self.cut_after = line.get("cut_after")
        self.token_delay = (line.get("token_delay_ms") or 0) / 1000
        self.deltas = 0
        self.pending = b""

    def chunk(self, b):
        if b:
            self.h.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))
            self.h.wfile.flush()

    def raw(self, text):
        b = text.encode("utf-8")
        if not self.split:
            self.chunk(b)
            return
        self.pending += b
        while len(self.pending) >= self.split:
            self.chunk(self.pending[:self.split])
            self.pending = self.pending[self.split:]
            time.sleep(0.001)

    def flush(self):
        self.chunk(self.pending)
        self.pending = b""

    def event(self, data, name=None):
        e = self.eol
        self.raw((f"event: {name}{e}" if name else "") + f"data: {data}{e}{e}")

    def comment(self):
        if self.comments:
            self.raw(": keep-alive" + self.eol)

    def stop(self):
        """At the limit of error_after (True) or cut_after (raises Cut)."""
        if self.cut_after is not None and self.deltas >= int(self.cut_after):
            self.flush()
            raise Cut()
        return self.error_after is not None and self.deltas >= int(self.error_after)

    def delta(self, data, name=None):
        """A delta event; False when the script says to stop with an error instead."""
        if self.stop():
            return False
        if self.deltas and self.token_delay:
            self.flush()
            time.sleep(self.token_delay)
        if self.deltas % 2:
            self.comment()   # inside the event's lines, where a parser must skip it
        self.event(data, name)
        self.deltas += 1
        return True

    def end(self):
        self.flush()
        self.h.wfile.write(b"0\r\n\r\n")
        self.h.wfile.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakeprovider/1"

    def log_message(self, fmt, *a):
        pass

    # --- plumbing -------------------------------------------------------------

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def log_request_line(self, body):
        rec = {"method": self.command, "path": self.path,
               "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
        with log_lock, open(args.log, "a", encoding="utf-8") as f:
            f.write(compact(rec) + "\n")
            f.flush()

    def start(self, status, ctype, extra=None, length=None):
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Overloaded" if status == 529 else "Error"
        self.send_response(status, reason)
        self.send_header("Content-Type", ctype)
        for k, v in (extra or {}).items():
            self.send_header(k, str(v))
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Cache-Control", "no-cache")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def send_json(self, status, text, extra=None):
        b = text.encode("utf-8")
        self.start(status, "application/json" + ("; charset=utf-8" if self.kind == "openai" else ""),
                   extra, len(b))
        self.wfile.write(b)
        self.wfile.flush()

    def ids(self):
        if self.kind == "openai":
            return {"x-request-id": self.rid, "openai-processing-ms": "1"}
        return {"request-id": self.rid}

    # --- errors ---------------------------------------------------------------

    def error_body(self, status, line=None):
        line = line or {}
        if self.kind == "openai":
            etype, code, msg = OPENAI_ERRORS.get(
                status, ("server_error" if status >= 500 else "invalid_request_error", None,
                         f"Error {status}"))
            err = {"message": line.get("error_message", msg), "type": line.get("error_type", etype),
                   "param": None, "code": code}
            # OpenAI pretty-prints its JSON bodies, errors with four spaces.
            return json.dumps({"error": err}, ensure_ascii=False, indent=4) + "\n"
        etype, msg = ANTHROPIC_ERRORS.get(
            status, ("api_error" if status >= 500 else "invalid_request_error", f"Error {status}"))
        return compact({"type": "error",
                        "error": {"type": line.get("error_type", etype),
                                  "message": line.get("error_message", msg)},
                        "request_id": self.rid})

    def send_error_body(self, status, line=None):
        extra = self.ids()
        if line and line.get("retry_after") is not None:
            extra["Retry-After"] = line["retry_after"]
        self.send_json(status, self.error_body(status, line), extra)

    # --- routes ---------------------------------------------------------------

    def route(self):
        path = self.path.split("?", 1)[0].rstrip("/")
        anthropic = "anthropic-version" in self.headers or "x-api-key" in self.headers
        if path.endswith("/chat/completions"):
            return "openai", "chat"
        if path.endswith("/messages"):
            return "anthropic", "chat"
        if path.endswith("/models"):
            return ("anthropic" if anthropic else "openai"), "models"
        return ("anthropic" if anthropic else "openai"), None

    def authorised(self):
        if self.kind == "openai":
            return (self.headers.get("Authorization") or "").strip() != "Bearer bad-key"
        key = self.headers.get("x-api-key")
        return key is not None and key != "bad-key"

    def handle_any(self):
        raw = self.read_body()
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                pass
        self.log_request_line(body)
        self.kind, what = self.route()
        self.rid = f"req_fake{next_id():06d}"
        try:
            if what is None or (what == "chat") != (self.command == "POST"):
                return self.send_error_body(404, {"error_message":
                                                  f"Invalid URL ({self.command} {self.path})"})
            if what == "models" and args.delay_ms:
                time.sleep(args.delay_ms / 1000)
            if not self.authorised():
                if self.kind == "anthropic" and "x-api-key" not in self.headers:
                    return self.send_error_body(401, {"error_message": "x-api-key header is required"})
                return self.send_error_body(401)
            if self.kind == "anthropic" and "anthropic-version" not in self.headers:
                return self.send_error_body(400, {"error_message":
                                                  "anthropic-version: header is required"})
            if what == "models":
                return self.models()
            if not isinstance(body, dict):
                return self.send_error_body(400, {"error_message":
                                                  "We could not parse the JSON body of your request."})
            self.chat(body, len(raw.decode("utf-8", "replace")))
        except Cut:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = handle_any

    def models(self):
        if self.kind == "openai":
            data = [{"id": m, "object": "model", "created": CREATED, "owned_by": "system"}
                    for m in OPENAI_MODELS]
            return self.send_json(200, json.dumps({"object": "list", "data": data}, indent=2) + "\n",
                                  self.ids())
        data = [{"type": "model", "id": m, "display_name": d, "created_at": "2025-01-01T00:00:00Z"}
                for m, d in ANTHROPIC_MODELS]
        self.send_json(200, compact({"data": data, "has_more": False, "first_id": data[0]["id"],
                                     "last_id": data[-1]["id"]}), self.ids())

    def chat(self, body, raw_len):
        line = pop_script()
        delay = line.get("delay_ms", args.delay_ms) or 0
        if delay:
            time.sleep(delay / 1000)
        status = int(line.get("status") or 200)
        if status != 200:
            return self.send_error_body(status, line)
        a = Answer(self.kind, body, raw_len, line)
        stream = body.get("stream") is True
        if self.kind == "openai":
            if stream:
                self.start(200, "text/event-stream; charset=utf-8", self.ids())
                return self.openai_stream(body, a, SSE(self, line))
            return self.send_json(200, json.dumps(self.openai_message(a), ensure_ascii=False,
                                                  indent=2) + "\n", self.ids())
        if stream:
            self.start(200, "text/event-stream; charset=utf-8", self.ids())
            return self.anthropic_stream(a, SSE(self, line))
        self.send_json(200, compact(self.anthropic_message(a)), self.ids())

    # --- OpenAI ---------------------------------------------------------------

    def openai_usage(self, a):
        u = {"prompt_tokens": a.prompt_tokens, "completion_tokens": a.completion_tokens,
             "total_tokens": a.prompt_tokens + a.completion_tokens}
        if a.reasoning:
            u["completion_tokens_details"] = {"reasoning_tokens": len(a.reasoning) // 4}
        return u

    def openai_message(self, a):
        msg = {"role": "assistant", "content": a.text, "refusal": None, "annotations": []}
        if a.reasoning is not None:
            msg["reasoning_content"] = a.reasoning
        if a.tool_calls:
            msg["tool_calls"] = [{"id": t["id"], "type": "function",
                                  "function": {"name": t["name"], "arguments": t["arguments"]}}
                                 for t in a.tool_calls]
        return {"id": f"chatcmpl-fake{next_id():06d}", "object": "chat.completion",
                "created": CREATED, "model": a.model,
                "choices": [{"index": 0, "message": msg, "logprobs": None,
                             "finish_reason": "tool_calls" if a.tool_calls else "stop"}],
                "usage": self.openai_usage(a), "service_tier": "default",
                "system_fingerprint": FINGERPRINT}

    def openai_stream(self, body, a, out):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        usage_chunk = a.line.get("usage_chunk", include_usage)
        cid = f"chatcmpl-fake{next_id():06d}"

        def chunk(delta, finish=None, choices=True):
            c = {"id": cid, "object": "chat.completion.chunk", "created": CREATED, "model": a.model,
                 "service_tier": "default", "system_fingerprint": FINGERPRINT,
                 "choices": [{"index": 0, "delta": delta, "logprobs": None,
                              "finish_reason": finish}] if choices else []}
            if include_usage:
                c["usage"] = None   # every chunk but the last says so
            return compact(c)

        def error():
            out.event(compact({"error": {"message": a.line.get("error_message",
                                                                  "The server had an error while processing your request. Sorry about that!"),
                                         "type": a.line.get("error_type", "server_error"),
                                         "param": None, "code": None}}))
            out.end()

        out.comment()
        if out.comments:
            out.raw(out.eol)
        if a.reasoning is not None:
            # DeepSeek: reasoning first, content null until the answer starts.
            out.event(chunk({"role": "assistant", "content": None, "reasoning_content": ""}))
            for w in words(a.reasoning):
                if not out.delta(chunk({"content": None, "reasoning_content": w})):
                    return error()
        if a.text is not None:
            if a.reasoning is None:
                out.event(chunk({"role": "assistant", "content": "", "refusal": None}))
            for w in words(a.text):
                d = {"content": w}
                if a.reasoning is not None:
                    d["reasoning_content"] = None
                if not out.delta(chunk(d)):
                    return error()
        for i, t in enumerate(a.tool_calls):
            head = {"index": i, "id": t["id"], "type": "function",
                    "function": {"name": t["name"], "arguments": ""}}
            d = {"tool_calls": [head]}
            if a.text is None and a.reasoning is None and i == 0:
                d = {"role": "assistant", "content": None, "tool_calls": [head]}
            out.event(chunk(d))
            for f in fragments(t["arguments"]):
                if not out.delta(chunk({"tool_calls": [{"index": i, "function": {"arguments": f}}]})):
                    return error()
        # Limits beyond the last delta still apply, before the end of the answer.
        out.deltas = max(out.deltas, int(out.error_after or 0), int(out.cut_after or 0))
        if out.stop():
            return error()
        out.event(chunk({}, "tool_calls" if a.tool_calls else "stop"))
        if usage_chunk:
            c = {"id": cid, "object": "chat.completion.chunk", "created": CREATED, "model": a.model,
                 "service_tier": "default", "system_fingerprint": FINGERPRINT, "choices": [],
                 "usage": self.openai_usage(a)}
            out.event(compact(c))
        out.event("[DONE]")
        out.end()

    # --- Anthropic ------------------------------------------------------------

    def anthropic_usage(self, a, output):
        return {"input_tokens": a.prompt_tokens, "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0, "output_tokens": output}

    def anthropic_message(self, a):
        content = []
        if a.reasoning is not None:
            content.append({"type": "thinking", "thinking": a.reasoning, "signature": SIGNATURE})
        if a.text is not None:
            content.append({"type": "text", "text": a.text})
        for t in a.tool_calls:
            try:
                inp = json.loads(t["arguments"] or "{}")
            except ValueError:
                inp = {}
            content.append({"type": "tool_use", "id": t["id"], "name": t["name"], "input": inp})
        return {"id": f"msg_fake{next_id():06d}", "type": "message", "role": "assistant",
                "model": a.model, "content": content,
                "stop_reason": "tool_use" if a.tool_calls else "end_turn", "stop_sequence": None,
                "usage": self.anthropic_usage(a, a.completion_tokens)}

    def anthropic_stream(self, a, out):
        pinged = [False]

        def ev(name, obj):
            out.event(compact(dict({"type": name}, **obj)), name)

        def ping():
            out.event('{"type": "ping"}', "ping")

        def error():
            etype = a.line.get("error_type", "overloaded_error")
            msg = a.line.get("error_message", "Overloaded")
            out.event(compact({"type": "error", "error": {"type": etype, "message": msg}}), "error")
            out.end()

        def block(index, start, kind, pieces, key, after=None):
            ev("content_block_start", {"index": index, "content_block": start})
            if not pinged[0]:
                ping()   # where the documented example has it
                pinged[0] = True
            if kind == "input_json_delta":
                # A tool's input opens with an empty fragment, as the service sends it.
                ev("content_block_delta", {"index": index, "delta": {"type": kind, key: ""}})
            for p in pieces:
                if out.comments and out.deltas % 3 == 2:
                    ping()
                if not out.delta(compact({"type": "content_block_delta", "index": index,
                                          "delta": {"type": kind, key: p}}), "content_block_delta"):
                    return False
            if after:
                ev("content_block_delta", {"index": index, "delta": after})
            ev("content_block_stop", {"index": index})
            return True

        msg = self.anthropic_message(a)
        start = dict(msg, content=[], stop_reason=None, usage=self.anthropic_usage(a, 1))
        out.comment()
        ev("message_start", {"message": start})
        index = 0
        if a.reasoning is not None:
            if not block(index, {"type": "thinking", "thinking": "", "signature": ""},
                         "thinking_delta", words(a.reasoning), "thinking",
                         {"type": "signature_delta", "signature": SIGNATURE}):
                return error()
            index += 1
        if a.text is not None:
            if not block(index, {"type": "text", "text": ""}, "text_delta", words(a.text), "text"):
                return error()
            index += 1
        for t in a.tool_calls:
            if not block(index, {"type": "tool_use", "id": t["id"], "name": t["name"], "input": {}},
                         "input_json_delta", fragments(t["arguments"]), "partial_json"):
                return error()
            index += 1
        out.deltas = max(out.deltas, int(out.error_after or 0), int(out.cut_after or 0))
        if out.stop():
            return error()
        ev("message_delta", {"delta": {"stop_reason": msg["stop_reason"], "stop_sequence": None},
                             "usage": {"output_tokens": a.completion_tokens}})
        ev("message_stop", {})
        out.end()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256   # benchmarks open many connections at once

    def get_request(self):
        conn, addr = super().get_request()
        # Each HTTP chunk its own segment, so `split` really cuts what the client reads.
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, addr


def main():
    global args
    p = argparse.ArgumentParser(description="a fake model provider on loopback")
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--script")
    p.add_argument("--delay-ms", type=int, default=0)
    args = p.parse_args()

    srv = Server(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{srv.server_address[1]}\n")
    os.replace(tmp, args.port_file)
    # A forgotten server must not outlive the test run for long.
    t = threading.Timer(LIFETIME, os._exit, (0,))
    t.daemon = True
    t.start()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
