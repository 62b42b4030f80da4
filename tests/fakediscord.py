#!/usr/bin/env python3
"""fakediscord: a loopback stand-in for Discord's REST API (v10) and its Gateway.

REST under /api/v10 (REFERENCE.md section 2), byte for byte in shape:
  GET  /users/@me                                   needs Authorization: Bot TOKEN
  POST /channels/{id}/messages                      needs the token; content <= 2000 chars
  POST /channels/{id}/typing                        204
  PATCH /webhooks/{app}/{token}/messages/@original  the interaction's deferred answer
  POST /webhooks/{app}/{token}                      a follow-up (no bot token)
A bad token is 401 {"code":40001,"message":"401: Unauthorized"}; content over 2000 is 400
{"code":50035,...}.  Every answer carries X-RateLimit-Limit/Remaining/Reset/Reset-After/Bucket;
a scripted 429 adds X-RateLimit-Global and X-RateLimit-Scope and the body
{"message":"You are being rate limited.","retry_after":F,"global":G}.

Control: POST /_control/file (raw bytes, Content-Type): an attachment on the "CDN", served
without a token at the {"url"} answered (GET /api/v10/cdn/ID/NAME); POST /_control/fail {"path":"/channels/", "status":429, "retry_after":0.4,
"global":false, "times":1}; GET /_control/sign?... is not needed: `fakediscord.py sign`
(see below) signs an interaction with a key made by `fakediscord.py keygen DIR`.
Every request is logged as one JSON line {method, path, auth, ua, body} in --log (ua: its
User-Agent).

Gateway (--gateway-port-file): a WebSocket server written here on RFC 6455 (the handshake's
Sec-WebSocket-Accept, masked client frames, text frames, close with a code).  It sends HELLO
(op 10, heartbeat_interval from --heartbeat ms), answers heartbeats (op 1) with ACK (op 11),
IDENTIFY (op 2) with READY (session_id, resume_gateway_url) or close 4004 for a bad token,
RESUME (op 6) by replaying the events after seq and RESUMED, or op 9 for an unknown session.
Control: POST /_control/gateway/message {d}: a MESSAGE_CREATE dispatch (kept for replay
when no client is connected); /_control/gateway/reconnect: op 7; /_control/gateway/invalid:
op 9 d:false; /_control/gateway/drop: the TCP connection cut.  --gateway-tls CERT,KEY
serves the Gateway over TLS (wss://), a handshake the client refuses logged as
{"gateway":"tls-refused"}.  Gateway payloads received are
logged as {"gateway": op, "d": d} (the token replaced by "***" when it is right).

  fakediscord.py keygen DIR        DIR/pk (hex public key) and DIR/sk (raw secret key)
  fakediscord.py sign DIR TS FILE  the hex Ed25519 signature of TS + FILE's bytes
"""
import argparse
import base64
import ctypes
import hashlib
import socket
import socketserver
import ssl
import struct
import ctypes.util
import http.server
import json
import os
import sys
import re
import threading
import time

from fakechannel import multipart as form_data

lock = threading.Lock()
fails = []
cdn = {}                              # attachment id -> (content type, bytes)
# Per-route buckets as Discord keeps them: (bucket, top-level resource) -> [remaining, reset]
buckets = {}
rl = {"limit": 50, "window": 1.0}
args = None
sodium = None


def load_sodium():
    global sodium
    sodium = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
    sodium.sodium_init()


def keygen(d):
    pk = ctypes.create_string_buffer(32)
    sk = ctypes.create_string_buffer(64)
    sodium.crypto_sign_keypair(pk, sk)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "pk"), "w") as f:
        f.write(pk.raw.hex())
    with open(os.path.join(d, "sk"), "wb") as f:
        f.write(sk.raw)


def sign(d, ts, path):
    with open(os.path.join(d, "sk"), "rb") as f:
        sk = f.read()
    with open(path, "rb") as f:
        msg = ts.encode() + f.read()
    sig = ctypes.create_string_buffer(64)
    sodium.crypto_sign_detached(sig, None, msg, ctypes.c_ulonglong(len(msg)), sk)
    print(sig.raw.hex())


def log(obj):
    with lock:
        with open(args.log, "a") as f:
            f.write(json.dumps(obj) + "\n")


def multipart(ctype, raw):
    """A create-message upload as Discord takes it: payload_json and files[n] parts only,
    each attachment in payload_json naming a files[n] by its id.  ValueError else."""
    fields = form_data(raw, ctype)
    if "payload_json" not in fields:
        raise ValueError("multipart: no payload_json")
    pj = json.loads(fields.pop("payload_json"))
    for k in fields:
        if not re.fullmatch(r"files\[[0-9]+\]", k) or not isinstance(fields[k], dict):
            raise ValueError("multipart: a part that is not files[n]: " + k)
    for a in pj.get("attachments", []):
        if "files[%s]" % a.get("id") not in fields:
            raise ValueError("multipart: attachment %s has no files[n]" % a.get("id"))
    return {"payload_json": pj, "files": fields}


