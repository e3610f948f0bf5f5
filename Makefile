# caremail: a thin wrapper so `make`, `make test` and `make run` work from a
# fresh checkout. scripts/deps.sh installs what is missing; the build itself
# is described in meson.build. Needs GNU make.

PYTHON := /usr/bin/python3
FUZZ_SECONDS ?= 10
FUZZ_RUN = FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh build-asan
# `make test`'s fuzz run is shorter than `make fuzz`'s: 5 s a target, from
# the seeds, is the smoke run CI asks for, and each second more is half a
# minute on 2 cores (31 targets).
TEST_FUZZ_SECONDS ?= 5
SANITIZER_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# The steps share ports and build directories: run them one at a time.
.NOTPARALLEL:
.PHONY: all deps test test-gcc test-pg test-integration-gcc asan test-asan test-browser test-browser-fuzz fuzz check-layers check-circles \
	check-states run demo-outbound web bench clean

all: deps build/build.ninja web
	ninja -C build

# The web pages (docs/web.md): npm ci only when the lockfile changed, the
# build only when a file under web/ did, so `make` stays quick.
WEB_SOURCES := $(shell find web -path web/node_modules -prune -o -type f \
	-print 2>/dev/null)

web: build/web/index.html

web/node_modules/.ci-stamp: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

build/web/index.html: web/node_modules/.ci-stamp $(WEB_SOURCES)
	node web/build.mjs build/web

deps:
	@scripts/deps.sh

# Linked by lld: each build links some 90 programs (the unit tests, the
# benchmarks, the fuzz targets), each in about a third of GNU ld's time.
build/build.ninja:
	CC=gcc CC_LD=lld meson setup build

# -O1: the sanitizers find the same faults, and the integration run under
# them (most of `make test`) takes a good deal less than at -O0. Debug
# information is the line tables only: a sanitizer's report names every
# frame's file and line all the same, and the build takes less.
# Not position-independent: the sanitizer build's program carries some
# 270,000 relative relocations (ASan's metadata of every global), written
# at every start, and the integration suite starts it over 10,000 times;
# without them a CLI command takes a fifth less CPU (page faults are dear
# on a virtual machine). The gcc build, the one installed, stays PIE.
build-asan/build.ninja:
	CC=clang CC_LD=lld meson setup build-asan -Db_sanitize=address,undefined \
		-Db_lundef=false -Dfuzz=true -Dbuildtype=debug -Doptimization=1 \
		-Db_pie=false '-Dc_args=-fno-pie -gline-tables-only' \
		-Dc_link_args=-no-pie

# The sanitizer build (program, tests and fuzz targets), for the steps below.
asan: deps build-asan/build.ninja
	ninja -C build-asan

# The integration and browser suites run on a worker a core (pytest-xdist),
# each test file on one worker, so a file's module fixtures (a PostgreSQL
# cluster, a DNS stub) are made once; each worker draws its ports from a
# range of its own (tests/integration/conftest.py, free_ports). Most of
# the sanitizer run's time is its processes starting (ASan maps its
# shadow and LeakSanitizer scans at every exit; each test runs a dozen
# CLI commands or more), which two workers overlap with the other's
# waits. TEST_WORKERS=0 runs them in this process, one test at a time.
TEST_WORKERS ?= auto
PYTEST_WORKERS = $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)
# Each suite ends with its 25 longest steps: the figures LONGEST_FILES
# (tests/*/conftest.py) and the next cut of `make test`'s time start from.
PYTEST_ARGS = -q $(PYTEST_WORKERS) --durations=25

# pytest exits 5 when it collects nothing: a failure only once test files
# exist. $(1) is the build directory, $(2) extra environment.
define integration
	@if [ ! -d tests/integration ]; then \
		echo "integration: no tests/integration yet"; \
	else \
		rc=0; \
		CAREMAIL_BIN=$(CURDIR)/$(1)/caremail $(2) \
			$(PYTHON) -m pytest $(PYTEST_ARGS) \
			tests/integration || rc=$$?; \
		tests=$$(find tests/integration -name 'test_*.py' -print \
			-o -name '*_test.py' -print); \
		if [ $$rc -eq 5 ] && [ -z "$$tests" ]; then \
			echo "integration: no tests yet"; rc=0; \
		fi; \
		exit $$rc; \
	fi
endef

# `make test` on 2 cores: one step at a time, but for the browser suite
# and the fuzz run beside it (test-browser-fuzz). Every step keeps both
# cores nine-tenths busy by itself (vmstat; `time` misses Chromium's CPU,
# as its processes leave pytest's tree), so only less CPU makes `make
# test` quicker. Measured on this machine class (2026-12-05), nothing else
# gains by running side by side: beside the sanitizer build, the unit, PostgreSQL and layer
# checks took 5 min 16 s against some 2 min alone, and the build 220 s
# against 165 s; beside the browser suite, the sanitizer integration suite
# was a quarter done after 24 min and the browser suite took 17 min
# against 8.
test: deps test-gcc test-pg check-layers check-circles check-states \
	test-asan test-browser-fuzz

# The integration suite runs once, against the sanitizer build (test-asan),
# which runs the same code with every access and every UB checked; the gcc
# build runs the unit tests and serves the browser tests. Both builds
# compile everything with -Werror. `make test-integration-gcc` runs the
# integration suite against the gcc build too. The one integration test
# the sanitizer build cannot run runs here: the sanitizer's allocator will
# not share the preloaded shim that fails allocations (tests/faults/), so
# the test skips there and would otherwise run nowhere.
test-gcc: all
	meson test -C build --print-errorlogs
	CAREMAIL_BIN=$(CURDIR)/build/caremail $(PYTHON) -m pytest -q \
		tests/integration/test_smtp_hardening.py -k allocation_failures

test-integration-gcc: all
	$(call integration,build,)

# The store's conformance suite on PostgreSQL (tests/unit/meson.build's
# "pg" suite), once, with the gcc build, against a throwaway PostgreSQL 15
# cluster made for the run and removed after it (scripts/pgcluster.sh).
# Elsewhere the "pg" tests skip: they have no cluster to use.
PG_TEST_DIR ?= /tmp/caremail-pg-$(shell id -u)-test
test-pg: all
	@scripts/pgcluster.sh stop $(PG_TEST_DIR)
	@url=$$(scripts/pgcluster.sh start $(PG_TEST_DIR)) || exit 1; \
	rc=0; CAREMAIL_TEST_PG_URL=$$url meson test -C build --suite pg \
		--print-errorlogs || rc=$$?; \
	scripts/pgcluster.sh stop $(PG_TEST_DIR); exit $$rc

# The pages in headless Chromium against a real server (tests/browser/),
# with the gcc build only: the sanitizers add nothing a browser can see.
BROWSER_SUITE = CAREMAIL_BIN=$(CURDIR)/build/caremail \
	CAREMAIL_WEB_ROOT=$(CURDIR)/build/web \
	$(PYTHON) -m pytest $(PYTEST_ARGS) tests/browser
test-browser: all
	$(BROWSER_SUITE)

# The browser suite and, beside it, the fuzz targets one at a time (they
# use no port). The fuzz lines are printed after the browser suite's; a
# failure of either fails the step. No screenshots here: they are for
# people to look at (`make test-browser` leaves them), and writing them
# took a quarter of the suite's time.
test-browser-fuzz: all asan
	@FUZZ_JOBS=1 FUZZ_SECONDS=$(TEST_FUZZ_SECONDS) scripts/fuzz.sh build-asan \
		>build-asan/fuzz-run.log 2>&1 & fuzz=$$!; \
	rc=0; CAREMAIL_SCREENSHOTS= $(BROWSER_SUITE) || rc=$$?; \
	wait $$fuzz || rc=1; cat build-asan/fuzz-run.log; exit $$rc

# The commands that only set a test's scene (the instance a test starts
# from, the org fixtures, apiclient's people: init, org add, site add, user
# add, user passwd, role add, thousands of times) run from the gcc build
# (CAREMAIL_SETUP_BIN, tests/integration/conftest.py); everything a test
# exercises, those commands' own tests included, runs under the sanitizers.
SETUP_ENV = CAREMAIL_SETUP_BIN=$(CURDIR)/build/caremail
test-asan: all asan
	$(SANITIZER_ENV) meson test -C build-asan --print-errorlogs
	$(call integration,build-asan,$(SANITIZER_ENV) $(SETUP_ENV))

fuzz: asan
	$(FUZZ_RUN)

check-layers: all
	scripts/check-layers.sh

# No state (person status, ...) compared as a string outside its parse.
check-states:
	scripts/check-states.sh

# No two files of one module call each other (scripts/check-circles.py
# names the modules; store/ and core/ keep one circle each: docs/design.md).
check-circles: all
	$(PYTHON) scripts/check-circles.py build

# Only the program: the tests and fuzz targets wait for `make test`.
# SET='section.key=value ...' overrides settings for this run, e.g.
# make run SET='http.listen=127.0.0.1:8081 smtp.listen=127.0.0.1:2526'
run: deps build/build.ninja web
	ninja -C build caremail
	scripts/run-demo.sh $(SET)

# `make run` with mail to other domains going to a DNS stub and SMTP
# sinks on loopback (README, "Mail to other domains"); SET as for run.
demo-outbound: deps build/build.ninja web
	ninja -C build caremail
	$(PYTHON) scripts/demo-outbound.py $(SET)

bench: deps all
	bench/run.sh

clean:
	rm -rf build build-asan
