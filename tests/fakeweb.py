#!/usr/bin/env python3
"""fakeweb: Open-Meteo and a few web pages on loopback, for the built-in skills' tests
(tests/skills-net.bats).

usage: fakeweb.py --port-file FILE --log FILE

Binds 127.0.0.1 on a free port, writes it to FILE (atomically), then serves until killed, or
for at most an hour.  Every request is appended to the log as one JSON line
{"method", "path", "query": {name: value}, "headers": {lowercased names}}.

Open-Meteo, shaped as its documentation and real answers are:
  GET /geo/search?name=N&count=1...   Geocoding API.  Berlin and Springfield are known; any
                                      other name gets the answer with no "results" member;
                                      "Garbled" gets an HTML page instead of JSON.
  GET /api/forecast?latitude&longitude&current&daily&timezone&forecast_days[&temperature_unit
      &wind_speed_unit]               Forecast API: 400 {"error":true,"reason"} when a required
                                      parameter is missing, like the real one; units as asked.
Web pages:
  /web/page.html      HTML with head, title, style, script, nav, headings, a list and links
  /web/plain.txt      text/plain
  /web/notes.md       text/markdown
  /web/data.json      application/json
  /web/redirect       302 to page.html (relative Location)
  /web/redirect-loop  302 to itself
  /web/to-file        302 to file:///etc/passwd
  /web/image.png      image/png
  /web/big-declared   3,000,000 bytes of text/plain with a Content-Length
  /web/big-stream     3,000,000 bytes of text/plain without one (closed at the end)
  /web/latin1.txt     text/plain; charset=iso-8859-1
  anything else       404
"""
import argparse
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LIFETIME = 3600
args = None
log_lock = threading.Lock()

# Geocoding results as the API returns them (fields trimmed to those it always sends).
PLACES = {
    "berlin": {
        "id": 2950159, "name": "Berlin", "latitude": 52.52437, "longitude": 13.41053,
        "elevation": 74.0, "feature_code": "PPLC", "country_code": "DE", "admin1_id": 2950157,
        "timezone": "Europe/Berlin", "population": 3426354, "country_id": 2921044,
        "country": "Germany", "admin1": "Land Berlin",
    },
    "springfield": {
        "id": 4409896, "name": "Springfield", "latitude": 37.21533, "longitude": -93.29824,
        "elevation": 397.0, "feature_code": "PPLA2", "country_code": "US", "admin1_id": 4398678,
        "timezone": "America/Chicago", "population": 169176, "country_id": 6252001,
        "country": "United States", "admin1": "Missouri",
    },
}

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>The  Fake   Gazette</title>
  <style>body { color: red; } .secret-style { }</style>
  <script>var secretScript = "do not show";</script>
</head>
<body>
  <nav><a href="/home">Home menu link</a> | <a href="/about">About</a></nav>
  <h1>Big   News</h1>
  <p>First paragraph with
     a <a href="/web/story.html">linked story</a> and   extra   spaces.</p>
  <script>document.write("inline secret");</script>
  <h2>Details</h2>
  <ul>
    <li>one item</li>
    <li>two &amp; three</li>
  </ul>
  <p>Caf&eacute; &lt;ok&gt; <a href="https://other.example/x?a=1&amp;b=2">elsewhere</a></p>
  <noscript>enable javascript please</noscript>
