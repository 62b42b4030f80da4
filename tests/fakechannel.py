#!/usr/bin/env python3
"""fakechannel: the Telegram Bot API and the WhatsApp Cloud API on loopback, speaking
their documented formats (../shared/REFERENCE.md §1, §3), for claw-channel's tests.

usage: fakechannel.py --port-file FILE --log FILE [--script FILE] [--token T]
                      [--wa-token T] [--phone-id ID]
       fakechannel.py sign SECRET < BODY      (prints sha256=HEX, as Meta signs)

Binds 127.0.0.1 on a free port, writes it to FILE (atomically), serves until killed or
for an hour.  Every request is logged as one JSON line {"method","path","body","ts"} (body
parsed from JSON, a form or the query string; the token never appears in the log path;
ts the Unix time it came, in seconds), and so is each update queued by the control.

Telegram, on /bot<TOKEN>/<method> (methods case-insensitive; JSON, form or query):
  getMe, getUpdates (offset rule: updates below offset are confirmed and forgotten;
  held up to `timeout` s until one arrives; 409 while a webhook is set), sendMessage
  (400 when text is empty or over 4096 characters), editMessageText, sendChatAction,
  getFile, setWebhook, deleteWebhook, sendVoice (multipart/form-data only, parsed
  strictly: chat_id and an OGG file in voice; the log has the file as
  {"filename","content_type","size","data": base64}); /file/bot<TOKEN>/<path> serves files.  A wrong
  token gets {"ok":false,"error_code":401,"description":"Unauthorized"}.
WhatsApp: POST /<version>/<phone-id>/messages (text, or audio with an uploaded media
  id), POST /<version>/<phone-id>/media (multipart: messaging_product=whatsapp, file,
  type; answers {"id"}), GET /<version>/<phone-id>,
  GET /<version>/<media-id> (then /media/<id>), all with Authorization: Bearer.
Control (tests only):
  POST /_control/telegram/update   an Update (update_id given or the next one) queued
  POST /_control/telegram/file?mime=M   raw bytes: answers {"file_id","file_path"}
  POST /_control/whatsapp/media?mime=M  raw bytes: answers {"id"}
Script (NDJSON, one line per call of the method it names, rewritten without it):
  {"method":"sendMessage","status":429,"retry_after":1}   the error envelope instead
  {"method":"messages","status":400,"code":131047}          a GraphAPIError instead
  {"method":"sendMessage","delay_ms":N}                     answer after N ms
"""
import argparse
import base64
import re
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LIFETIME = 3600

args = None
lock = threading.Condition()
updates = []          # queued Update objects, ascending update_id
next_update = [100000001]
next_msg = [1]
files = {}            # file_id -> (path, mime, bytes)
wa_media = {}         # media id -> (mime, bytes)
webhook = [""]
log_lock = threading.Lock()
script_lock = threading.Lock()

TG_ERRORS = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden: bot was blocked by the user",
    404: "Not Found", 409: "Conflict: terminated by other long poll or webhook",
    429: "Too Many Requests: retry after {ra}", 500: "Internal Server Error",
    502: "Bad Gateway",
}


def bot_id():
    # A bot's id is the token's part before the colon.
    return int(args.token.split(":")[0])


