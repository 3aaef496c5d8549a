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

test: deps configure
	cmake --build $(BUILD) -j$(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j2 --timeout 900

bench: deps configure
	cmake --build $(BUILD) -j$(JOBS)
	@scripts/bench.sh $(BUILD)

fmt:
	@find src include test -name '*.[ch]' -not -path '*/node_modules/*' | xargs clang-format -i

lint: deps configure
	@find src include -name '*.[ch]' | xargs clang-format --dry-run --Werror
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c11 \
	  --suppress=missingIncludeSystem -Iinclude src

clean:
	rm -rf $(BUILD) build-*
