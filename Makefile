# foodmatch — the two commands: `make demo` and `make test` (both set up .venv on first use).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-all lint docs bench bench-large install clean compare kafka-up kafka-down

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# `make demo PORT=8080` serves on another port (so does FOODMATCH_API_PORT).
demo: $(STAMP)
	$(BIN)/foodmatch demo $(if $(PORT),--port $(PORT))

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(MAKE) --no-print-directory docs

# The docs site (docs/, mkdocs.yml) into site/; --strict: a broken link or anchor fails. Offline:
# no plugin fetches anything. NO_MKDOCS_2_WARNING quiets Material's notice about MkDocs 2.0.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir site

bench: $(STAMP)
	$(BIN)/foodmatch bench

bench-large: $(STAMP)
	$(BIN)/foodmatch bench --large

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist site *.egg-info

compare: $(STAMP)
	$(BIN)/foodmatch compare

kafka-up:
	bash deploy/kafka/kafka-up.sh

kafka-down:
	bash deploy/kafka/kafka-down.sh

# The whole suite with a real PostgreSQL, Kafka broker and Chromium, and Debian's
# docker-compose, prometheus (promtool) and kcat, set up here (as root on Debian).
test-all: $(STAMP)
	bash deploy/install-test-tools.sh
	FOODMATCH_TEST_POSTGRES_URL="$$(bash deploy/postgres/start-local.sh)" \
	FOODMATCH_TEST_KAFKA_BOOTSTRAP="$$(bash deploy/kafka/kafka-up.sh)" \
	FOODMATCH_CHROMIUM="$$(bash deploy/browser/install-chromium.sh)" \
	$(BIN)/python -m pytest
