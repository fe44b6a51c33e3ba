# The README's two commands: `make run` starts the product, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint bench serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall when the project's dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: $(VENV)/.installed
	$(BIN)/vht init-db
	$(BIN)/vht deploy
	$(BIN)/vht demo
	$(BIN)/vht serve --host 127.0.0.1 --port $(PORT)

lint: node_modules/.installed
	npx --no-install bpmnlint --max-warnings=0 processes/*.bpmn
	node tools/check_bpmn_import.mjs processes/*.bpmn

test: $(VENV)/.installed lint
	$(BIN)/pytest -q

bench: $(VENV)/.installed
	$(BIN)/python bench/bench.py

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache
