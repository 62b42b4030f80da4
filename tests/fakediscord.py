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

Control: POST /_control/fail {"path":"/channels/", "status":429, "retry_after":0.4,
"global":false, "times":1}; GET /_control/sign?... is not needed: `fakediscord.py sign`
(see below) signs an interaction with a key made by `fakediscord.py keygen DIR`.
Every request is logged as one JSON line {method, path, auth, body} in --log.

  fakediscord.py keygen DIR        DIR/pk (hex public key) and DIR/sk (raw secret key)
  fakediscord.py sign DIR TS FILE  the hex Ed25519 signature of TS + FILE's bytes
"""
import argparse
import ctypes
import ctypes.util
import http.server
import json
import os
import sys
import threading
import time

lock = threading.Lock()
fails = []
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


next_id = [1300000000000000000]


class Rest(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, obj, extra=None):
        body = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(status)
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        bucket = "abcd1234" if "/channels/" in self.path else "hook5678"
        self.send_header("X-RateLimit-Limit", "5")
        self.send_header("X-RateLimit-Remaining", "0" if status == 429 else "4")
        self.send_header("X-RateLimit-Reset", "%.3f" % (time.time() + 1))
        self.send_header("X-RateLimit-Reset-After", "1.000")
        self.send_header("X-RateLimit-Bucket", bucket)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self, method):
        n = int(self.headers.get("Content-Length", 0) or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("latin-1")
        path = self.path
        if path.startswith("/_control/fail"):
            with lock:
                fails.append(body)
            return self.reply(200, {})
        auth = self.headers.get("Authorization")
        log({"method": method, "path": path, "auth": auth, "body": body})
        if not path.startswith("/api/v10/"):
            return self.reply(404, {"message": "404: Not Found", "code": 0})
        p = path[len("/api/v10"):]
        with lock:
            for f in fails:
                if p.startswith(f.get("path", "")) and f.get("times", 1) > 0:
                    f["times"] = f.get("times", 1) - 1
                    st = f.get("status", 429)
                    if st == 429:
                        ra = f.get("retry_after", 0.5)
                        g = bool(f.get("global", False))
                        extra = {"Retry-After": str(int(ra + 0.999)),
                                 "X-RateLimit-Scope": "global" if g else "user"}
                        if g:
                            extra["X-RateLimit-Global"] = "true"
                        return self.reply(429, {"message": "You are being rate limited.",
                                                "retry_after": ra, "global": g}, extra)
                    return self.reply(st, {"message": f.get("message", "error"),
                                           "code": f.get("code", 0)})
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
            content = (body or {}).get("content", "") if isinstance(body, dict) else ""
            if len(content) > 2000:
                return self.reply(400, {"code": 50035, "message": "Invalid Form Body",
                                        "errors": {"content": {"_errors": [{
                                            "code": "BASE_TYPE_MAX_LENGTH",
                                            "message": "Must be 2000 or fewer in length."}]}}})
            with lock:
                next_id[0] += 1
                mid = str(next_id[0])
            return self.reply(200, {"id": mid, "type": 0, "content": content,
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
    args = p.parse_args()
    open(args.log, "a").close()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Rest)
    srv.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
