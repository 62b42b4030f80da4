# claw — GNU make, no configure.  make · make check · make install · make deps
VERSION  = 0.1.0
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
LIBEXECDIR = $(PREFIX)/libexec/claw
SHAREDIR = $(PREFIX)/share/claw
MANDIR   = $(PREFIX)/share/man
# The project's address, said where a service asks for one (Discord's User-Agent:
# "DiscordBot ($url, $versionNumber)").  The project names no web page; by default the
# installed documentation.  make URL=https://… for a published one.
URL     ?= file://$(SHAREDIR)

CC      ?= cc
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
HARDEN   = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
WARN     = -std=c11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-format-truncation
CPPFLAGS = -D_GNU_SOURCE -DCLAW_VERSION='"$(VERSION)"' \
           -DCLAW_LIBEXECDIR='"$(LIBEXECDIR)"' -DCLAW_SHAREDIR='"$(SHAREDIR)"' \
           -DCLAW_URL='"$(URL)"' -Ilib -I/usr/include/x86_64-linux-gnu
LDHARDEN = -pie -Wl,-z,relro,-z,now -Wl,--as-needed

# make SANITIZE=1: ASan+UBSan build in its own tree, so it never mixes with a normal build.
# make STATIC=0: every program linked to the shared libc, in its own tree too (ASan
# needs it, and valgrind's memcheck sees a static program's heap only as brk memory).
STATIC  ?= 1
ifeq ($(SANITIZE),1)
OPT      = -O1
HARDEN   = -fPIE
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
STATIC   = 0
B        = build-san
else ifeq ($(STATIC),0)
B        = build-dyn
else
B        = build
endif

# The checkers' builds keep SQLite on malloc (store/mem.h), each allocation seen.
ifeq ($(STATIC),0)
CPPFLAGS += -DCLAW_SYSTEM_MALLOC
endif
ALLCFLAGS  = $(WARN) $(HARDEN) $(CFLAGS) $(SANFLAGS)
ALLLDFLAGS = $(LDHARDEN) $(SANFLAGS) $(LDFLAGS)
comma := ,

# Each program links only what it uses (--as-needed drops the rest).  SQLite and
# libsodium are linked statically: resolving two more shared objects at every start
# cost ~0.6 ms, a quarter of an empty program's whole run.  libcurl is dlopen'd by
# claw-chat for https only (lib/fetch_curl.c), libwebsockets by claw-channel for the
# Discord Gateway only (lib/channel/discord_gw.c).
STORE_LIBS     = -Wl,-Bstatic -lsqlite3 -lsodium -Wl,-Bdynamic -lm -ldl -lpthread
# libyaml too, wherever SKILL.md front matter is read (claw serves `claw status`
# itself, with claw-monitor's code, and so reads the skill index).
YAML_LIBS      = -Wl,-Bstatic -lyaml -Wl,-Bdynamic
SECCOMP_LIBS   = -Wl,-Bstatic -lseccomp -Wl,-Bdynamic
LIBS_claw      = $(YAML_LIBS) $(STORE_LIBS)
LIBS_claw-chat = -ljq $(STORE_LIBS)
LIBS_claw-skill = $(YAML_LIBS) $(STORE_LIBS)
LIBS_claw-evolve = $(YAML_LIBS) $(STORE_LIBS)
LIBS_claw-node = $(STORE_LIBS)
LIBS_claw-monitor = $(YAML_LIBS) $(SECCOMP_LIBS) $(STORE_LIBS)
LIBS_claw-gateway = $(YAML_LIBS) $(STORE_LIBS)
LIBS_claw-sandbox = $(SECCOMP_LIBS)
LIBS_claw-channel = $(STORE_LIBS)

# The programs people and cron start most, which load nothing at run time (no dlopen,
# no name service), are linked static-pie: ASLR stays, and the dynamic loader's work
# at every start -- mapping libc and libm, resolving ~140 symbols, relocating -- is
# gone, ~0.2 ms of `claw status`'s 1.7 (s6 and sbase link statically for the same
# reason).  claw-chat, claw-channel (dlopen), claw-gateway and claw-node (getaddrinfo)
# stay on the shared libc.  A static link takes each library whole, hence the filter.
# ld warns that SQLite's dlopen (load_extension, never enabled) and getpwuid (HOME
# unset) need this glibc at run time: getpwuid reads /etc/passwd with glibc's own
# files service, as the shared build does.
STATIC_PROGS = $(if $(filter 1,$(STATIC)),claw claw-skill claw-monitor claw-evolve claw-sandbox)
LDSTATIC     = -static-pie -Wl,-z,relro,-z,now $(LDFLAGS)
link = $(if $(filter $(1),$(STATIC_PROGS)),$(LDSTATIC),$(ALLLDFLAGS)) -o $@ $< \
       $(B)/lib/libclaw.a $(if $(filter $(1),$(STATIC_PROGS)),$(filter-out \
       -Wl$(comma)-Bstatic -Wl$(comma)-Bdynamic,$(LIBS_$(1))),$(LIBS_$(1)))

