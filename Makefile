# Makefile: builds lib/libaimet.a, the tools, the tests; run ./configure first (see README).
-include config.mk
ifeq ($(wildcard config.mk),)
$(error config.mk is missing: run 'autoreconf -i && ./configure' first)
endif

PREFIX ?= $(if $(prefix),$(prefix),/usr/local)
DESTDIR ?=
B ?= build
WARN := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) $(OPENMP_CFLAGS) -Ilib/include -Itools/common -I$(B)/gen \
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
HEADERS := $(wildcard lib/include/*.h lib/*/*.h tools/common/*.h tests/*.h)

.PHONY: all check install uninstall clean distclean bench fuzz check-asan
all: $(LIB) $(TOOLS)

$(GEN_SRC) $(GEN_HDR): $(ONNX_PROTO)
	@mkdir -p $(B)/gen
	cd $(dir $(ONNX_PROTO)) && $(PROTOC_C) --c_out=$(abspath $(B)/gen) $(notdir $(ONNX_PROTO))

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
