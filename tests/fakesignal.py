#!/usr/bin/env python3
"""fakesignal: a loopback stand-in for `signal-cli daemon --socket PATH --tcp HOST:PORT`.

JSON-RPC 2.0, one object per line, as signal-cli speaks it (REFERENCE.md section 4):
requests `version`, `send` (recipient list or groupId, message, quoteTimestamp/quoteAuthor,
attachments), `sendTyping`; answers {"jsonrpc":"2.0","result":...,"id":N}; errors
{"jsonrpc":"2.0","error":{"code":C,"message":M,"data":null},"id":N}; and received messages
pushed to every open connection as notifications without id:
{"jsonrpc":"2.0","method":"receive","params":{"envelope":{...},"account":"+..."}}.
Like the real daemon with the Signal server behind it, messages that arrive while no client is
connected wait and are pushed to the next connection.

Control (HTTP on 127.0.0.1, port in --control-port-file):
  POST /_control/receive   body: an envelope (or {"raw": "line"}) to push
  POST /_control/fail      body: {"method":"send","code":-1,"message":"...","times":1}
  POST /_control/down      the daemon goes away: listeners closed, connections dropped
  POST /_control/up        it comes back on the same socket path and port
--keep DIR: each attachment sent (a file path the daemon reads) copied into DIR/N; a path
that is not an existing absolute file is refused as signal-cli refuses it.
Every request received is logged as one JSON line {"method":..,"params":..} in --log.
"""
import argparse
import http.server
import json
import os
import socket
import socketserver
import threading
import time

lock = threading.Lock()
clients = []
pending = []
fails = []
servers = []
args = None


def log(obj):
    with lock:
        with open(args.log, "a") as f:
            f.write(json.dumps(obj) + "\n")


def push(line):
    with lock:
        targets = list(clients)
        if not targets:
            pending.append(line)
            return
    for c in targets:
        try:
            c.sendall(line.encode() + b"\n")
        except OSError:
            pass


def notification(env):
    return json.dumps({"jsonrpc": "2.0", "method": "receive",
                       "params": {"envelope": env, "account": args.account}})


def answer(req):
    rid = req.get("id")
    method = req.get("method")
    params = req.get("params") or {}
    with lock:
        for f in fails:
            if f.get("method") == method and f.get("times", 1) > 0:
                f["times"] = f.get("times", 1) - 1
                return {"jsonrpc": "2.0", "id": rid, "error": {
                    "code": f.get("code", -1), "message": f.get("message", "failed"),
                    "data": None}}
    if method == "version":
        return {"jsonrpc": "2.0", "id": rid, "result": {"version": "0.13.19"}}
    if method == "send":
        for path in params.get("attachments") or []:
            # signal-cli reads each attachment (a file path) as it sends
            if not isinstance(path, str) or not os.path.isabs(path) or not os.path.isfile(path):
                return {"jsonrpc": "2.0", "id": rid, "error": {
                    "code": -1, "message": "Invalid attachment: %s" % path, "data": None}}
            if args.keep:
                os.makedirs(args.keep, exist_ok=True)
                with open(path, "rb") as f, \
                        open(os.path.join(args.keep, str(len(os.listdir(args.keep)))), "wb") as g:
                    g.write(f.read())
        if not params.get("message") and not params.get("attachments"):
            return {"jsonrpc": "2.0", "id": rid, "error": {
                "code": -32602, "message": "No message given", "data": None}}
        if not params.get("recipient") and not params.get("groupId"):
            return {"jsonrpc": "2.0", "id": rid, "error": {
                "code": -32602, "message": "No recipients given", "data": None}}
        ts = int(time.time() * 1000)
        return {"jsonrpc": "2.0", "id": rid, "result": {"timestamp": ts, "results": [
            {"recipientAddress": {"number": r}, "type": "SUCCESS"}
            for r in params.get("recipient", [])]}}
    if method == "sendTyping":
        return {"jsonrpc": "2.0", "id": rid, "result": {}}
    return {"jsonrpc": "2.0", "id": rid, "error": {
        "code": -32601, "message": "Method not implemented", "data": None}}


class Rpc(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        with lock:
            clients.append(s)
            waiting = list(pending)
            pending.clear()
        try:
            for line in waiting:
                s.sendall(line.encode() + b"\n")
            f = s.makefile("rb")
            for raw in f:
                raw = raw.strip()
                if not raw:
                    continue
                try:
                    req = json.loads(raw)
                except ValueError:
                    s.sendall(json.dumps({"jsonrpc": "2.0", "id": None, "error": {
                        "code": -32700, "message": "Parse error", "data": None}})
                        .encode() + b"\n")
                    continue
                log({"method": req.get("method"), "params": req.get("params")})
                if req.get("id") is None:
                    continue
                s.sendall(json.dumps(answer(req)).encode() + b"\n")
        except OSError:
            pass
        finally:
            with lock:
                if s in clients:
                    clients.remove(s)


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


tcp_port = [0]


def up():
    if args.socket:
        try:
            os.unlink(args.socket)
        except FileNotFoundError:
            pass
        srv = UnixServer(args.socket, Rpc)
        servers.append(srv)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    if args.tcp_port_file:
        srv = TcpServer(("127.0.0.1", tcp_port[0]), Rpc)
        tcp_port[0] = srv.server_address[1]
        servers.append(srv)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        with open(args.tcp_port_file + ".tmp", "w") as f:
            f.write(str(tcp_port[0]))
        os.rename(args.tcp_port_file + ".tmp", args.tcp_port_file)


def down():
    for srv in list(servers):
        srv.shutdown()
        srv.server_close()
    servers.clear()
    with lock:
        for c in clients:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        clients.clear()
    if args.socket:
        try:
            os.unlink(args.socket)
        except FileNotFoundError:
            pass


class Control(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(n) or b"{}")
        if self.path == "/_control/receive":
            push(body["raw"] if "raw" in body else notification(body))
        elif self.path == "/_control/fail":
            with lock:
                fails.append(body)
        elif self.path == "/_control/down":
            down()
        elif self.path == "/_control/up":
            up()
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--socket")
    p.add_argument("--tcp-port-file")
    p.add_argument("--control-port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--account", default="+15550000000")
    p.add_argument("--keep", help="a copy of each sent attachment into DIR/0, DIR/1, ...")
    args = p.parse_args()
    open(args.log, "a").close()
    up()
    ctl = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Control)
    with open(args.control_port_file + ".tmp", "w") as f:
        f.write(str(ctl.server_address[1]))
    os.rename(args.control_port_file + ".tmp", args.control_port_file)
    ctl.serve_forever()


if __name__ == "__main__":
    main()
