# Every target is idempotent: it installs or starts only what is missing.
VENV   ?= .venv
PY     := $(VENV)/bin/python
WARREN := $(VENV)/bin/warren
STAMP  := $(VENV)/.installed-stamp

.PHONY: install engine test-deps image lint test test-unit mutation demo bench console clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(STAMP)  ## Python deps into .venv

engine:  ## install and start the Docker engine when missing
	scripts/ensure-engine.sh

test-deps:  ## PostgreSQL, Chromium, ripgrep and Node (+ tests/js packages) on the host, for the test suite
	scripts/ensure-test-deps.sh

image: install engine  ## build the sandbox image (cached by a hash of its inputs)
	$(WARREN) image build

lint: install  ## ruff, mypy, the layering contracts (import-linter, pyproject [tool.importlinter]) and module sizes
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache --no-logo
	$(PY) scripts/module_sizes.py

# Two pytest workers (pytest-xdist), each test file whole on one: a test session's servers, sandboxes
# and databases are its own (tests/conftest.py labels them per worker), so the workers share nothing.
# Tests marked `alone` run afterwards, one at a time: some security tests compare latencies with and
# without a load or time a CPU cap, and bash's job notices race the other worker's load (a known,
# rare flake of test_run_code.py). tests/security then runs again under runc, the same way.
PYTEST := $(VENV)/bin/pytest -n 2 --dist loadfile
RUNC_SECURITY := WARREN_RUNTIME=runc $(VENV)/bin/pytest tests/security -k "not runc and not runsc"

test: lint image test-deps  ## everything: lint, unit, integration (real engine), conformance, security; then security under runc
	$(PYTEST) -m "not alone"
	$(VENV)/bin/pytest -m alone
	$(RUNC_SECURITY) -n 2 --dist loadfile -m "not alone"
	$(RUNC_SECURITY) -m alone

test-unit: install test-deps  ## the tests that need no engine
	$(PYTEST) tests/unit

mutation: install  ## mutmut over the security-critical modules; survivors must be in tests/mutation/EQUIVALENT.md
	scripts/mutation.sh

demo: image  ## the main job: a real task in a real sandbox
	$(PY) -m orchestrator.demo

BENCHES := provision sessions runtime api idle concurrent upload runtimes egress_tls preview mcp_tools console browser_view pause

bench: image  ## benchmarks: JSON and summary.json in bench/results/ (commit them), the table in README.md
	mkdir -p bench/results
	@for b in $(BENCHES); do \
		start=$$(date +%s); echo "bench.$$b ..." >&2; \
		$(PY) -m bench.$$b > bench/results/$$b.json.part || { rm -f bench/results/$$b.json.part; exit 1; }; \
		mv bench/results/$$b.json.part bench/results/$$b.json; \
		echo "bench.$$b: $$(( $$(date +%s) - start )) s" >&2; \
	done
	$(PY) -m bench.report --summarize --readme README.md

console:  ## rebuild the web console (console/ -> orchestrator/api/console_assets/, committed; needs Node)
	scripts/build-console.sh

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
