# Entry points for users and CI.  The build itself is meson + ninja.
BUILD ?= build
ASAN_BUILD ?= build-asan
RUNTIME ?= $(CURDIR)/$(BUILD)/src/cli/berth-runtime
export RUNTIME

.PHONY: all deps build install check unit unit-asan unit-valgrind integration oci-validation demo bench fuzz clean

all: build

deps:
	./scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) >/dev/null

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

# Installs the programs, the default seccomp profile, the man pages and
# the bash completion (both generated from berth's own option tables at
# build time) under $(DESTDIR)$(PREFIX).
PREFIX ?= /usr/local
install: build
	meson configure $(BUILD) -Dprefix=$(PREFIX) >/dev/null
	ninja -C $(BUILD)
	DESTDIR="$(DESTDIR)" meson install -C $(BUILD) --no-rebuild --quiet

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined \
	  -Db_lundef=false >/dev/null

unit: build
	meson test -C $(BUILD) --print-errorlogs

unit-asan: $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	ASAN_OPTIONS=detect_leaks=1 \
	  meson test -C $(ASAN_BUILD) --print-errorlogs

integration: build
	./tests/integration/run.sh

# The OCI runtime-tools validation suite (Debian's source, fetched with
# apt-get and built offline): berth-runtime must pass every program listed
# in tests/oci-validation/expected-pass.  About two minutes.
oci-validation: build
	OCI_VALIDATION_EXPECT=tests/oci-validation/expected-pass RUNTIME=berth \
	  ./tests/oci-validation/run.sh

# valgrind: no leaks and no invalid accesses in the unit tests (tests that
# need syscalls valgrind lacks, e.g. seccomp(2), skip themselves).
unit-valgrind: build
	meson test -C $(BUILD) --print-errorlogs \
	  --wrapper 'valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99'

check: deps build unit integration oci-validation unit-asan unit-valgrind
	@echo "make check: all tests passed"

demo: deps build
	./tests/lib/demo.sh

bench: deps build
	./bench/runtime.sh

fuzz:
	./tests/fuzz/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
