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
  no_done true      OpenAI stream: no "data: [DONE]" after the last chunk (llama.cpp before
                    late 2024, ik_llama.cpp, MLC-LLM)
  redacted "…"      Anthropic: a redacted_thinking block (its data made from the text) first
  usage {…}         fields merged over the usage the answer reports (to send malformed ones)
A delta is any reasoning, text or tool-argument fragment.  Anthropic streams always have
one ping after the first content_block_start, where the documented example has it.
Usage: prompt tokens = request body characters / 4, completion tokens = characters of
text + reasoning + tool arguments / 4 (integer division).

Prompt caching, as the real services do it, with the prefixes seen by this process (kept
five minutes from their last use, per model):
  Anthropic  a prefix up to a block with cache_control (tools, then system, then messages)
             is written when it has at least the model's minimum (CACHE_MIN) of tokens;
             a later request reads the longest cached prefix found at one of its
             breakpoints or at one of the 20 block boundaries before it.  usage says
             input_tokens (after the cached part), cache_creation_input_tokens,
             cache_read_input_tokens (also in message_start).
  OpenAI     automatic: prefixes of at least 1024 tokens, in steps of 128, of the tools
             and then the messages; usage.prompt_tokens_details.cached_tokens says how
             many of prompt_tokens the longest cached one held.
  A prefix's tokens are its blocks' compact JSON characters / 4.

Strict as the real APIs: a chat request is checked before it takes a script line, and a
history the real service refuses gets its 400 with the real body (strict_openai and
strict_anthropic below list each check and its words):
  OpenAI     tool names outside ^[a-zA-Z0-9_-]{1,64}$ (in tools and in replayed calls); an
             assistant tool_calls message not followed by a tool message for each id; a
             tool message that answers no call; DeepSeek in thinking mode (deepseek-* with
             reasoning_effort or thinking enabled, or deepseek-reasoner): every assistant
             message between two user messages in which tools were called must carry its
             reasoning_content; reasoning_effort to a model that cannot think (THINKLESS:
             Ollama's and OpenAI's words).
  Anthropic  tool names outside the pattern; tool_use without a tool_result for each id in
             the next message; a tool_result that answers no tool_use of the message
             before; max_tokens over the model's limit (MAX_OUTPUT); a thinking budget
             under 1024 or not under max_tokens; with thinking on, a final assistant
             message (the last message, or the one before a last user message of
             tool_results) that does not start with thinking or redacted_thinking; a
             thinking block whose signature is not the one this server gave its text, or
             a redacted_thinking block whose data this server did not make; more than
             four cache_control blocks; one on a thinking block, on an empty text block,
             or not {"type":"ephemeral"} (with ttl "5m" or "1h").
"""
import argparse
import base64
import hashlib
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
TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]+")

# Models that refuse reasoning_effort, and how their server says so.
THINKLESS = {"llama3.2": "ollama", "llama3.2:latest": "ollama", "gpt-4o-mini": "openai",
             "gpt-4o": "openai"}
# Anthropic models whose output limit is below what a client may ask for.
MAX_OUTPUT = {"claude-3-haiku": 4096, "claude-3-opus": 4096}
THINKING_DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
# Anthropic: the fewest tokens a cached prefix may have, by model prefix (else 1024).
CACHE_MIN = [("claude-opus-4-5", 4096), ("claude-opus-4-6", 4096), ("claude-haiku-4-5", 4096),
             ("claude-3-5-haiku", 2048), ("claude-3-haiku", 2048)]
CACHE_TTL = 300
CACHE_LOOKBACK = 20
OPENAI_CACHE_MIN, OPENAI_CACHE_STEP = 1024, 128


def signature(text):
    """The signature of a thinking block's text: made here, checked when it comes back."""
    return base64.b64encode(hashlib.sha256(("fake-thinking:" + text).encode()).digest()).decode()


def redacted_data(text):
    b = text.encode()
    return base64.b64encode(b"fake-redacted:" + hashlib.sha256(b).digest()[:8] + b).decode()


def redacted_ok(data):
    try:
        raw = base64.b64decode(data, validate=True)
    except (ValueError, TypeError):
        return False
    head, tag, body = raw[:14], raw[14:22], raw[22:]
    return head == b"fake-redacted:" and hashlib.sha256(body).digest()[:8] == tag

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
cache_lock = threading.Lock()
prefix_cache = {}   # sha256 of model + prefix -> when last used


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


# --- what the real services refuse ----------------------------------------------------

def bad_tool_name(name):
    """OpenAI's words for a tool name it refuses, or None."""
    if not isinstance(name, str) or not TOOL_NAME.fullmatch(name):
        return ("string does not match pattern. Expected a string that matches the pattern "
                "'^[a-zA-Z0-9_-]+$'.", "invalid_value")
    if len(name) > 64:
        return ("string too long. Expected a string with maximum length 64, but got a string "
                f"with length {len(name)} instead.", "string_above_max_length")
    return None


def openai_error(message, param=None, code=None):
    return 400, json.dumps({"error": {"message": message, "type": "invalid_request_error",
                                      "param": param, "code": code}}, indent=4) + "\n"


def deepseek_thinking(body):
    model = str(body.get("model") or "")
    th = body.get("thinking") if isinstance(body.get("thinking"), dict) else {}
    if not model.startswith("deepseek") or th.get("type") == "disabled":
        return False
    return model == "deepseek-reasoner" or th.get("type") == "enabled" \
        or "reasoning_effort" in body


def strict_openai(body):
    """None, or (status, body) as OpenAI (or the server named) refuses this request."""
    for i, t in enumerate(body.get("tools") or []):
        name = ((t or {}).get("function") or {}).get("name")
        bad = bad_tool_name(name)
        if bad:
            where = f"tools[{i}].function.name"
            return openai_error(f"Invalid '{where}': {bad[0]}", where, bad[1])
    msgs = [m if isinstance(m, dict) else {} for m in body.get("messages") or []]
    for i, m in enumerate(msgs):
        for j, c in enumerate(m.get("tool_calls") or []):
            bad = bad_tool_name(((c or {}).get("function") or {}).get("name"))
            if bad:
                where = f"messages[{i}].tool_calls[{j}].function.name"
                return openai_error(f"Invalid '{where}': {bad[0]}", where, bad[1])
    for i, m in enumerate(msgs):
        if m.get("role") == "assistant" and m.get("tool_calls"):
            want = [c.get("id") for c in m["tool_calls"] if isinstance(c, dict)]
            k = i + 1
            while k < len(msgs) and msgs[k].get("role") == "tool":
                if msgs[k].get("tool_call_id") in want:
                    want.remove(msgs[k].get("tool_call_id"))
                k += 1
            if want:
                return openai_error(
                    "An assistant message with 'tool_calls' must be followed by tool messages "
                    "responding to each 'tool_call_id'. The following tool_call_ids did not "
                    "have response messages: " + ", ".join(str(w) for w in want),
                    f"messages.[{k}].role")
        if m.get("role") == "tool":
            k = i - 1
            while k >= 0 and msgs[k].get("role") == "tool":
                k -= 1
            calls = msgs[k].get("tool_calls") if k >= 0 and msgs[k].get("role") == "assistant" \
                else None
            ids = [c.get("id") for c in calls or [] if isinstance(c, dict)]
            if m.get("tool_call_id") not in ids:
                return openai_error(
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    "preceeding message with 'tool_calls'.", f"messages.[{i}].role")
    if deepseek_thinking(body):
        span = []
        for m in msgs + [{"role": "user"}]:
            if m.get("role") == "user":
                if any(x.get("tool_calls") for x in span) and \
                        any(not isinstance(x.get("reasoning_content"), str) for x in span):
                    return 400, compact({"error": {
                        "message": "The reasoning_content in the thinking mode must be passed "
                                   "back to the API.",
                        "type": "invalid_request_error", "param": None,
                        "code": "invalid_request_error"}})
                span = []
            elif m.get("role") == "assistant":
                span.append(m)
    who = THINKLESS.get(str(body.get("model") or ""))
    if who and "reasoning_effort" in body:
        if who == "ollama":
            return 400, compact({"error": {
                "message": f'"{body["model"]}" does not support thinking',
                "type": "invalid_request_error", "param": None, "code": None}})
        return openai_error("Unsupported parameter: 'reasoning_effort' is not supported with "
                            "this model.", "reasoning_effort", "unsupported_parameter")
    return None


