# The two front-door commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench soak clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# Sources with render = "browser" drive Debian's Chromium through Playwright (never `playwright install`):
# installed here when missing and we may (root with apt-get), else a line saying how.
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
		|| echo "chromium is missing: apt-get install chromium (browser sources and their tests need it)"

demo: $(STAMP)
	$(BIN)/redline demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy .

# Three processes on two cores: many tests wait on daemons and servers, not the CPU; an idle
# worker steals queued tests from a busy one (the real-data proofs run first and take minutes).
# Tests marked `alone` restart PostgreSQL under everyone's feet: they run last, by themselves.
# The CLI processes tests start fork from a warm server (tests/forkserver.py; REDLINE_TEST_FORK=0: plain).
pytest: $(STAMP) chromium
	$(BIN)/pytest -q -n 3 --dist worksteal --durations=25 -m "not alone"
	$(BIN)/pytest -q -m alone

test: lint typecheck pytest

# Every benchmark, one summary table, written into docs/performance.md (about 20 minutes on an idle machine; the two real replays crawl 18 capture steps each).
bench: $(STAMP)
	$(BIN)/python bench/run_all.py

# The crash loop with 20 kill -9s (make test runs 5).
soak: $(STAMP)
	REDLINE_CRASH_ITERATIONS=20 $(BIN)/pytest -q -s tests/test_crash.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
