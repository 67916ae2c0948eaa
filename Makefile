# The two commands of the README: `make demo` (the main job) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
# nbgrader runs `alembic` and jupyter runs kernels by name: the venv's bin/ comes first
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: venv demo test test-fast lab release check bench mutants search pretrain clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

venv: $(VENV)/.installed  ## create the virtual environment with every pinned dependency

demo: venv  ## release, execute the solutions, grade the example submissions, print the scores
	$(PY) -m autograder demo

test: venv  ## the whole test suite
	$(PY) -m pytest

test-fast: venv  ## the suite without the slow end-to-end tests
	$(PY) -m pytest -m "not slow"

lab: venv  ## JupyterLab on the student notebooks
	$(VENV)/bin/jupyter lab notebooks/

release: venv  ## regenerate notebooks/ from solutions/
	$(PY) -m autograder release

check: venv  ## fail when notebooks/ is out of sync with solutions/
	$(PY) -m autograder release --check

mutants: venv  ## mutation score of every lecture's tests, survivors with their recorded reasons
	$(PY) -m autograder mutants

search: venv  ## lecture 10's full CIFAR-10 hyperparameter search (~10 min on 2 cores; TRAINLAB_DATA must hold CIFAR-10)
	$(PY) -m trainlab.search full --out data/search/cifar10_search.json

pretrain: venv  ## retrain lecture 12's shipped pretrained nets and check them against data/ (seeded)
	$(PY) -m trainlab.transfer pretrain --check

bench: venv  ## grading benchmark: plain `nbgrader autograde` vs `python -m autograder grade` on 20 submissions
	$(PY) -m autograder bench

clean:
	rm -rf grading .pytest_cache