def blocks(m):
    c = m.get("content")
    if isinstance(c, str):
        return [{"type": "text", "text": c}]
    return [b if isinstance(b, dict) else {} for b in c or []]


def strict_anthropic(body):
    """None, or the message of the 400 Anthropic answers this request with."""
    for i, t in enumerate(body.get("tools") or []):
        name = (t or {}).get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", name):
            return f"tools.{i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
    why = cache_control_refused(body)
    if why:
        return why
    model = str(body.get("model") or "")
    max_tokens = body.get("max_tokens")
    for prefix, limit in MAX_OUTPUT.items():
        if model.startswith(prefix) and isinstance(max_tokens, int) and max_tokens > limit:
            return (f"max_tokens: {max_tokens} > {limit}, which is the maximum allowed number "
                    f"of output tokens for {model}")
    th = body.get("thinking") if isinstance(body.get("thinking"), dict) else {}
    thinking = th.get("type") == "enabled"
    if thinking:
        budget = th.get("budget_tokens")
        if not isinstance(budget, int) or budget < 1024:
            return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
        if not isinstance(max_tokens, int) or max_tokens <= budget:
            return ("`max_tokens` must be greater than `thinking.budget_tokens`. Please consult "
                    f"our documentation at {THINKING_DOCS}#max-tokens-and-context-window-size")
    msgs = [m if isinstance(m, dict) else {} for m in body.get("messages") or []]
    for i, m in enumerate(msgs):
        bs = blocks(m)
        if m.get("role") == "assistant":
            for k, b in enumerate(bs):
                if b.get("type") == "thinking" and b.get("signature") != signature(
                        str(b.get("thinking"))):
                    return f"messages.{i}.content.{k}: Invalid `signature` in `thinking` block"
                if b.get("type") == "redacted_thinking" and not redacted_ok(b.get("data")):
                    return (f"messages.{i}.content.{k}: Invalid `data` in `redacted_thinking` "
                            "block")
            uses = [b.get("id") for b in bs if b.get("type") == "tool_use"]
            nxt = blocks(msgs[i + 1]) if i + 1 < len(msgs) and msgs[i + 1].get("role") == "user" \
                else []
            answered = {b.get("tool_use_id") for b in nxt if b.get("type") == "tool_result"}
            missing = [u for u in uses if u not in answered]
            if missing:
                return (f"messages.{i}: `tool_use` ids were found without `tool_result` blocks "
                        f"immediately after: {', '.join(str(u) for u in missing)}. Each "
                        "`tool_use` block must have a corresponding `tool_result` block in the "
                        "next message.")
        else:
            prev = blocks(msgs[i - 1]) if i > 0 and msgs[i - 1].get("role") == "assistant" else []
            uses = {b.get("id") for b in prev if b.get("type") == "tool_use"}
            for k, b in enumerate(bs):
                if b.get("type") == "tool_result" and b.get("tool_use_id") not in uses:
                    return (f"messages.{i}.content.{k}: unexpected `tool_use_id` found in "
                            f"`tool_result` blocks: {b.get('tool_use_id')}. Each `tool_result` "
                            "block must have a corresponding `tool_use` block in the previous "
                            "message.")
    if thinking and msgs:
        last = len(msgs) - 1
        final = None
        if msgs[last].get("role") == "assistant":
            final = last
        elif last > 0 and msgs[last - 1].get("role") == "assistant" and any(
                b.get("type") == "tool_result" for b in blocks(msgs[last])):
            final = last - 1
        if final is not None:
            bs = blocks(msgs[final])
            first = bs[0].get("type") if bs else "nothing"
            if first not in ("thinking", "redacted_thinking"):
                return (f"messages.{final}.content.0.type: Expected `thinking` or "
                        f"`redacted_thinking`, but found `{first}`. When `thinking` is enabled, "
                        "a final `assistant` message must start with a thinking block "
                        "(preceeding the lastmost set of `tool_use` and `tool_result` blocks). "
                        "We recommend you include thinking blocks from previous turns. To avoid "
                        "this requirement, disable `thinking`. Please consult our documentation "
                        f"at {THINKING_DOCS}")
    return None