def voice_ok(pj, files):
    """A voice message (flags IS_VOICE_MESSAGE 8192): one audio/ogg attachment with its
    duration_secs and a base64 waveform of at most 256 bytes, nothing beside it."""
    a = pj.get("attachments", [])
    if pj.get("content") or pj.get("embeds") or len(a) != 1 or len(files) != 1:
        return False
    f = files.get("files[%s]" % a[0].get("id"), {})
    try:
        wave = base64.b64decode(a[0].get("waveform", ""), validate=True)
    except ValueError:
        return False
    return (f.get("content_type") == "audio/ogg" and 0 < len(wave) <= 256
            and isinstance(a[0].get("duration_secs"), (int, float))
            and a[0]["duration_secs"] > 0)


next_id = [1300000000000000000]


class Rest(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def bucket(self):
        """The bucket of this request's route and its top-level resource (a channel, a
        webhook id and token): routes share counts only within one resource."""
        p = self.path.split("?")[0][len("/api/v10"):]
        parts = p.split("/")
        if p.startswith("/webhooks/"):
            return "hook5678", "/".join(parts[:4])
        if p.startswith("/channels/"):
            name = "typing00" if p.endswith("/typing") else "abcd1234"
            return name, "/".join(parts[:3])
        return "user0000", ""

    def take(self):
        """Count this request against its bucket: False when it is already empty.
        Windows are on the monotonic clock, as the client's waits are: a step of the
        wall clock must not lengthen one."""
        now = time.monotonic()
        with lock:
            b = buckets.setdefault(self.bucket(), [rl["limit"], now + rl["window"]])
            if now >= b[1]:
                b[0], b[1] = rl["limit"], now + rl["window"]
            if b[0] == 0:
                return False
            b[0] -= 1
            return True

    def reply(self, status, obj, extra=None):
        body = b"" if obj is None else json.dumps(obj).encode()
        now = time.monotonic()
        with lock:
            b = buckets.get(self.bucket(), [rl["limit"], now + rl["window"]])
            remaining, reset = b[0], b[1]
        self.send_response(status)
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if not (extra or {}).get("X-RateLimit-Global"):
            self.send_header("X-RateLimit-Limit", str(rl["limit"]))
            self.send_header("X-RateLimit-Remaining", str(remaining))
            self.send_header("X-RateLimit-Reset", "%.3f" % (time.time() + reset - now))
            self.send_header("X-RateLimit-Reset-After", "%.3f" % max(0.0, reset - now))
            self.send_header("X-RateLimit-Bucket", self.bucket()[0])
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def limited(self, ra, g, scope):
        extra = {"Retry-After": str(int(ra + 0.999)), "X-RateLimit-Scope": scope}
        if g:
            extra["X-RateLimit-Global"] = "true"
        return self.reply(429, {"message": "You are being rate limited.",
                                "retry_after": ra, "global": g}, extra)

    def handle_any(self, method):
        n = int(self.headers.get("Content-Length", 0) or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("latin-1")
        path = self.path
        proxied = path.startswith("http://")   # absolute-form: sent through a proxy (libcurl)
        if proxied:
            path = self.path = "/" + path.split("/", 3)[3]
        if path.startswith("/_control/fail"):
            with lock:
                fails.append(body)
            return self.reply(200, {})
        if path.startswith("/_control/file"):      # an attachment a user sent, on the CDN
            with lock:
                fid = str(len(cdn) + 1)
                cdn[fid] = (self.headers.get("Content-Type", "application/octet-stream"), raw)
            return self.reply(200, {"url": "http://127.0.0.1:%d/api/v10/cdn/%s/voice-message.ogg"
                                    % (self.server.server_address[1], fid)})
        if method == "GET" and path.startswith("/api/v10/cdn/"):
            log({"method": method, "path": path, "auth": self.headers.get("Authorization")})
            ct, data = cdn.get(path.split("/")[4], (None, None))
            if data is None:
                return self.reply(404, {"message": "404: Not Found", "code": 0})
            self.send_response(200)
            self.send_header("Content-Type", ct)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if path.startswith("/_control/ratelimit"):
            with lock:
                rl.update(body or {})
                buckets.clear()
            return self.reply(200, {})
        if path.startswith("/_control/gateway/"):
            gw_control(path.rsplit("/", 1)[1], body)
            return self.reply(200, {})
        auth = self.headers.get("Authorization")
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            try:
                body = multipart(ctype, raw)
            except ValueError as e:
                log({"method": method, "path": path, "error": str(e)})
                return self.reply(400, {"code": 50035, "message": "Invalid Form Body"})
        entry = {"method": method, "path": path, "auth": auth,
                 "ua": self.headers.get("User-Agent"), "body": body, "t": time.time()}
        if proxied:
            entry["proxied"] = True
        if not path.startswith("/api/v10/"):
            log(entry)
            return self.reply(404, {"message": "404: Not Found", "code": 0})
        p = path[len("/api/v10"):]
        if not self.take():           # a client that did not wait for the reset
            ra = round(max(0.0, buckets[self.bucket()][1] - time.monotonic()), 3)
            log(dict(entry, limited=True))
            return self.limited(ra, False, "user")
        log(entry)
        fail = None
        with lock:
            for f in fails:
                if p.startswith(f.get("path", "")) and f.get("times", 1) > 0:
                    f["times"] = f.get("times", 1) - 1
                    fail = f
                    break
        if fail and fail.get("status", 429) == 429:
            g = bool(fail.get("global", False))
            return self.limited(fail.get("retry_after", 0.5), g,
                                fail.get("scope", "global" if g else "user"))
        if fail:
            return self.reply(fail["status"], {"message": fail.get("message", "error"),
                                               "code": fail.get("code", 0)})
        hook = p.startswith("/webhooks/")
        if not hook and auth != "Bot " + args.token:
            return self.reply(401, {"message": "401: Unauthorized", "code": 40001})
        if method == "GET" and p == "/users/@me":
            return self.reply(200, {"id": args.bot_id, "username": "claw", "bot": True,
                                    "discriminator": "0", "global_name": None})
        if method == "POST" and p.endswith("/typing"):
            return self.reply(204, None)
        if (method == "POST" and p.startswith("/channels/") and p.endswith("/messages")) \
                or hook:
            pj = body.get("payload_json", {}) if isinstance(body, dict) else {}
            files = body.get("files", {}) if pj else {}
            if pj:
                body = pj
            content = (body or {}).get("content", "") if isinstance(body, dict) else ""
            if (pj.get("flags", 0) & 8192) and not voice_ok(pj, files):
                return self.reply(400, {"code": 50035, "message": "Invalid Form Body"})
            atts = [{"id": str(next_id[0] + 500 + i), "filename": a.get("filename"),
                     "size": files["files[%s]" % a["id"]]["size"],
                     "content_type": files["files[%s]" % a["id"]]["content_type"],
                     "duration_secs": a.get("duration_secs"), "waveform": a.get("waveform")}
                    for i, a in enumerate(pj.get("attachments", []))]
            if len(content) > 2000:
                return self.reply(400, {"code": 50035, "message": "Invalid Form Body",
                                        "errors": {"content": {"_errors": [{
                                            "code": "BASE_TYPE_MAX_LENGTH",
                                            "message": "Must be 2000 or fewer in length."}]}}})
            with lock:
                next_id[0] += 1
                mid = str(next_id[0])
            return self.reply(200, {"id": mid, "type": 0, "content": content,
                                    "attachments": atts, "flags": pj.get("flags", 0),
                                    "channel_id": p.split("/")[2] if not hook else "0",
                                    "author": {"id": args.bot_id, "username": "claw",
                                               "bot": True}})
        return self.reply(404, {"message": "404: Not Found", "code": 0})

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")


# --- the Gateway ---
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
gw = {"conn": None, "events": [], "seq": 0, "sessions": {}, "n": 0}


def ws_send(s, op, payload):
    n = len(payload)
    head = bytes([0x80 | op])
    if n < 126:
        head += bytes([n])
    elif n < 65536:
        head += bytes([126]) + struct.pack(">H", n)
    else:
        head += bytes([127]) + struct.pack(">Q", n)
    s.sendall(head + payload)


def ws_json(s, obj):
    ws_send(s, 1, json.dumps(obj).encode())


def recv_exact(f, n):
    b = f.read(n)
    if len(b) < n:
        raise EOFError
    return b


def ws_read(f):
    """One whole message (op, payload); client frames must be masked."""
    data, first_op = b"", None
    while True:
        b0, b1 = recv_exact(f, 2)
        op, fin, masked, n = b0 & 15, b0 & 0x80, b1 & 0x80, b1 & 0x7F
        if not masked:
            raise EOFError("unmasked client frame")
        if n == 126:
            n = struct.unpack(">H", recv_exact(f, 2))[0]
        elif n == 127:
            n = struct.unpack(">Q", recv_exact(f, 8))[0]
        key = recv_exact(f, 4)
        p = bytes(c ^ key[i % 4] for i, c in enumerate(recv_exact(f, n)))
        if op >= 8:
            return op, p
        if first_op is None:
            first_op = op
        data += p
        if fin:
            return first_op, data


def dispatch(t, d):
    with lock:
        gw["seq"] += 1
        ev = {"op": 0, "t": t, "s": gw["seq"], "d": d}
        gw["events"].append(ev)
        c = gw["conn"]
    if c:
        try:
            ws_json(c, ev)
        except OSError:
            pass


def gw_control(what, body):
    with lock:
        c = gw["conn"]
    if what == "message":
        return dispatch("MESSAGE_CREATE", body)
    if not c:
        return
    try:
        if what == "reconnect":
            ws_json(c, {"op": 7, "d": None})
        elif what == "invalid":
            ws_json(c, {"op": 9, "d": False})
        elif what == "drop":
            c.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class Gateway(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        if args.gateway_tls:          # wss://: TLS first, as Discord's gateway speaks it
            cert, key = args.gateway_tls.split(",")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            try:
                s = ctx.wrap_socket(s, server_side=True)
            except (ssl.SSLError, OSError) as e:
                log({"gateway": "tls-refused", "why": str(e)})
                return
        f = s.makefile("rb")
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            ch = f.read(1)
            if not ch:
                return
            head += ch
        lines = head.decode("latin-1").split("\r\n")
        hdr = {k.strip().lower(): v.strip() for k, v in
               (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
        key = hdr.get("sec-websocket-key", "")
        if hdr.get("upgrade", "").lower() != "websocket" or not key:
            s.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        log({"gateway": "connect", "path": lines[0].split(" ")[1]})
        acc = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        s.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n" % acc).encode())
        ws_json(s, {"op": 10, "d": {"heartbeat_interval": args.heartbeat}})
        try:
            while True:
                op, p = ws_read(f)
                if op == 8:
                    try:
                        ws_send(s, 8, p[:2])
                    except OSError:
                        pass
                    return
                if op == 9:
                    ws_send(s, 10, p)
                    continue
                if op != 1:
                    continue
                msg = json.loads(p)
                d = msg.get("d")
                if isinstance(d, dict) and d.get("token") == args.token:
                    d = dict(d, token="***")
                log({"gateway": msg.get("op"), "d": d})
                if msg.get("op") == 1:
                    ws_json(s, {"op": 11})
                elif msg.get("op") == 2:
                    if msg["d"].get("token") != args.token:
                        ws_send(s, 8, struct.pack(">H", 4004) + b"Authentication failed.")
                        return
                    with lock:
                        gw["n"] += 1
                        sid = "sess-%d" % gw["n"]
                        gw["sessions"][sid] = gw["seq"]
                        gw["conn"] = s
                        seq = gw["seq"]
                    ws_json(s, {"op": 0, "t": "READY", "s": seq, "d": {
                        "v": 10, "session_id": sid,
                        "resume_gateway_url": ("wss://localhost:%d" if args.gateway_tls
                                               else "ws://127.0.0.1:%d") % gw_port[0],
                        "user": {"id": args.bot_id, "username": "claw", "bot": True},
                        "guilds": []}})
                elif msg.get("op") == 6:
                    sid, seq = msg["d"].get("session_id"), msg["d"].get("seq") or 0
                    if sid not in gw["sessions"] or msg["d"].get("token") != args.token:
                        ws_json(s, {"op": 9, "d": False})
                        continue
                    with lock:
                        missed = [e for e in gw["events"] if e["s"] > seq]
                        gw["conn"] = s
                    for e in missed:
                        ws_json(s, e)
                    with lock:
                        gw["seq"] += 1
                        ws_json(s, {"op": 0, "t": "RESUMED", "s": gw["seq"], "d": {}})
        except (EOFError, OSError, ValueError):
            pass
        finally:
            with lock:
                if gw["conn"] is s:
                    gw["conn"] = None


class GwServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


gw_port = [0]


def main():
    global args
    load_sodium()
    if len(sys.argv) > 1 and sys.argv[1] == "keygen":
        return keygen(sys.argv[2])
    if len(sys.argv) > 1 and sys.argv[1] == "sign":
        return sign(sys.argv[2], sys.argv[3], sys.argv[4])
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--bot-id", default="1100000000000000001")
    p.add_argument("--gateway-port-file")
    p.add_argument("--heartbeat", type=int, default=41250)
    p.add_argument("--gateway-tls", help="CERT,KEY: the Gateway over TLS (wss://)")
    args = p.parse_args()
    open(args.log, "a").close()
    if args.gateway_port_file:
        g = GwServer(("127.0.0.1", 0), Gateway)
        gw_port[0] = g.server_address[1]
        threading.Thread(target=g.serve_forever, daemon=True).start()
        with open(args.gateway_port_file + ".tmp", "w") as f:
            f.write(str(gw_port[0]))
        os.rename(args.gateway_port_file + ".tmp", args.gateway_port_file)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Rest)
    srv.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
