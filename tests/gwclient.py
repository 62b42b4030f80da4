#!/usr/bin/env python3
"""gwclient.py: raw HTTP/1.1 for gateway-http.bats, byte for byte, with no client
library in between to fix up what the tests mean to send broken.

    gwclient.py talk TARGET STEP...     one connection, the steps in order
    gwclient.py cases HOST:PORT FILE    for each line "NAME<TAB>REQUEST" of FILE (REQUEST
                                        with the escapes below): a new connection,
                                        REQUEST, one response, then a GET /healthz on
                                        the same connection; prints a line
                                        "NAME<TAB>STATUS<TAB>close|keep<TAB>closed|open<TAB>BODY":
                                        whether the answer said Connection: close,
                                        whether the second request went unanswered

    gwclient.py hold HOST:PORT N SRC [REQUEST]
                                        open N connections from the address SRC that
                                        send nothing (or REQUEST, escapes as below, and
                                        read its answer), then a GET /healthz from
                                        127.0.0.1 on a new one; prints "healthz STATUS
                                        SECS", "statuses CODE..." (with REQUEST) and
                                        "open K": how many of the N the gateway kept

TARGET is HOST:PORT, or "exec" to run the rest of the command line after "--"
with the connection on its stdin and stdout (inetd mode over pipes):
    gwclient.py talk exec 'send:GET / HTTP/1.1\\r\\n' resp -- claw-gateway

STEPs (TEXT takes Python escapes: \\r \\n \\x00 \\t):
    send:TEXT       write TEXT
    resp[:SECS]     read one response (an interim 1xx one counts) and print it,
                    CRs dropped; "-- timeout" when it does not come in SECS
                    (default 5), "-- eof" when the connection ends first
    closed[:SECS]   wait up to SECS (default 3) for the peer to close: print
                    "-- closed" (EOF or reset) or "-- open"
    silent[:SECS]   nothing may arrive for SECS (default 0.5): "-- silent",
                    "-- closed", or "-- data" and what came
    elapsed         print "-- elapsed S" (seconds since the connection opened, 0.1 s)
A step that cannot write (the peer has gone) prints "-- write failed" and goes on.
"""

import codecs
import os
import select
import socket
import subprocess
import sys
import time


def unescape(text):
    return codecs.decode(text.encode('latin-1', 'backslashreplace'), 'unicode_escape').encode('latin-1')


class Conn:
    """A socket, or a child's stdin and stdout, read and written the same way."""

    def __init__(self, target, argv):
        self.proc = None
        self.sock = None
        if target == 'exec':
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
            self.rfd = self.proc.stdout.fileno()
        else:
            host, port = target.rsplit(':', 1)
            self.sock = socket.create_connection((host.strip('[]'), int(port)), timeout=5)
            self.sock.setblocking(True)
            self.rfd = self.sock.fileno()
        self.buf = b''
        self.eof = False
        self.t0 = time.monotonic()

    def write(self, data):
        try:
            if self.sock:
                self.sock.sendall(data)
            else:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            return True
        except (BrokenPipeError, ConnectionResetError, OSError):
            return False

    def fill(self, deadline):
        """More bytes into buf: True, or False at EOF or the deadline."""
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self.rfd], [], [], left)[0]:
            return False
        try:
            chunk = os.read(self.rfd, 65536)
        except (ConnectionResetError, OSError):
            chunk = b''
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def response(self, secs):
        """One response: head and body as bytes, or None."""
        deadline = time.monotonic() + secs
        while b'\r\n\r\n' not in self.buf:
            if not self.fill(deadline):
                return None
        head, self.buf = self.buf.split(b'\r\n\r\n', 1)
        head += b'\r\n\r\n'
        status = int(head.split(b' ', 2)[1])
        length = 0
        for line in head.split(b'\r\n')[1:]:
            name, _, value = line.partition(b':')
            if name.strip().lower() == b'content-length':
                length = int(value.strip())
        if status < 200 or self.head_only:
            length = 0
        while len(self.buf) < length:
            if not self.fill(deadline):
                break
        body, self.buf = self.buf[:length], self.buf[length:]
        return head + body

    def close(self):
        if self.sock:
            self.sock.close()
        else:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def out(data):
    sys.stdout.write(data.replace(b'\r', b'').decode('latin-1'))
    if not data.endswith(b'\n'):
        sys.stdout.write('\n')
    sys.stdout.flush()


