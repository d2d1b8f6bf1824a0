# Every target is idempotent: run it twice, the second run only checks.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install test lint demo bench bench-store wheel clean

install: $(STAMP)
	@scripts/ensure-system-deps.sh

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

demo: install
	$(BIN)/python scripts/demo.py

bench: install
	$(BIN)/python benchmarks/build.py --records 150000 --repeat 3

# dist/accrochage_agent-<version>-py3-none-any.whl, for `pipx install` on a server.
wheel: install
	$(BIN)/python -m pip wheel --no-deps --no-build-isolation --quiet -w dist .
	@ls dist/accrochage_agent-*.whl

bench-store: install
	$(BIN)/python benchmarks/store.py --passages 1000000 --records 150000

clean:
	rm -rf $(VENV) demo-run bench-out dist .mypy_cache .ruff_cache .pytest_cache
