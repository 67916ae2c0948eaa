# The two commands of the README: `make demo` (the main job) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
# nbgrader runs `alembic` and jupyter runs kernels by name: the venv's bin/ comes first
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: venv demo test test-fast lab instructor release check bench mutants search pretrain pipeline clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

venv: $(VENV)/.installed  ## create the virtual environment with every pinned dependency

demo: venv  ## release, grade the example submissions (the solutions among them), print the scores
	$(PY) -m autograder demo

test: venv  ## the whole test suite
	$(PY) -m pytest

test-fast: venv  ## the suite without the slow end-to-end tests
	$(PY) -m pytest -m "not slow"

lab: venv  ## JupyterLab for students: opens notebooks/ (server root: the repository, where nbgrader_config.py is)
	$(PY) -m autograder lab

instructor: venv  ## JupyterLab for instructors: the same server opened at the repository root (Nbgrader > Formgrader)
	$(PY) -m autograder lab --instructor

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

pipeline: venv  ## lecture 13's full training pipeline on CIFAR-10, on a GPU when present (TRAINLAB_DATA must hold CIFAR-10)
	$(PY) -m trainlab.pipeline

bench: venv  ## speed in one run: CIFAR-10 epoch (Solver vs PyTorch vs BLAS bound), each notebook, grading vs nbgrader
	$(PY) -m autograder bench

clean:
	rm -rf grading .pytest_cache
