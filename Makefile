# `make run` and `make test` set everything up on a fresh machine (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export VENV

.PHONY: run test lint pytest bench bundle install-desktop shell clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall when the project's dependencies change.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	scripts/system-deps.sh run
	$(BIN)/livret --demo

# A shell whose PATH starts with the venv: `livret …` then works as in the README.
shell: $(VENV)/.installed-run
	@echo "La commande livret est disponible ; exit pour quitter ce shell."
	@PATH="$(abspath $(BIN)):$$PATH" VIRTUAL_ENV="$(abspath $(VENV))" $${SHELL:-/bin/sh} -i

test: $(VENV)/.installed-dev
	scripts/system-deps.sh test
	$(MAKE) --no-print-directory lint pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check livret tests bench scripts
	$(BIN)/ruff format --check livret tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

pytest: $(VENV)/.installed-dev
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest

bench: $(VENV)/.installed-dev
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench $(if $(SCALE),--scale $(SCALE))

# One-folder bundle in dist/livret (runs without Python installed).
bundle: $(VENV)/.installed-run
	$(BIN)/pip install --quiet --disable-pip-version-check pyinstaller==6.22.3
	$(BIN)/pyinstaller --noconfirm livret.spec

# Menu entry and icons for this user (PREFIX=/usr/local, DESTDIR=… for a package).
install-desktop:
	packaging/linux/install-desktop.sh $(abspath dist/livret)

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
