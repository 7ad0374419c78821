# The two commands a new user needs: `make run` and `make test`. Both set themselves up.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# Test processes: most tests wait on databases and sockets, so two workers halve the wall time
# even on two cores. `make test JOBS=0` runs them in this one process.
JOBS ?= 2

.PHONY: setup run test check bench clean

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Caixiao needs Python 3.11 or newer; set PY=python3.x")'
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@echo "Installing Caixiao and its dependencies into $(VENV) ..."
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/caixiao run

test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(JOBS)

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -n $(JOBS)

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
