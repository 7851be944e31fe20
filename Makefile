# The README's two commands: `make demo` and `make test`. Both set everything up from zero.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
INDEX  ?= index

.PHONY: demo test serve lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/jdsearch ingest corpus/ --index $(INDEX)
	$(BIN)/jdsearch clauses --index $(INDEX) --kind duty --lang zh-Hant | head -n 12
	$(BIN)/jdsearch search 客戶檔案 --index $(INDEX) --limit 5
	$(BIN)/jdsearch search '"customer files"' --index $(INDEX) --limit 3 --json | head -n 20
	$(BIN)/jdsearch dupes --index $(INDEX) | tail -n 12
	$(BIN)/jdsearch themes --index $(INDEX) | head -n 30
	$(BIN)/jdsearch export --index $(INDEX) --format skos -o $(INDEX)/taxonomy.ttl
	$(BIN)/jdsearch export --index $(INDEX) --format md | head -n 20

test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/pytest

serve: $(VENV)/.installed
	@test -f $(INDEX)/clauses.sqlite || $(BIN)/jdsearch ingest corpus/ --index $(INDEX)
	$(BIN)/jdsearch serve --index $(INDEX)

lint: $(VENV)/.installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) $(INDEX)/*.sqlite* .pytest_cache