</body>
</html>
"""

FIXED = {
    "/web/page.html": ("text/html; charset=utf-8", PAGE.encode()),
    "/web/plain.txt": ("text/plain", b"Plain line one.\r\nPlain   line two.\r\n"),
    "/web/notes.md": ("text/markdown; charset=utf-8", b"# Notes\n\n- keep *this*\n"),
    "/web/data.json": ("application/json", b'{"answer":42,"list":[1,2]}'),
    "/web/image.png": ("image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
    "/web/latin1.txt": ("text/plain; charset=iso-8859-1", "Gr\u00fc\u00dfe aus K\u00f6ln\n".encode("latin-1")),
}

REDIRECTS = {
    "/web/redirect": "page.html",
    "/web/redirect-loop": "/web/redirect-loop",
    "/web/to-file": "file:///etc/passwd",
}

BIG = 3_000_000


def forecast(q):
    """The forecast answer for query q, or (400, reason)."""
    for need in ("latitude", "longitude", "current", "daily", "timezone", "forecast_days"):
        if need not in q:
            return 400, {"error": True, "reason": f"Parameter '{need}' is missing"}
    days = int(q["forecast_days"])
    f = q.get("temperature_unit") == "fahrenheit"
    mph = q.get("wind_speed_unit") == "mph"
    temp = (lambda c: round(c * 9 / 5 + 32, 1)) if f else (lambda c: c)
    wind = (lambda k: round(k / 1.609344, 1)) if mph else (lambda k: k)
    tu = "°F" if f else "°C"
    wu = "mp/h" if mph else "km/h"
    codes = [3, 61, 0, 95, 71, 45, 2]
    return 200, {
        "latitude": float(q["latitude"]), "longitude": float(q["longitude"]),
        "generationtime_ms": 0.05, "utc_offset_seconds": 7200, "timezone": "Europe/Berlin",
        "timezone_abbreviation": "GMT+2", "elevation": 38.0,
        "current_units": {"time": "iso8601", "interval": "seconds", "temperature_2m": tu,
                          "weather_code": "wmo code", "wind_speed_10m": wu},
        "current": {"time": "2025-05-05T14:15", "interval": 900, "temperature_2m": temp(21.5),
                    "weather_code": 2, "wind_speed_10m": wind(12.6)},
        "daily_units": {"time": "iso8601", "temperature_2m_max": tu, "temperature_2m_min": tu,
                        "weather_code": "wmo code"},
        "daily": {
            "time": [f"2025-05-{5 + i:02d}" for i in range(days)],
            "temperature_2m_max": [temp(22.0 + i) for i in range(days)],
            "temperature_2m_min": [temp(10.0 + i) for i in range(days)],
            "weather_code": codes[:days],
        },
    }


class Handler(BaseHTTPRequestHandler):
    server_version = "fakeweb/1"

    def log_message(self, *a):
        pass

    def send(self, status, ctype, body, length=True):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status, obj):
        self.send(status, "application/json; charset=utf-8",
                  json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode())

    def do_GET(self):
        u = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        with log_lock, open(args.log, "a", encoding="utf-8") as f:
            f.write(json.dumps({"method": "GET", "path": u.path, "query": q,
                                "headers": {k.lower(): v for k, v in self.headers.items()}}) + "\n")
        try:
            self.route(u.path, q)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: a size limit doing its job

    def route(self, path, q):
        if path == "/geo/search":
            name = q.get("name", "").strip().lower()
            if name == "garbled":
                return self.send(200, "text/html", b"<html>maintenance</html>")
            ans = {"generationtime_ms": 0.4}
            if name in PLACES:
                ans = {"results": [PLACES[name]], "generationtime_ms": 0.7}
            return self.send_json(200, ans)
        if path == "/api/forecast":
            status, ans = forecast(q)
            return self.send_json(status, ans)
        if path in FIXED:
            return self.send(200, *FIXED[path])
        if path in REDIRECTS:
            self.send_response(302)
            self.send_header("Location", REDIRECTS[path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if path == "/web/big-declared":
            return self.send(200, "text/plain", b"y" * BIG)
        if path == "/web/big-stream":
            # HTTP/1.0 without Content-Length: the body ends when the connection closes, so
            # curl cannot know the size up front.
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            line = b"z" * 99 + b"\n"
            for _ in range(BIG // len(line)):
                self.wfile.write(line)
            return None
        return self.send(404, "text/html", b"<h1>Not Found</h1>")


def main():
    global args
    p = argparse.ArgumentParser(description="Open-Meteo and web pages on loopback")
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    args = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
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
