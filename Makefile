# Thin wrapper over CMake; see README.md. Every target installs missing Debian packages first.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
LISTEN ?= 127.0.0.1:8443

.PHONY: all deps deps-runtime configure build run test test-unit test-asan bench fuzz fmt lint clean check-valgrind

all: build

deps:
	@scripts/install-deps.sh
deps-runtime:
	@scripts/install-deps.sh --runtime

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

configure: $(BUILD)/CMakeCache.txt

build: deps-runtime configure
	cmake --build $(BUILD) -j$(JOBS)

run: build
	@scripts/run.sh $(BUILD)/storygate $(LISTEN)

# `make test`: the normal build and every ctest (unit, integration, conformance, deploy, fuzz smoke) = test-unit, then
# the unit and script tests again under ASan+UBSan+LSan in $(BUILD)/asan = test-asan. See docs/TESTING.md.
test: test-unit
	@JOBS=$(JOBS) scripts/test-sanitize.sh $(BUILD)/asan

test-unit: deps configure
	cmake --build $(BUILD) -j$(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j2 --timeout 900

test-asan: deps
	@JOBS=$(JOBS) scripts/test-sanitize.sh $(BUILD)/asan

# libFuzzer targets, FUZZ_SECONDS each (default 300), after replaying test/fuzz/regress/.
FUZZ_SECONDS ?= 300
fuzz: deps
	@JOBS=$(JOBS) FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(BUILD)/fuzz

# Unit and script tests with every storygate process under valgrind memcheck.
check-valgrind: deps
	@JOBS=$(JOBS) scripts/check-valgrind.sh $(BUILD)/valgrind

bench: deps configure
	cmake --build $(BUILD) -j$(JOBS)
	@scripts/bench.sh $(BUILD)

fmt:
	@find src include test -name '*.[ch]' -not -path '*/node_modules/*' | xargs clang-format -i

lint: deps configure
	@find src include -name '*.[ch]' | xargs clang-format --dry-run --Werror
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c11 \
	  --suppress=missingIncludeSystem --suppress=varFuncNullUB -Iinclude src

clean:
	rm -rf $(BUILD) build-*
