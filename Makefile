# Makefile: builds lib/libaimet.a, the tools, the tests; run ./configure first (see README).
-include config.mk
ifeq ($(wildcard config.mk),)
$(error config.mk is missing: run 'autoreconf -i && ./configure' first)
endif

PREFIX ?= $(if $(prefix),$(prefix),/usr/local)
DESTDIR ?=
B ?= build
WARN := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
# -ffp-contract=off: a float expression rounds the same whichever clone of a kernel runs (no
# fused multiply-add on one CPU and not another), and in the order ONNX Runtime's kernels use —
# a quantized model turns a one-ulp difference into a different grid step.
ALL_CFLAGS := -std=gnu11 -ffp-contract=off $(WARN) $(CFLAGS) $(OPENMP_CFLAGS) -Ilib/include -Itools/common -I$(B)/gen \
	$(PROTOBUF_C_CFLAGS) $(YAML_CFLAGS) $(JANSSON_CFLAGS) $(OPENBLAS_CFLAGS) $(CPPFLAGS) \
	-DAIMET_DATADIR='"$(PREFIX)/share/aimet"' $(EXTRA_CFLAGS)
LIBS := $(PROTOBUF_C_LIBS) $(YAML_LIBS) $(JANSSON_LIBS) $(OPENBLAS_LIBS) -lm
ALL_LDFLAGS := $(LDFLAGS) $(OPENMP_CFLAGS) $(EXTRA_LDFLAGS)

# protobuf-c code is generated from the system's onnx.proto at build time, never vendored.
GEN_SRC := $(B)/gen/onnx.pb-c.c
GEN_HDR := $(B)/gen/onnx.pb-c.h
LIB_SRC := $(sort $(wildcard lib/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o) $(B)/gen/onnx.pb-c.o
LIB := $(if $(filter build,$(B)),lib/libaimet.a,$(B)/libaimet.a)
CLI_SRC := $(sort $(wildcard tools/common/*.c))
CLI_OBJ := $(CLI_SRC:%.c=$(B)/%.o)
CLI_LIB := $(B)/libaimet-cli.a
TOOL_SRC := $(sort $(wildcard tools/aimet-*.c))
TOOLS := $(TOOL_SRC:tools/%.c=$(B)/bin/%)
TEST_SRC := $(sort $(wildcard tests/unit/*.c tests/ops/*.c tests/conformance/*.c))
TESTS := $(TEST_SRC:tests/%.c=$(B)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/*.c))
HEADERS := $(wildcard lib/include/*.h lib/*/*.h lib/ops/ops.def tools/common/*.h tests/*.h tests/*/*.h)

.SECONDARY:
.PHONY: all check install uninstall clean distclean bench fuzz check-asan
all: $(LIB) $(TOOLS)

# One protoc-c run writes both files (a single target, so parallel make runs it once).
$(GEN_SRC): $(ONNX_PROTO)
	@mkdir -p $(B)/gen
	cd $(dir $(ONNX_PROTO)) && $(PROTOC_C) --c_out=$(abspath $(B)/gen) $(notdir $(ONNX_PROTO))
$(GEN_HDR): $(GEN_SRC)

$(B)/gen/onnx.pb-c.o: $(GEN_SRC)
	$(CC) $(ALL_CFLAGS) -w -c $< -o $@

$(B)/%.o: %.c $(HEADERS) $(GEN_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(CLI_LIB): $(CLI_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(B)/bin/%: $(B)/tools/%.o $(CLI_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $< $(CLI_LIB) $(LIB) $(LIBS) -o $@

$(B)/tests/%: $(B)/tests/%.o $(CLI_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $< $(CLI_LIB) $(LIB) $(LIBS) -o $@

# `make check` runs every suite; tests/run.sh prints the closing `N passed, N failed` line.
check: all $(TESTS)
	tests/run.sh

bench: all
	bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/aimet
	install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(wildcard man/man1/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/
	cp -R share/aimet/. $(DESTDIR)$(PREFIX)/share/aimet/

uninstall:
	rm -f $(TOOLS:$(B)/bin/%=$(DESTDIR)$(PREFIX)/bin/%)
	rm -f $(patsubst man/man1/%,$(DESTDIR)$(PREFIX)/share/man/man1/%,$(wildcard man/man1/*.1))
	rm -rf $(DESTDIR)$(PREFIX)/share/aimet

clean:
	rm -rf $(B) $(LIB)

distclean: clean
	rm -rf config.mk config.log config.status configure autom4te.cache aclocal.m4

# `make fuzz`: libFuzzer harnesses (tests/fuzz/*.c) over a clang build of the library with
# ASan+UBSan in build-fuzz/; each runs FUZZ_SECONDS (tests/fuzz/run.sh) and any finding fails.
FUZZ_SECONDS ?= 60
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/fuzz/%)
fuzz:
	$(MAKE) B=build-fuzz CC=clang EXTRA_CFLAGS='-g -O1 -fsanitize=fuzzer-no-link $(FUZZ_SAN)' \
		build-fuzz/libaimet.a fuzz-bins
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_BINS)
.PHONY: fuzz-bins
fuzz-bins: $(FUZZ_BINS)
build-fuzz/fuzz/%: tests/fuzz/%.c build-fuzz/libaimet.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer $< build-fuzz/libaimet.a $(LIBS) $(ALL_LDFLAGS) -o $@

# `make check-asan`: everything built with ASan+UBSan in build-asan/, the whole suite run on it.
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# A huge request fails with NULL as it does without ASan (the library reports "out of memory";
# the fuzzers keep ASan's strict default to find such requests). The shell suites run the
# tools, which exit() on errors without freeing (not leaks), and one measures peak RSS, which
# ASan's quarantine of freed memory would inflate: no leak check and no quarantine there.
ASAN_RUN := detect_leaks=1:allocator_may_return_null=1
check-asan:
	$(MAKE) B=build-asan EXTRA_CFLAGS='$(ASAN_FLAGS)' EXTRA_LDFLAGS='$(ASAN_FLAGS)' all \
		$(TEST_SRC:tests/%.c=build-asan/tests/%)
	AIMET_BUILD=build-asan ASAN_OPTIONS=$(ASAN_RUN) UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		AIMET_SUITE_ASAN_OPTIONS=$(ASAN_RUN):detect_leaks=0:quarantine_size_mb=0 tests/run.sh
