# Two commands run the course: `make lab` (open it in JupyterLab) and `make test` (run every test).
# Both create a local virtual environment in .venv from the pinned lock file on first use.
# Instructor and contributor targets live in instructor.mk (not in the students' copy).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
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

.PHONY: help install lab test clean

help::
	@echo "make lab            set up .venv and open the course in JupyterLab (LAB_ARGS=... for options)"
	@echo "make test           set up .venv and run the tests"
	@echo "make clean          remove .venv and the caches"

$(STAMP): pyproject.toml requirements-lock.txt
	$(PYTHON) -m venv $(VENV)
	@echo "== setting up .venv (1/3): torch $(TORCH_VERSION), CPU build"
	$(BIN)/python -m pip install --progress-bar off $(TORCH_FLAGS) "torch==$(TORCH_VERSION)"
	@echo "== setting up .venv (2/3): the pinned packages of requirements-lock.txt (the longest step)"
	$(BIN)/python -m pip install --progress-bar off -r requirements-lock.txt
	@echo "== setting up .venv (3/3): course_lib"
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)
	@echo "== .venv is ready"

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/python -m course_lib lab $(LAB_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest

clean::
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

-include instructor.mk
