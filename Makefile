# Set-up is part of both targets: a fresh clone needs only `make serve` or `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

$(BIN)/coach: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(BIN)/coach

.PHONY: install serve test lint
install: $(BIN)/coach

serve: $(BIN)/coach
	$(BIN)/coach serve

test: $(BIN)/coach
	$(BIN)/python -m pytest

lint: $(BIN)/coach
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
