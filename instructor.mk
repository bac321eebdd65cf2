# Instructor and contributor targets, included by the Makefile. Not in the students' copy
# (`python -m course_tools release DEST` leaves this file out, and with it these targets).

INSTRUCTOR_STAMP := $(VENV)/.instructor

.PHONY: instructor test-release test-portable test-oldest lint sync time book hooks lock

help::
	@echo "make instructor     add the instructor's tools to .venv (nbgrader, the book, pre-commit, ...)"
	@echo "make test-release   build the student release, install it in a fresh venv and test it there"
	@echo "make test-portable  run every notebook under other CPU kernels and thread counts (nbval)"
	@echo "make test-oldest    run every notebook in a venv of the oldest supported versions"
	@echo "make lint           ruff on course_lib/, course_tools/ and tests/"
	@echo "make sync           re-pair every notebook with its .py twin (jupytext --sync)"
	@echo "make time           execute every notebook in a fresh kernel and print seconds per notebook"
	@echo "make book           build the offline HTML book into _build/book"
	@echo "make hooks          install the local pre-commit hooks"
	@echo "make lock           re-resolve requirements-lock.txt and requirements-instructor.txt"

NOTEBOOKS := $(wildcard notebooks/*.ipynb homework/solutions/*.ipynb homework/*.ipynb)

$(INSTRUCTOR_STAMP): $(STAMP) requirements-instructor.txt
	@echo "== adding the instructor's tools to .venv (requirements-instructor.txt)"
	$(BIN)/python -m pip install --progress-bar off -r requirements-instructor.txt
	touch $(INSTRUCTOR_STAMP)

instructor: $(INSTRUCTOR_STAMP)

test-release: $(STAMP)
	$(BIN)/python -m course_tools test-release --python $(PYTHON)

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
	$(BIN)/python -m course_tools time

book: $(INSTRUCTOR_STAMP)
	$(BIN)/python -m course_tools book

hooks: $(INSTRUCTOR_STAMP)
	$(BIN)/pre-commit install

# Two resolutions from pyproject.toml: the students' set (dependencies + [test]), then the
# instructor's extra on top of it; each lock keeps the three comment lines at its top.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet $(TORCH_FLAGS) "torch==$(TORCH_VERSION)"
	.lock-venv/bin/python -m pip install --quiet -e ".[test]"
	.lock-venv/bin/python -m pip freeze --exclude-editable \
		| sed 's/^torch==\(.*\)+cpu$$/torch==\1/' > .lock-student
	.lock-venv/bin/python -m pip install --quiet -e ".[test,instructor]"
	.lock-venv/bin/python -m pip freeze --exclude-editable \
		| sed 's/^torch==\(.*\)+cpu$$/torch==\1/' | grep -vxFf .lock-student > .lock-instructor || true
	(sed -n '1,3p' requirements-lock.txt; cat .lock-student) > requirements-lock.txt
	(sed -n '1,4p' requirements-instructor.txt; cat .lock-instructor) > requirements-instructor.txt
	rm -rf .lock-venv .lock-student .lock-instructor

clean::
	rm -rf .venv-oldest  # from before the cache moved out of the checkout
