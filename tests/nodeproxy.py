#!/usr/bin/env python3
"""nodeproxy: a man in the middle for claw-node's tests (tests/node.bats), on loopback.

usage: nodeproxy.py --port-file FILE --to PORT MODE [--at N] [--file F]

Listens on a free 127.0.0.1 port (written to FILE), takes one connection, connects
to 127.0.0.1:PORT and relays both ways, except as MODE says.  Offsets count the bytes
of one direction from the start of the connection.  The handshake's sizes (run mode):
client hello 42, server answer 154, client identity 138; then the client's frames, and
the server's 24-byte stream header and frames.

  pass        relay unchanged
  record      relay, and write every client-to-server byte to --file
  replay      send --file's bytes to the server as a client would, print what came back
              (hex) on stdout, and exit (no listening, no port file)
  flip        flip the lowest bit of server-to-client byte --at
  cut         relay server-to-client bytes up to --at, then close both sides
  bigframe    after --at client-to-server bytes, send a frame length of 0xffffffff
              (4 GiB) instead of what the client sends next
  bigreply    after --at server-to-client bytes, send a 4 GiB frame length to the client
"""
import argparse
import os
import socket
import sys
import threading
import time


def pump(src, dst, mode, args, direction, log):
    n = 0
    while True:
        try:
            data = src.recv(65536)
        except OSError:
            data = b""
        if not data:
            break
        if direction == "c2s" and mode == "record":
            log.write(data)
            log.flush()
        if direction == "s2c" and mode == "flip" and n <= args.at < n + len(data):
            i = args.at - n
            data = data[:i] + bytes([data[i] ^ 1]) + data[i + 1:]
        if direction == "s2c" and mode == "cut" and n + len(data) >= args.at:
            try:
                dst.sendall(data[:args.at - n])
            except OSError:
                pass
            break
        if ((direction == "c2s" and mode == "bigframe") or
                (direction == "s2c" and mode == "bigreply")) and n + len(data) > args.at:
            try:
                dst.sendall(data[:args.at - n] + b"\xff\xff\xff\xff")
            except OSError:
                pass
            time.sleep(3)       # hold the connection: the refusal must not need its end
            break
        try:
            dst.sendall(data)
        except OSError:
            break
        n += len(data)
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file")
    ap.add_argument("--to", type=int, required=True)
    ap.add_argument("--at", type=int, default=0)
    ap.add_argument("--file")
    ap.add_argument("mode")
    args = ap.parse_args()

    if args.mode == "replay":
        s = socket.create_connection(("127.0.0.1", args.to))
        with open(args.file, "rb") as f:
            s.sendall(f.read())
        s.settimeout(2)
        got = b""
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                got += d
        except OSError:
            pass
        print(got.hex())
        return

    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(tmp, args.port_file)
    ls.settimeout(60)
    c, _ = ls.accept()
    s = socket.create_connection(("127.0.0.1", args.to))
    log = open(args.file, "wb") if args.mode == "record" else None
    t = threading.Thread(target=pump, args=(c, s, args.mode, args, "c2s", log))
    t.start()
    pump(s, c, args.mode, args, "s2c", log)
    t.join()


if __name__ == "__main__":
    sys.exit(main())