PROGS    = $(patsubst cmd/%.c,%,$(wildcard cmd/*.c))
# Helpers the programs run (claw-sandbox, claw-node-runner): built or copied
# beside them, installed in LIBEXECDIR.
LIBEXEC  = $(patsubst libexec/%.c,%,$(wildcard libexec/*.c))
SCRIPTS  = $(filter-out %.c,$(notdir $(wildcard libexec/*)))
LIBSRC   = $(wildcard lib/*/*.c)
LIBHDR   = $(wildcard lib/*/*.h)
LIBOBJ   = $(patsubst lib/%.c,$(B)/lib/%.o,$(LIBSRC))
UNITSRC  = $(wildcard tests/unit/*.c)
UNITBIN  = $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(UNITSRC))
FUZZSRC  = $(wildcard fuzz/*.c)
BINS     = $(addprefix $(B)/bin/,$(PROGS) $(LIBEXEC) $(SCRIPTS))

all: $(BINS) $(UNITBIN)

$(B)/lib/%.o: lib/%.c $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) -c -o $@ $<

$(B)/lib/libclaw.a: $(LIBOBJ)
	rm -f $@; ar rcs $@ $(LIBOBJ)

$(B)/cmd/%.o: cmd/%.c $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) -c -o $@ $<

$(B)/bin/%: $(B)/cmd/%.o $(B)/lib/libclaw.a
	@mkdir -p $(@D)
	$(CC) $(call link,$*)

$(B)/libexec/%.o: libexec/%.c $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) -c -o $@ $<

$(addprefix $(B)/bin/,$(SCRIPTS)): $(B)/bin/%: libexec/%
	@mkdir -p $(@D)
	install -m 755 $< $@

$(B)/bin/%: $(B)/libexec/%.o $(B)/lib/libclaw.a
	@mkdir -p $(@D)
	$(CC) $(call link,$*)

# C unit tests print TAP; they link everything the library may need.
$(B)/tests/unit/%: tests/unit/%.c tests/unit/tap.h $(B)/lib/libclaw.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) $(ALLLDFLAGS) -o $@ $< $(B)/lib/libclaw.a -lyaml -ljq -lseccomp $(STORE_LIBS)

# Convenience: ./claw etc. are never built in the tree root; tests use $(B)/bin.
check: all check-layers
	@mkdir -p $(B)
	CLAW_BIN=$(CURDIR)/$(B)/bin CLAW_SRC=$(CURDIR) \
	  prove -j2 -f -o -e tests/runner $(UNITBIN) tests/*.bats 2>&1 | tee $(B)/check.log; \
	  test "$${PIPESTATUS[0]}" = 0
SHELL = /bin/bash

# Each lib/ layer includes only the layers below it (README, Layout); one line width.
check-layers:
	@CLAW_SRC=$(CURDIR) tests/check-layers; a=$$?; CLAW_SRC=$(CURDIR) tests/check-style && exit $$a

check-valgrind:
	CLAW_VALGRIND=1 $(MAKE) STATIC=0 check

# libFuzzer targets (clang).  make fuzz FUZZTIME=30
FUZZTIME ?= 20
FUZZCC    = clang
FUZZFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(CPPFLAGS) -DCLAW_SYSTEM_MALLOC
FUZZBINS  = $(patsubst fuzz/%.c,build-fuzz/%,$(FUZZSRC))
fuzz: $(FUZZBINS) build-fuzz/wire-canary
	@for f in $(FUZZBINS); do n=$$(basename $$f); mkdir -p build-fuzz/corpus-$$n; \
	  echo "fuzz: $$n for $(FUZZTIME)s"; \
	  $$f -max_total_time=$(FUZZTIME) -max_len=65536 -artifact_prefix=build-fuzz/$$n- build-fuzz/corpus-$$n fuzz/corpus/$$n >build-fuzz/$$n.log 2>&1 \
	    || { tail -30 build-fuzz/$$n.log; exit 1; }; tail -1 build-fuzz/$$n.log; done
	@# No leak is suppressed, so a leak of ours must fail the run: the canary (fuzz/wire.c
	@# built with FUZZ_LEAK_CANARY) leaks a parsed value on purpose, and must be caught.
	@printf canary >build-fuzz/canary.in; \
	  if build-fuzz/wire-canary build-fuzz/canary.in >build-fuzz/canary.log 2>&1 \
	    || ! grep -q 'LeakSanitizer: detected memory leaks' build-fuzz/canary.log; then \
	    echo "fuzz: the leak canary was not caught"; exit 1; fi; echo "fuzz: leak canary caught"
build-fuzz/wire-canary: fuzz/wire.c $(LIBSRC) $(LIBHDR)
	@mkdir -p $(@D)
	$(FUZZCC) $(FUZZFLAGS) -DFUZZ_LEAK_CANARY -o $@ $< $(LIBSRC) -lyaml -ljq -lseccomp -lsqlite3 -lsodium -lm -ldl -lpthread
build-fuzz/%: fuzz/%.c $(wildcard fuzz/*.h) $(LIBSRC) $(LIBHDR)
	@mkdir -p $(@D) fuzz/corpus/$*
	$(FUZZCC) $(FUZZFLAGS) -o $@ $< $(LIBSRC) -lyaml -ljq -lseccomp -lsqlite3 -lsodium -lm -ldl -lpthread

bench: all
	bench/run
	bench/chat
	bench/skill
	bench/gateway
	bench/channel
	bench/evolve
	bench/media
	bench/node
	bench/monitor
	bench/channel2

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(SHAREDIR)/skills \
	  $(DESTDIR)$(SHAREDIR)/pipelines $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	for p in $(PROGS); do install -m 755 $(B)/bin/$$p $(DESTDIR)$(BINDIR)/$$p; done
	for p in $(LIBEXEC) $(SCRIPTS); do install -m 755 $(B)/bin/$$p $(DESTDIR)$(LIBEXECDIR)/$$p; done
	for m in man/*.[1578]; do s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	for d in skills/*/; do [ -d "$$d" ] && cp -R "$$d" $(DESTDIR)$(SHAREDIR)/skills/; done; true
	cp -R pipelines/. $(DESTDIR)$(SHAREDIR)/pipelines/

uninstall:
	for p in $(PROGS); do rm -f $(DESTDIR)$(BINDIR)/$$p; done
	for p in $(LIBEXEC) $(SCRIPTS); do rm -f $(DESTDIR)$(LIBEXECDIR)/$$p; done
	for m in man/*.[1578]; do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	rm -rf $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(LIBEXECDIR)

# Every Debian package the build, tests and benchmarks need.
DEBS = build-essential clang libclang-rt-14-dev pkg-config libjq-dev jq libcurl4-openssl-dev \
       libsqlite3-dev sqlite3 libsodium-dev libyaml-dev libseccomp-dev \
       bats bats-assert bats-support bats-file parallel valgrind \
       python3 ucspi-tcp socat netcat-openbsd curl hyperfine wrk mandoc bsdextrautils nodejs
DEBS += tesseract-ocr tesseract-ocr-eng pocketsphinx pocketsphinx-en-us espeak-ng flite sox libsox-fmt-all imagemagick xvfb x11-apps grim ffmpeg fonts-dejavu-core  # voice and images (media)
DEBS += prometheus librsvg2-bin  # monitor: promtool checks the export, rsvg-convert the --svg chart
DEBS += libwebsockets-dev  # channels II: the Discord Gateway
DEBS += openssh-server openssh-client  # node: the ssh transport test and bench/node
deps:
	@if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
	if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then $$SUDO apt-get update; fi; \
	missing=$$(for d in $(DEBS); do dpkg-query -W -f='$${Status}\n' $$d 2>/dev/null | grep -q 'ok installed' || echo $$d; done); \
	if [ -n "$$missing" ]; then $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing \
	  || { $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; }; fi
	@# The gateway's tests talk to it with the official openai client and jsonwebtoken,
	@# pinned by tests/npm/package-lock.json; installed again only when the lock changes.
	@if [ ! tests/npm/node_modules/.package-lock.json -nt tests/npm/package-lock.json ]; then \
	  npm ci --prefix tests/npm --no-audit --no-fund; fi

# What bench/gateway compares with: nginx serving a fixed body on the same machine.
bench-deps: deps
	@if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
	dpkg-query -W -f='$${Status}\n' nginx-light 2>/dev/null | grep -q 'ok installed' \
	  || $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y nginx-light

clean:
	rm -rf build build-san build-dyn build-fuzz

.PHONY: all check check-layers check-valgrind fuzz bench bench-deps install uninstall deps clean
.SECONDARY:
