# The two commands of the README, and the steps they are made of.
#   make run    install what is missing, build, serve on http://127.0.0.1:8080
#   make test   build and run every test (C++ on SQLite and PostgreSQL, sanitizers, browser)
#   make build  build only: the binary is build/default/shopcrm
SHELL := /bin/bash
BIN := build/default/shopcrm
WEB_STAMP := web/node_modules/.package-lock.json

.PHONY: run test build deps deps-test web configure test-cpp test-asan test-browser \
        check-format check-layers format bench clean

run: build web
	mkdir -p data
	@[ -f data/shopcrm.db ] || $(BIN) demo --users 3000 --seed 1 --data-dir data \
	  --database-url sqlite:./data/shopcrm.db --log-level warn
	$(BIN) serve --static-dir web/dist --data-dir data --database-url sqlite:./data/shopcrm.db

test: deps-test
	scripts/test-all.sh

build: deps configure
	cmake --build --preset default

deps:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh test

configure:
	@[ -f build/default/build.ninja ] || cmake --preset default >/dev/null

$(WEB_STAMP): web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $(WEB_STAMP)

web: $(WEB_STAMP)
	cd web && npm run --silent build

test-cpp: build
	scripts/with-postgres.sh ctest --preset default

test-asan: deps
	@[ -f build/asan/build.ninja ] || cmake --preset asan >/dev/null
	cmake --build --preset asan
	scripts/with-postgres.sh ctest --preset asan

test-browser: build web
	scripts/browser-test.sh

check-format:
	scripts/check-format.sh

check-layers:
	scripts/check-layers.sh

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

bench: build
	build/default/bench/shopcrm_bench

clean:
	rm -rf build web/dist
