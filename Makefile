# The two commands of the README: `make demo` (the main job) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
# nbgrader runs `alembic` and jupyter runs kernels by name: the venv's bin/ comes first
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: venv demo test lab release check bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

venv: $(VENV)/.installed  ## create the virtual environment with every pinned dependency

demo: venv  ## release, execute the solutions, grade the example submissions, print the scores
	$(PY) -m autograder demo

test: venv  ## the whole test suite
	$(PY) -m pytest

lab: venv  ## JupyterLab on the student notebooks
	$(VENV)/bin/jupyter lab notebooks/

release: venv  ## regenerate notebooks/ from solutions/
	$(PY) -m autograder release

check: venv  ## fail when notebooks/ is out of sync with solutions/
	$(PY) -m autograder release --check

bench: venv  ## grading benchmark: plain `nbgrader autograde` vs `python -m autograder grade` on 20 submissions
	$(PY) -m autograder bench

clean:
	rm -rf grading .pytest_cache
