"""The floors every bench/ script measures beside: an empty C program built with the
project's flags, once on the shared libc and once static-pie as the Makefile links
its start-often programs (STATIC_PROGS).  A program's figure is judged against the
floor linked the way it is: a static program does not pay the dynamic loader, and
neither does its floor.

Programs and floors alike are measured as installed: copies, as make install
(install(1)) makes them, not the files the linker wrote.  The page cache holds a
freshly linked file in pages that cost every exec more to map -- 0.08 ms a run of
claw status here, 0.01 ms of the floor's -- and no installed program, nor one read
back from disk, pays that."""
import os
import shutil
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
        r = subprocess.run([os.environ.get("CC", "cc")] + flags + ["-o", path + ".ld", src],
                           capture_output=True, text=True)
        if r.returncode:
            raise SystemExit("bench: cannot compile the floor: " + r.stderr.strip())
        shutil.copy2(path + ".ld", path)
        os.unlink(path + ".ld")
        out.append(path)
    return tuple(out)


def install(bindir, tmp):
    """Copies of bindir's files in tmp/bin, side by side as they were (programs find
    their helpers beside them): the directory to run them from."""
    dst = os.path.join(tmp, "bin")
    os.makedirs(dst, exist_ok=True)
    for name in sorted(os.listdir(bindir)):
        src = os.path.join(bindir, name)
        if os.path.isfile(src):
            shutil.copy2(src, os.path.join(dst, name))
    os.sync()
    return dst


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
