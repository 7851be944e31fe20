# The README's two commands: `make demo` and `make test`. Both set everything up from zero.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
INDEX  ?= index

.PHONY: demo test serve lint bench clean java

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	@$(MAKE) --no-print-directory java
	touch $@

# Spark (jdsearch spark, tests/test_spark.py) needs Java 17+ (pyspark comes with the test extra):
# Debian's JRE is installed when no usable Java is found and apt-get can (as root, or by sudo -n);
# otherwise the Spark tests are skipped with their reason and everything else runs.
java: | $(BIN)/python
	@$(BIN)/python -c 'import sys; from jdsearch.spark import java_problem as p; sys.exit(bool(p()))' \
	  2>/dev/null || { command -v apt-get >/dev/null 2>&1 && \
	  { S=$$( [ "$$(id -u)" = 0 ] || echo sudo -n ); $$S apt-get update -qq && \
	    $$S apt-get install -y -qq openjdk-17-jre-headless; } >/dev/null 2>&1; } || \
	  echo "note: no Java 17+ (apt-get install openjdk-17-jre-headless): Spark tests skip"

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
