#!/usr/bin/env python3
"""catalog_eval: how well claw-chat's tool choice (tools.mode auto) serves the labelled
prompts of tests/fixtures/catalog-prompts.tsv, judged on the FIRST request each turn sent.

usage: catalog_eval.py [--bin DIR] [--prompts FILE] [--json]

Sets up a private CLAW_HOME with the built-in skills and OpenClaw's 51 bundled ones on
CLAW_SKILLS_PATH, and a stub for every program their requires.bins/anyBins name (so that
all but the macOS-only ones and those wanting keys are eligible), runs every prompt as one
`claw-chat --requests` turn against tests/fakeprovider.py, and reads the tools of each
request the provider logged.  Prints one line a prompt (ok/MISS, the skill wanted, the
tools offered, the prompt), then the totals:
  recall     prompts that need a skill whose first request offered it / those prompts
  precision  offered skills that were the one needed / all skills offered (the skills
             tool not counted), over the prompts that need a skill
  none       prompts labelled "-" that were offered no skill / those prompts
With --json, the totals as one JSON object instead of the table.  Exit 0, or 70 when
it could not run.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..")
FIXTURES = "/work/shared/fixtures/openclaw-skills"


def die(msg):
    print("catalog_eval: " + msg, file=sys.stderr)
    sys.exit(70)


def prompts_of(path):
    out = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        want, prompt = line.split("\t", 1)
        out.append((None if want == "-" else want, prompt))
    return out


def stubs(bindir, env, stubdir):
    """A stub for every program a skill lacks, until no more are missing."""
    os.makedirs(stubdir, exist_ok=True)
    r = subprocess.run([os.path.join(bindir, "claw-skill"), "list", "--json"], env=env,
                       capture_output=True, text=True, check=True)
    for line in r.stdout.splitlines():
        miss = json.loads(line).get("missing", "")
        for part in miss.split("; "):
            names = []
            if part.startswith("bins: "):
                names = [part[6:]]
            elif part.startswith("anyBins: one of "):
                names = part[16:].split(",")[:1]
            for n in names:
                p = os.path.join(stubdir, n.strip())
                with open(p, "w") as f:
                    f.write("#!/bin/sh\nexit 0\n")
                os.chmod(p, 0o755)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("CLAW_BIN") or os.path.join(SRC, "build", "bin"))
    ap.add_argument("--prompts", default=os.path.join(HERE, "fixtures", "catalog-prompts.tsv"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    bindir = os.path.abspath(args.bin)
    if not os.path.isdir(FIXTURES):
        die(FIXTURES + ": no such directory")
    labelled = prompts_of(args.prompts)
    tmp = tempfile.mkdtemp(prefix="claw-catalog.")
    fake = None
    try:
        env = {"PATH": bindir + ":" + os.path.join(tmp, "stubs") + ":/usr/bin:/bin",
               "HOME": tmp, "CLAW_HOME": os.path.join(tmp, "home"), "LC_ALL": "C",
               "CLAW_SKILLS_PATH": os.path.join(SRC, "skills") + ":" + FIXTURES}
        stubs(bindir, env, os.path.join(tmp, "stubs"))
        open(os.path.join(tmp, "script"), "w").close()
        fake = subprocess.Popen([sys.executable, os.path.join(HERE, "fakeprovider.py"),
                                 "--port-file", os.path.join(tmp, "port"), "--log",
                                 os.path.join(tmp, "log"), "--script", os.path.join(tmp, "script")],
                                stdin=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(os.path.join(tmp, "port")):
                break
            time.sleep(0.05)
        else:
            die("the fake provider did not start")
        port = open(os.path.join(tmp, "port")).read().strip()
        for kv in ["providers.generic.base_url=http://127.0.0.1:%s/v1" % port,
                   "model=generic/eval"]:
            subprocess.run([os.path.join(bindir, "claw"), "config", "set", kv], env=env, check=True)
        reqs = "".join(json.dumps({"id": i, "prompt": p}) + "\n" for i, (_, p) in enumerate(labelled))
        r = subprocess.run([os.path.join(bindir, "claw-chat"), "--requests"], env=env,
                           input=reqs, capture_output=True, text=True)
        if r.returncode:
            die("claw-chat --requests exited %d: %s" % (r.returncode, r.stderr.strip()))
        offered = {}
        for line in r.stdout.splitlines():
            ev = json.loads(line)
            if ev.get("type") == "tools" and ev["id"] not in offered:
                offered[ev["id"]] = [o["name"] for o in ev["offered"] if o["name"] != "skills"]
        sent = [json.loads(l)["body"] for l in open(os.path.join(tmp, "log"))]
        if len(sent) != len(labelled):
            die("%d prompts but %d requests" % (len(labelled), len(sent)))
    finally:
        if fake:
            fake.kill()
            fake.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    need = hit = nskills = right = none = nnone = 0
    chars = []
    rows = []
    for i, (want, prompt) in enumerate(labelled):
        tools = [t["function"]["name"] for t in sent[i].get("tools", [])]
        got = [t for t in tools if t != "skills"]
        if got != offered.get(i, []):
            die("prompt %d: the tools event says %s, the request %s" % (i, offered.get(i), got))
        chars.append(len(json.dumps(sent[i].get("tools", []), separators=(",", ":"))))
        if want:
            need += 1
            ok = want in got
            hit += ok
            nskills += len(got)
            right += ok
        else:
            nnone += 1
            ok = not got
            none += ok
        rows.append((ok, want or "-", ",".join(tools) or "(none)", prompt))
    total = {"prompts": len(labelled), "need": need, "recall": hit / need if need else 1,
             "precision": right / nskills if nskills else 1, "offered": nskills,
             "none": none / nnone if nnone else 1, "none_prompts": nnone,
             "chars_mean": sum(chars) / len(chars), "chars_max": max(chars)}
    if args.json:
        print(json.dumps(total))
        return
    for ok, want, tools, prompt in rows:
        print("%-4s %-22s %-40s %s" % ("ok" if ok else "MISS", want, tools, prompt))
    print("recall %d/%d = %.3f   precision %d/%d = %.3f   none %d/%d   tool catalog chars: mean %.0f, max %d"
          % (hit, need, total["recall"], right, nskills, total["precision"], none, nnone,
             total["chars_mean"], total["chars_max"]))


if __name__ == "__main__":
    main()
