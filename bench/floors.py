"""The floors every bench/ script measures beside: an empty C program built with the
project's flags, once on the shared libc and once static-pie as the Makefile links
its start-often programs (STATIC_PROGS).  A program's figure is judged against the
floor linked the way it is: a static program does not pay the dynamic loader, and
neither does its floor."""
import os
import struct
import subprocess

# Makefile HARDEN and LDHARDEN, then LDSTATIC.
FLAGS = ["-O2", "-g", "-D_FORTIFY_SOURCE=2", "-fstack-protector-strong", "-fPIE", "-pie",
         "-Wl,-z,relro,-z,now"]
STATIC_FLAGS = ["-O2", "-g", "-D_FORTIFY_SOURCE=2", "-fstack-protector-strong", "-fPIE",
                "-static-pie", "-Wl,-z,relro,-z,now"]


def build(tmp):
    """(floor, static floor): the two programs' paths, built in tmp."""
    src = os.path.join(tmp, "floor.c")
    with open(src, "w") as f:
        f.write("int main(void){return 0;}\n")
    out = []
    for name, flags in (("floor", FLAGS), ("floor-static", STATIC_FLAGS)):
        path = os.path.join(tmp, name)
        r = subprocess.run([os.environ.get("CC", "cc")] + flags + ["-o", path, src],
                           capture_output=True, text=True)
        if r.returncode:
            raise SystemExit("bench: cannot compile the floor: " + r.stderr.strip())
        out.append(path)
    return tuple(out)


def is_static(path):
    """Whether the ELF file at path has no interpreter (PT_INTERP): linked static."""
    with open(path, "rb") as f:
        h = f.read(64)
        if len(h) < 64 or h[:4] != b"\x7fELF" or h[4] != 2:
            return False
        phoff, = struct.unpack_from("<Q", h, 32)
        phentsize, phnum = struct.unpack_from("<HH", h, 54)
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    return all(struct.unpack_from("<I", ph, i * phentsize)[0] != 3 for i in range(phnum))
