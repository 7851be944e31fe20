# The README's two commands: `make demo` and `make test`. Both set everything up from zero.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
INDEX  ?= index

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/jdsearch ingest corpus/ --index $(INDEX)
	$(BIN)/jdsearch clauses --index $(INDEX) --kind duty --lang zh-Hant | head -n 20
	$(BIN)/jdsearch clauses --index $(INDEX) --kind requirement --json | head -n 24

test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) $(INDEX)/*.sqlite* .pytest_cache
