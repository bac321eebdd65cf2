# Two commands run the course: `make lab` (open it in JupyterLab) and `make test` (run every test).
# Both create a local virtual environment in .venv from the pinned lock file on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(wildcard notebooks/*.ipynb homework/solutions/*.ipynb homework/*.ipynb)
TORCH_VERSION := $(shell sed -n 's/^torch==//p' requirements-lock.txt)

# PyTorch comes from its CPU-only wheel index (on Linux the default index serves the CUDA
# build: a ~900 MB wheel plus several GB of nvidia-* packages). The extra index is used for
# the torch step alone, with --no-deps, so an index that cannot be reached costs one lookup;
# pip then takes torch from a local wheel mirror (find-links) if the machine has one.
# GPU instead: `make clean install TORCH_INDEX=` (torch and its CUDA libraries from PyPI).
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
ifeq ($(strip $(TORCH_INDEX)),)
TORCH_FLAGS :=
else
TORCH_FLAGS := --no-deps --extra-index-url $(TORCH_INDEX)
endif

# Extra JupyterLab options, e.g. `make lab LAB_ARGS="--no-browser --port 8890"`
# (--allow-root is added automatically when you are root).
LAB_ARGS ?=

.PHONY: help install lab test test-portable test-oldest lint sync time book hooks lock clean

help:
	@echo "make lab            set up .venv and open the course in JupyterLab (LAB_ARGS=... for options)"
	@echo "make test           set up .venv and run the whole test suite"
	@echo "make test-portable  run every notebook under other CPU kernels and thread counts (nbval)"
	@echo "make test-oldest    run every notebook in a venv of the oldest supported versions"
	@echo "make lint           ruff on course_lib/, course_tools/ and tests/"
	@echo "make sync           re-pair every notebook with its .py twin (jupytext --sync)"
	@echo "make time           execute every notebook in a fresh kernel and print seconds per notebook"
	@echo "make book           build the offline HTML book into _build/book"
	@echo "make hooks          install the local pre-commit hooks"
	@echo "make lock           re-resolve requirements-lock.txt from pyproject.toml"

$(STAMP): pyproject.toml requirements-lock.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(TORCH_FLAGS) "torch==$(TORCH_VERSION)"
	$(BIN)/python -m pip install --quiet -r requirements-lock.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/python -m course_lib lab $(LAB_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest

test-portable: $(STAMP)
	$(BIN)/python -m course_tools portability

test-oldest: $(STAMP)
	$(BIN)/python -m course_tools oldest --python $(PYTHON)

lint: $(STAMP)
	$(BIN)/ruff check course_lib course_tools tests
	$(BIN)/ruff format --check course_lib course_tools tests

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
	.lock-venv/bin/python -m pip install --quiet $(TORCH_FLAGS) "torch==$(TORCH_VERSION)"
	.lock-venv/bin/python -m pip install --quiet -e ".[dev]"
	(sed -n '1,3p' requirements-lock.txt; .lock-venv/bin/python -m pip freeze --exclude-editable \
		| sed 's/^torch==\(.*\)+cpu$$/torch==\1/') > requirements-lock.new
	mv requirements-lock.new requirements-lock.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .venv-oldest .pytest_cache .ruff_cache .hypothesis