def talk(target, steps, argv):
    c = Conn(target, argv)
    c.head_only = False
    for step in steps:
        verb, _, arg = step.partition(':')
        if verb == 'send':
            data = unescape(arg)
            c.head_only = data.startswith(b'HEAD ')
            if not c.write(data):
                print('-- write failed')
        elif verb == 'resp':
            r = c.response(float(arg or 5))
            if r is None:
                print('-- eof' if c.eof else '-- timeout')
            else:
                out(r)
        elif verb == 'closed':
            deadline = time.monotonic() + float(arg or 3)
            while c.fill(deadline):
                pass
            print('-- closed' if c.eof else '-- open')
            if c.buf:
                out(c.buf)
        elif verb == 'silent':
            deadline = time.monotonic() + float(arg or 0.5)
            c.fill(deadline)
            print('-- data' if c.buf else '-- closed' if c.eof else '-- silent')
            if c.buf:
                out(c.buf)
                c.buf = b''
        elif verb == 'elapsed':
            print('-- elapsed %.1f' % (time.monotonic() - c.t0))
        else:
            sys.exit('gwclient.py: %s: no such step' % step)
        sys.stdout.flush()
    c.close()


def cases(target, path):
    again = b'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'
    for line in open(path, encoding='latin-1'):
        line = line.rstrip('\n')
        if not line:
            continue
        name, _, req = line.partition('\t')
        c = Conn(target, None)
        c.head_only = req.startswith('HEAD ')
        c.write(unescape(req))
        r = c.response(5)
        if r is None:
            print('%s\t-\t-\t-\t-' % name)
            c.close()
            continue
        head, _, body = r.partition(b'\r\n\r\n')
        status = head.split(b' ', 2)[1].decode()
        close = 'close' if b'\r\nconnection: close\r\n' in head.lower() + b'\r\n' else 'keep'
        c.write(again)
        c.head_only = False
        closed = 'closed' if c.response(2) is None and c.eof else 'open'
        print('\t'.join([name, status, close, closed, body.decode('latin-1').strip()]))
        sys.stdout.flush()
        c.close()


def hold(target, n, src, req):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
    host, port = target.rsplit(':', 1)
    socks, codes = [], []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.settimeout(5)
        s.connect((host, int(port)))
        if req:
            s.sendall(req)
        socks.append(s)
    for s in socks if req else []:
        got = b''
        while b'\r\n' not in got:
            try:
                d = s.recv(4096)
            except OSError:
                break
            if not d:
                break
            got += d
        codes.append(got.split(b' ', 2)[1].decode() if got.startswith(b'HTTP/') else '-')
    time.sleep(0.2)
    t0 = time.monotonic()
    got = b''
    try:                            # not Conn: select() takes no descriptor past 1023
        c = socket.create_connection((host, int(port)), timeout=5)
        c.sendall(b'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        while b'\r\n' not in got:
            d = c.recv(4096)
            if not d:
                break
            got += d
        c.close()
    except OSError:
        pass
    print('healthz %s %.1f' % (got.split(b' ', 2)[1].decode() if got.startswith(b'HTTP/') else '-',
                               time.monotonic() - t0))
    if req:
        print('statuses ' + ' '.join(sorted(set(codes))))
    kept = 0
    for s in socks:
        s.setblocking(False)
        try:
            kept += 0 if s.recv(1) == b'' else 1
        except BlockingIOError:
            kept += 1
        except OSError:
            pass
        s.close()
    print('open %d' % kept)


def main(argv):
    if len(argv) >= 3 and argv[1] == 'talk':
        rest = argv[3:]
        cmd = []
        if '--' in rest:
            cmd = rest[rest.index('--') + 1:]
            rest = rest[:rest.index('--')]
        talk(argv[2], rest, cmd)
    elif len(argv) in (5, 6) and argv[1] == 'hold':
        hold(argv[2], int(argv[3]), argv[4], unescape(argv[5]) if len(argv) == 6 else b'')
    elif len(argv) == 4 and argv[1] == 'cases':
        cases(argv[2], argv[3])
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv)