def compact(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def log(method, path, body):
    with log_lock, open(args.log, "a", encoding="utf-8") as f:
        f.write(compact({"method": method, "path": path, "body": body, "ts": time.time()}) + "\n")


def pop_script(method):
    """The first script line naming method, the file rewritten without it."""
    if not args.script:
        return {}
    with script_lock:
        try:
            with open(args.script, encoding="utf-8") as f:
                lines = f.read().splitlines(keepends=True)
        except FileNotFoundError:
            return {}
        for i, line in enumerate(lines):
            try:
                d = json.loads(line)
            except ValueError:
                continue
            if isinstance(d, dict) and d.get("method", "").lower() == method.lower():
                del lines[i]
                tmp = args.script + ".tmp"
                with open(tmp, "w", encoding="utf-8") as f:
                    f.writelines(lines)
                os.replace(tmp, args.script)
                return d
    return {}


def multipart(raw, ctype):
    """RFC 7578 strictly: a boundary parameter, CRLF everywhere, every part with a
    Content-Disposition form-data name, the closing delimiter last.  ValueError else."""
    m = re.fullmatch(r'multipart/form-data; *boundary=("?)([0-9A-Za-z\'()+_,./:=?-]{1,70})\1',
                     ctype.strip())
    if not m:
        raise ValueError("multipart: no boundary")
    delim = b"--" + m.group(2).encode()
    if not raw.startswith(delim + b"\r\n") or not raw.endswith(delim + b"--\r\n"):
        raise ValueError("multipart: not framed by the boundary")
    fields = {}
    inner = raw[len(delim) + 2:-(len(delim) + 4)]
    if not inner.endswith(b"\r\n"):
        raise ValueError("multipart: the last part not ended by CRLF")
    for part in inner[:-2].split(b"\r\n" + delim + b"\r\n"):
        head, sep, data = part.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("multipart: a part without headers")
        hdrs = {}
        for line in head.decode().split("\r\n"):
            k, sep, v = line.partition(":")
            if not sep:
                raise ValueError("multipart: a bad header line")
            hdrs[k.strip().lower()] = v.strip()
        cd = re.fullmatch(r'form-data; name="([^"]+)"(?:; filename="([^"]*)")?',
                          hdrs.get("content-disposition", ""))
        if not cd or cd.group(1) in fields:
            raise ValueError("multipart: a bad or repeated Content-Disposition")
        if cd.group(2) is not None:
            fields[cd.group(1)] = {"filename": cd.group(2),
                                   "content_type": hdrs.get("content-type", "text/plain"),
                                   "size": len(data), "data": base64.b64encode(data).decode()}
        else:
            fields[cd.group(1)] = data.decode()
    return fields


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def answer(self, status, obj=None, raw=None, ctype="application/json"):
        data = raw if raw is not None else compact(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        if status == 429 and obj and isinstance(obj.get("parameters"), dict):
            self.send_header("Retry-After", str(obj["parameters"].get("retry_after", 1)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def params(self, raw, query):
        p = {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if raw and ctype == "application/json":
            p.update(json.loads(raw))
        elif ctype == "multipart/form-data":
            p.update(multipart(raw, self.headers.get("Content-Type")))
        elif raw and ctype == "application/x-www-form-urlencoded":
            p.update({k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()})
        return p

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def route(self, method):
        u = urllib.parse.urlsplit(self.path)
        raw = self.read_body() if method == "POST" else b""
        parts = u.path.split("/")
        try:
            if u.path.startswith("/_control/"):
                return self.control(u, raw)
            if len(parts) >= 3 and parts[1].startswith("bot"):
                return self.telegram(parts[1][3:], "/".join(parts[2:]), raw, u.query)
            if len(parts) >= 3 and parts[1] == "file" and parts[2].startswith("bot"):
                return self.tg_file(parts[2][3:], "/".join(parts[3:]))
            return self.whatsapp(method, parts, raw)
        except (ValueError, KeyError) as e:
            self.answer(400, {"ok": False, "error_code": 400, "description": f"Bad Request: {e}"})

    # --- control ---
    def control(self, u, raw):
        q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
        if u.path == "/_control/telegram/update":
            upd = json.loads(raw)
            with lock:
                if "update_id" not in upd:
                    upd = {"update_id": next_update[0], **upd}
                next_update[0] = max(next_update[0], upd["update_id"] + 1)
                updates.append(upd)
                log("POST", "/_control/telegram/update", upd)
                updates.sort(key=lambda x: x["update_id"])
                lock.notify_all()
            return self.answer(200, {"update_id": upd["update_id"]})
        if u.path == "/_control/telegram/file":
            fid = f"file{len(files)}"
            path = f"photos/file_{len(files)}.jpg"
            files[fid] = (path, q.get("mime", "image/jpeg"), raw)
            return self.answer(200, {"file_id": fid, "file_path": path, "file_size": len(raw)})
        if u.path == "/_control/whatsapp/media":
            mid = str(2621233374848975 + len(wa_media))
            wa_media[mid] = (q.get("mime", "image/jpeg"), raw)
            return self.answer(200, {"id": mid})
        return self.answer(404, {"error": "no such control"})

    # --- Telegram ---
    def tg_error(self, status, ra=None):
        d = {"ok": False, "error_code": status,
             "description": TG_ERRORS.get(status, "Error").format(ra=ra)}
        if status == 429:
            d["parameters"] = {"retry_after": ra or 1}
        self.answer(status, d)

    def telegram(self, token, method, raw, query):
        p = self.params(raw, query)
        log(self.command, "/bot/" + method, p)
        if token != args.token:
            return self.tg_error(401)
        m = method.lower()
        s = pop_script(method)
        if s.get("delay_ms"):
            time.sleep(s["delay_ms"] / 1000)
        if s.get("status"):
            return self.tg_error(s["status"], s.get("retry_after"))
        ok = lambda r: self.answer(200, {"ok": True, "result": r})
        if m == "getme":
            return ok({"id": bot_id(), "is_bot": True, "first_name": "Claw", "username": "claw_bot",
                       "can_join_groups": True, "can_read_all_group_messages": False,
                       "supports_inline_queries": False})
        if m == "getupdates":
            if webhook[0]:
                return self.tg_error(409)
            offset = int(p.get("offset", 0))
            limit = int(p.get("limit", 100))
            deadline = time.time() + int(p.get("timeout", 0))
            with lock:
                if offset > 0:
                    updates[:] = [x for x in updates if x["update_id"] >= offset]
                while not updates and time.time() < deadline:
                    lock.wait(deadline - time.time())
                res = updates[:limit]
            return ok(res)
        if m in ("sendmessage", "editmessagetext"):
            text = p.get("text", "")
            if "chat_id" not in p:
                return self.answer(400, {"ok": False, "error_code": 400,
                                         "description": "Bad Request: chat_id is empty"})
            if not text:
                return self.answer(400, {"ok": False, "error_code": 400,
                                         "description": "Bad Request: message text is empty"})
            if len(text) > 4096:
                return self.answer(400, {"ok": False, "error_code": 400,
                                         "description": "Bad Request: message is too long"})
            mid = int(p["message_id"]) if m == "editmessagetext" else next_msg[0]
            if m == "sendmessage":
                next_msg[0] += 1
            chat = {"id": int(p["chat_id"]), "type": "private"}
            return ok({"message_id": mid, "from": {"id": bot_id(), "is_bot": True,
                       "first_name": "Claw", "username": "claw_bot"}, "chat": chat,
                       "date": int(time.time()), "text": text})
        if m == "sendchataction":
            return ok(True)
        if m == "sendvoice":
            v = p.get("voice")
            if "chat_id" not in p:
                return self.answer(400, {"ok": False, "error_code": 400,
                                         "description": "Bad Request: chat_id is empty"})
            if not isinstance(v, dict) or not base64.b64decode(v["data"]).startswith(b"OggS"):
                return self.answer(400, {"ok": False, "error_code": 400,
                                         "description": "Bad Request: wrong file identifier/HTTP URL specified"})
            mid = next_msg[0]
            next_msg[0] += 1
            return ok({"message_id": mid, "chat": {"id": int(p["chat_id"]), "type": "private"},
                       "date": int(time.time()), "voice": {"file_id": "sent%d" % mid,
                       "file_unique_id": "s%d" % mid, "duration": 1, "mime_type": "audio/ogg",
                       "file_size": v["size"]}})
        if m == "getfile":
            f = files.get(p.get("file_id"))
            if not f:
                return self.answer(400, {"ok": False, "error_code": 400,
                                         "description": "Bad Request: invalid file_id"})
            return ok({"file_id": p["file_id"], "file_unique_id": "u" + p["file_id"],
                       "file_size": len(f[2]), "file_path": f[0]})
        if m == "setwebhook":
            webhook[0] = p.get("url", "")
            return ok(True)
        if m == "deletewebhook":
            webhook[0] = ""
            return ok(True)
        return self.answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    def tg_file(self, token, path):
        log("GET", "/file/" + path, None)
        if token != args.token:
            return self.tg_error(401)
        for f in files.values():
            if f[0] == path:
                return self.answer(200, raw=f[2], ctype="application/octet-stream")
        return self.tg_error(404)

    # --- WhatsApp ---
    def wa_error(self, status, code, message, transient=False):
        self.answer(status, {"error": {"message": message, "type": "OAuthException", "code": code,
                                       "error_subcode": 2494010, "fbtrace_id": "AXsgFake",
                                       "is_transient": transient}})

    def whatsapp(self, method, parts, raw):
        ctype = self.headers.get("Content-Type") or ""
        if raw and ctype.startswith("multipart/"):
            body = multipart(raw, ctype)
        else:
            body = json.loads(raw) if raw else None
        log(method, "/".join(parts), body)
        if self.headers.get("Authorization") != "Bearer " + args.wa_token:
            return self.wa_error(401, 190, "Invalid OAuth access token.")
        if len(parts) == 3 and parts[1] == "media" and parts[2] in wa_media:
            return self.answer(200, raw=wa_media[parts[2]][1], ctype=wa_media[parts[2]][0])
        if len(parts) == 4 and parts[2] == args.phone_id and parts[3] == "media":
            f = (body or {}).get("file")
            if (not isinstance(body, dict) or body.get("messaging_product") != "whatsapp"
                    or not isinstance(f, dict) or not body.get("type")):
                return self.wa_error(400, 100, "Invalid parameter")
            mid = str(2621233374848975 + len(wa_media))
            wa_media[mid] = (body["type"], base64.b64decode(f["data"]))
            return self.answer(200, {"id": mid})
        if len(parts) == 4 and parts[2] == args.phone_id and parts[3] == "messages":
            if body.get("status") == "read":
                return self.answer(200, {"success": True})
            s = pop_script("messages")
            if s.get("status"):
                code = s.get("code", 131000)
                msg = {131047: "Re-engagement message", 130429: "Rate limit hit"}.get(
                    code, "Something went wrong")
                return self.wa_error(s["status"], code, msg, s["status"] >= 500)
            if body.get("messaging_product") != "whatsapp" or not body.get("to"):
                return self.wa_error(400, 100, "Invalid parameter")
            text = body.get("text", {}).get("body", "")
            if body.get("type") == "audio":
                text = "audio" if body.get("audio", {}).get("id") in wa_media else ""
            if not text or len(text) > 4096:
                return self.wa_error(400, 100, "Invalid parameter")
            mid = "wamid.FAKE%06d" % next_msg[0]
            next_msg[0] += 1
            return self.answer(200, {"messaging_product": "whatsapp",
                                     "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                                     "messages": [{"id": mid}]})
        if len(parts) == 3 and method == "GET" and parts[2] == args.phone_id:
            return self.answer(200, {"verified_name": "Claw", "display_phone_number": "15550001111",
                                     "id": args.phone_id, "quality_rating": "GREEN"})
        if len(parts) == 3 and method == "GET" and parts[2] in wa_media:
            mime, data = wa_media[parts[2]]
            port = self.server.server_address[1]
            return self.answer(200, {"messaging_product": "whatsapp",
                                     "url": f"http://127.0.0.1:{port}/media/{parts[2]}",
                                     "mime_type": mime,
                                     "sha256": hashlib.sha256(data).hexdigest(),
                                     "file_size": str(len(data)), "id": parts[2]})
        return self.wa_error(400, 100, "Unsupported get request.")


def main():
    global args
    if len(sys.argv) == 3 and sys.argv[1] == "sign":
        body = sys.stdin.buffer.read()
        print("sha256=" + hmac.new(sys.argv[2].encode(), body, hashlib.sha256).hexdigest())
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--script")
    ap.add_argument("--token", default="123456:TEST-token_abc")
    ap.add_argument("--wa-token", default="EAAG-fake-token")
    ap.add_argument("--phone-id", default="106540352242922")
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(tmp, args.port_file)
    threading.Timer(LIFETIME, os._exit, (0,)).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