# --- prompt caching ------------------------------------------------------------------

def cache_control_refused(body):
    """Anthropic's words for the cache_control blocks it refuses, or None."""
    marks = []   # (where, block, cache_control)
    if "cache_control" in body:
        marks.append(("cache_control", {}, body["cache_control"]))
    for i, t in enumerate(body.get("tools") or []):
        if isinstance(t, dict) and "cache_control" in t:
            marks.append((f"tools.{i}", t, t["cache_control"]))
    if isinstance(body.get("system"), list):
        for i, b in enumerate(body["system"]):
            if isinstance(b, dict) and "cache_control" in b:
                marks.append((f"system.{i}", b, b["cache_control"]))
    for i, m in enumerate(body.get("messages") or []):
        c = m.get("content") if isinstance(m, dict) else None
        for k, b in enumerate(c if isinstance(c, list) else []):
            if isinstance(b, dict) and "cache_control" in b:
                marks.append((f"messages.{i}.content.{k}", b, b["cache_control"]))
    for where, b, cc in marks:
        kind = b.get("type")
        if kind in ("thinking", "redacted_thinking"):
            return f"{where}.{kind}.cache_control: Extra inputs are not permitted"
        if not isinstance(cc, dict) or cc.get("type") != "ephemeral":
            return f"{where}.cache_control.type: Input should be 'ephemeral'"
        if "ttl" in cc and cc["ttl"] not in ("5m", "1h"):
            return f"{where}.cache_control.ephemeral.ttl: Input should be '5m' or '1h'"
        if kind == "text" and not b.get("text"):
            return f"{where}.text: cache_control cannot be set for empty text blocks"
    if len(marks) > 4:
        return f"A maximum of 4 blocks with cache_control may be provided. Found {len(marks)}."
    return None


def without_mark(b):
    return compact({k: v for k, v in b.items() if k != "cache_control"}) \
        if isinstance(b, dict) else compact(b)


def anthropic_blocks(body):
    """The prompt in cache order (tools, system, messages) as (text, marked) blocks."""
    out = [("tool:" + without_mark(t), isinstance(t, dict) and "cache_control" in t)
           for t in body.get("tools") or []]
    system = body.get("system")
    if isinstance(system, str) and system:
        out.append(("system:" + compact({"type": "text", "text": system}), False))
    for b in system if isinstance(system, list) else []:
        out.append(("system:" + without_mark(b), isinstance(b, dict) and "cache_control" in b))
    for m in body.get("messages") or []:
        if not isinstance(m, dict):
            continue
        for b in blocks(m):
            out.append((f"{m.get('role')}:" + without_mark(b), "cache_control" in b))
    if "cache_control" in body and out:       # automatic: on the last block
        out[-1] = (out[-1][0], True)
    return out


def cache_min(model):
    for prefix, n in CACHE_MIN:
        if model.startswith(prefix):
            return n
    return 1024


def cache_expire(now):
    for k in [k for k, t in prefix_cache.items() if now - t > CACHE_TTL]:
        del prefix_cache[k]


