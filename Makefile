# Two commands run the course: `make lab` (open it in JupyterLab) and `make test` (run every test).
# Both create a local virtual environment in .venv from the pinned lock file on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# JupyterLab refuses to start as root (common in containers) unless told to.
LAB_FLAGS := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)
NOTEBOOKS := $(wildcard notebooks/*.ipynb homework/solutions/*.ipynb homework/*.ipynb)

.PHONY: help install lab test lint sync time book hooks lock clean

help:
	@echo "make lab     set up .venv and open the course in JupyterLab"
	@echo "make test    set up .venv and run the whole test suite"
	@echo "make lint    ruff on course_lib/ and tests/"
	@echo "make sync    re-pair every notebook with its .py twin (jupytext --sync)"
	@echo "make time    execute every notebook in a fresh kernel and print seconds per notebook"
	@echo "make book    build the offline HTML book into _build/book"
	@echo "make hooks   install the local pre-commit hooks"
	@echo "make lock    re-resolve requirements-lock.txt from pyproject.toml"

$(STAMP): pyproject.toml requirements-lock.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements-lock.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab $(LAB_FLAGS) README.md

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check course_lib tests
	$(BIN)/ruff format --check course_lib tests

sync: $(STAMP)
	$(BIN)/jupytext --sync $(NOTEBOOKS)

time: $(STAMP)
	$(BIN)/python -m course_lib time

book: $(STAMP)
	$(BIN)/python -m course_lib book

hooks: $(STAMP)
	$(BIN)/pre-commit install

lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet "torch==2.13.0" -e ".[dev]"
	(sed -n '1,3p' requirements-lock.txt; .lock-venv/bin/python -m pip freeze --exclude-editable \
		| sed 's/^torch==\(.*\)+cpu$$/torch==\1/') > requirements-lock.new
	mv requirements-lock.new requirements-lock.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