def anthropic_cache(body, total):
    """(read, written) tokens of this request's prefixes, the cache updated."""
    model = str(body.get("model") or "")
    h = hashlib.sha256(model.encode())
    digests, toks, n, marked = [], [], 0, []
    for i, (text, mark) in enumerate(anthropic_blocks(body)):
        h.update(text.encode())
        digests.append(h.hexdigest())
        n += len(text)
        toks.append(min(n // 4, total))
        if mark:
            marked.append(i)
    now = time.monotonic()
    read = upto = 0
    with cache_lock:
        cache_expire(now)
        for b in marked:
            for j in range(b, max(-1, b - CACHE_LOOKBACK - 1), -1):
                if digests[j] in prefix_cache:
                    prefix_cache[digests[j]] = now
                    read = max(read, toks[j])
                    break
        for b in marked:
            if toks[b] >= cache_min(model) and digests[b] not in prefix_cache:
                prefix_cache[digests[b]] = now
                upto = max(upto, toks[b])
    return read, max(0, upto - read)


def openai_cache(body, total):
    """Tokens of this prompt that an earlier one's prefix held; its prefixes kept."""
    model = str(body.get("model") or "")
    text = "".join(compact(t) for t in body.get("tools") or []) + \
        "".join(compact(m) for m in body.get("messages") or [])
    h = hashlib.sha256(model.encode())
    now, done, cached, keys = time.monotonic(), 0, 0, []
    p = OPENAI_CACHE_MIN
    while p <= total and p * 4 <= len(text):
        h.update(text[done:p * 4].encode())
        done = p * 4
        keys.append((p, h.hexdigest()))
        p += OPENAI_CACHE_STEP
    with cache_lock:
        cache_expire(now)
        for p, k in keys:
            if k in prefix_cache:
                cached = p
            prefix_cache[k] = now
    return cached


class Cut(Exception):
    """cut_after reached: drop the connection."""


class Answer:
    """What to say, from the request and its script line."""

    def __init__(self, kind, body, raw_len, line):
        self.line = line
        self.model = body.get("model") or "fake-model"
        self.reasoning = line.get("reasoning")
        self.redacted = line.get("redacted")
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
        self.cache_read = self.cache_write = 0
        if kind == "anthropic":
            self.cache_read, self.cache_write = anthropic_cache(body, self.prompt_tokens)
        else:
            self.cache_read = openai_cache(body, self.prompt_tokens)
        self.usage = line.get("usage") if isinstance(line.get("usage"), dict) else {}
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
        # The service checks the request before anything else: no script line is taken.
        if self.kind == "openai":
            refused = strict_openai(body)
            if refused:
                return self.send_json(refused[0], refused[1], self.ids())
        else:
            why = strict_anthropic(body)
            if why:
                return self.send_error_body(400, {"error_message": why})
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
             "total_tokens": a.prompt_tokens + a.completion_tokens,
             "prompt_tokens_details": {"cached_tokens": a.cache_read, "audio_tokens": 0}}
        if a.reasoning:
            u["completion_tokens_details"] = {"reasoning_tokens": len(a.reasoning) // 4}
        return dict(u, **a.usage)

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
        if not a.line.get("no_done"):
            out.event("[DONE]")
        out.end()

    # --- Anthropic ------------------------------------------------------------

    def anthropic_usage(self, a, output):
        u = {"input_tokens": a.prompt_tokens - a.cache_read - a.cache_write,
             "cache_creation_input_tokens": a.cache_write,
             "cache_read_input_tokens": a.cache_read,
             "cache_creation": {"ephemeral_5m_input_tokens": a.cache_write,
                                "ephemeral_1h_input_tokens": 0},
             "output_tokens": output}
        return dict(u, **a.usage)

    def anthropic_message(self, a):
        content = []
        if a.redacted is not None:
            content.append({"type": "redacted_thinking", "data": redacted_data(a.redacted)})
        if a.reasoning is not None:
            content.append({"type": "thinking", "thinking": a.reasoning,
                            "signature": signature(a.reasoning)})
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
        if a.redacted is not None:
            ev("content_block_start", {"index": index, "content_block": {
                "type": "redacted_thinking", "data": redacted_data(a.redacted)}})
            ev("content_block_stop", {"index": index})
            index += 1
        if a.reasoning is not None:
            if not block(index, {"type": "thinking", "thinking": "", "signature": ""},
                         "thinking_delta", words(a.reasoning), "thinking",
                         {"type": "signature_delta", "signature": signature(a.reasoning)}):
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
