# cnnlab: two commands from a fresh clone.
#   make lab    create .venv if missing, install, write your practice copies, open JupyterLab there
#   make test   the same set-up, then every test (unit, doctests, nbval, browser)
# Everything runs offline once the packages are installed: tools/ensure_env.py reinstalls only when
# the dependencies changed (pyproject.toml's lists or the lock), and falls back to the installed
# environment with a message when it cannot (offline).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.cnnlab-installed
PIP    ?= $(BIN)/python -m pip
# What make installs: the course and the instructors' and CI's tools, at the versions of the lock
# (constraints). Learners' own environment (Binder) is environment.yml: the course alone.
EXTRAS ?= course,test,grade
LOCK   ?= requirements/test.lock.txt
PORT   ?= 8888
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: install lab lint test test-fast torch execute student practice bench clean help wheel-check
.PHONY: demo demo-reset reset check-notebook

help:
	@echo "make lab        your copies of the lessons (exercises blank) in practice/, opened in JupyterLab"
	@echo "                (creates .venv on first use; the solved lessons are in notebooks/)"
	@echo "make practice   the same as make lab"
	@echo "                (a notebook you changed is never replaced; unchanged ones get the course's updates)"
	@echo "make test       run every test: library, doctests, notebooks (nbval), browser"
	@echo "make test-fast  library tests and doctests only"
	@echo "make lint       the linter alone (make test runs it first)"
	@echo "make wheel-check build the wheel, install it non-editable in a fresh venv, run a lesson"
	@echo "make lock       re-pin requirements/*.lock.txt and environment.yml from .venv (UPGRADE=1: newest)"
	@echo "make torch      add PyTorch (lesson 14 only; TORCH=torch==2.13.0 pins a version)"
	@echo "make execute    re-run every notebook top to bottom and store its outputs"
	@echo "                (one notebook: make execute NB=02_convolution.ipynb)"
	@echo "make student    write student versions (solutions removed) to build/student/; a copy there that"
	@echo "                someone edited is kept and make fails (python -m cnnlab.student --force replaces it)"
	@echo "make demo       teach live: refresh demo/ (solutions folded away, no outputs) and open it in"
	@echo "                JupyterLab with large fonts (your own Lab settings are untouched); a demo"
	@echo "                notebook you changed is kept as it is; NB=03_padding_and_stride.ipynb opens that lesson"
	@echo "make demo-reset every demo/ notebook afresh, without opening Lab (one: NB=03_padding_and_stride.ipynb);"
	@echo "                changed ones are saved first as demo/backups/NAME-1.ipynb, -2, ..."
	@echo "make reset NB=03_padding_and_stride.ipynb"
	@echo "                start one practice/ notebook afresh; your copy is saved first as"
	@echo "                practice/backups/03_padding_and_stride-1.ipynb (-2, -3, ...: never overwritten)"
	@echo "make clean      remove build/ and test caches (never practice/ or demo/: delete those yourself)"
	@echo "make check-notebook NB=03_padding_and_stride.ipynb"
	@echo "                every convention test, the student-version tests and nbval for one notebook"
	@echo "make bench      print the benchmark figures"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Runs at every target; installs (pip) only when the dependencies' hash differs from the stamp's.
ENSURE = $(BIN)/python tools/ensure_env.py --stamp $(STAMP) --lock $(LOCK) --extras $(EXTRAS)
$(STAMP): FORCE | $(BIN)/python
	@$(ENSURE) --pip "$(PIP)"
FORCE:
.PHONY: lock FORCE

install: $(STAMP)

# Refresh the lock files and environment.yml from .venv (what the tests pass in). Next term:
# `make lock UPGRADE=1` (newest versions pyproject.toml allows), `make test`, commit requirements/
# and environment.yml.
lock: $(STAMP)
	$(if $(UPGRADE),$(PIP) install --disable-pip-version-check -q -U --upgrade-strategy eager -e ".[$(EXTRAS)]")
	$(BIN)/python tools/envlock.py
	@$(ENSURE) --mark-installed

# PyTorch is optional: lesson 14 uses it, and its tests run only where it is installed.
TORCH ?= torch>=2.1
torch: $(STAMP)
	$(BIN)/python -m pip install --disable-pip-version-check -q "$(TORCH)"

# Stored outputs are compared digit for digit, and a float32 training run's last digits depend on
# how many threads OpenBLAS splits its products over (it picks other kernels). Executing and
# testing with one BLAS thread makes them the same on every machine with the same CPU kind,
# whatever its number of cores (and avoids the 10-20x slowdown of two threads on a busy machine).
ONE_THREAD := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

# Lesson 14 needs PyTorch: without it (and unless CNNLAB_REQUIRE_TORCH=1, as in CI) it is left out.
NEEDS_TORCH := notebooks/14_cnnlab_to_pytorch.ipynb

# JupyterLab as learners see it: nbgrader (in .venv for the tests and for grading) has its teacher
# menus and formgrader switched off by the configuration in tools/learner-jupyter (its README).
LEARNER_LAB := JUPYTER_CONFIG_PATH=$(CURDIR)/tools/learner-jupyter

# One JupyterLab per port: when something already listens on PORT (a Lab started earlier), say so
# and where to go instead of starting a second server (PORT=8889 starts one elsewhere).
PORT_FREE = $(BIN)/python -c "import socket, sys; s = socket.socket(); s.settimeout(0.5); \
	sys.exit(s.connect_ex(('127.0.0.1', $(PORT))) == 0)"
LAB_RUNNING = echo "JupyterLab (or another server) already listens on 127.0.0.1:$(PORT): open"; \
	echo "  http://127.0.0.1:$(PORT)/lab/tree/$(1)"; \
	echo "in your browser (\`$(BIN)/jupyter server list\` shows its token), stop it first (Ctrl+C in"; \
	echo "its terminal), or start another with make $(2) PORT=8889"

# make lab = make practice: your copies (exercises blank) in practice/, refreshed without losing
# your work, opened in JupyterLab there; the solved lessons are in notebooks/, one click away.
lab: practice

# The linter (ruff: pycodestyle, pyflakes, bugbear, import order; settings in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) lint
	@if [ "$$CNNLAB_REQUIRE_TORCH" != 1 ] && ! $(BIN)/python -c "import torch" 2>/dev/null; then \
		echo "PyTorch is not installed: lesson 14 is not run (make torch installs it)"; \
		skip="--ignore=$(NEEDS_TORCH)"; fi; \
	$(ONE_THREAD) $(BIN)/python -m pytest --doctest-modules cnnlab tests notebooks $$skip \
		--nbval --nbval-current-env --nbval-cell-timeout=300 --durations=15

test-fast: $(STAMP)
	$(BIN)/python -m pytest --doctest-modules cnnlab tests -m "not browser and not notebooks"

# Stored outputs are what nbval checks: after editing a notebook, re-execute it in a fresh kernel.
# Widget state is not stored: it would add the explorers' images (hundreds of kB) to every file.
execute: $(STAMP)
	cd notebooks && for nb in $(or $(NB),[0-9]*.ipynb); do \
		echo "executing $$nb"; \
		$(ONE_THREAD) ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace --log-level=WARN \
			--ExecutePreprocessor.store_widget_state=False \
			--ExecutePreprocessor.record_timing=False "$$nb" || exit 1; \
	done

student: $(STAMP)
	$(BIN)/python -m cnnlab.student notebooks build/student

# Self-paced learners: try each exercise in practice/ first; notebooks/ holds the solutions. A practice
# notebook the learner changed is never replaced (make reset NB=... does it, saving theirs first).
practice: $(STAMP)
	$(BIN)/python -m cnnlab.student notebooks practice --keep-existing
	@echo "Your copies: practice/ (exercises blank). The solved lessons: notebooks/."
	@if ! $(PORT_FREE); then $(call LAB_RUNNING,practice,$(or $(MAKECMDGOALS),lab)); exit 0; fi; \
	$(LEARNER_LAB) $(BIN)/python -m jupyterlab --ServerApp.ip=127.0.0.1 --port=$(PORT) \
		--ServerApp.root_dir=$(CURDIR) --LabApp.default_url=/lab/tree/practice $(ROOT_FLAG)

# Teaching live: every demo/ notebook nobody changed is rewritten from notebooks/ (a demo starts
# clean, no outputs); one the teacher changed is kept and named (make demo-reset replaces it, saving
# it in demo/backups/ first), and Lab opens all the same. JupyterLab reads its settings (large
# fonts, no news toasts) from demo/.lab-settings, never from ~/.jupyter.
DEMO := demo
DEMO_LAB := --LabApp.user_settings_dir=$(CURDIR)/$(DEMO)/.lab-settings \
	--LabApp.workspaces_dir=$(CURDIR)/$(DEMO)/.lab-workspaces

demo: $(STAMP)
	$(BIN)/python -m cnnlab.student notebooks $(DEMO) --demo --keep-changed
	$(LEARNER_LAB) $(BIN)/python -m jupyterlab --ServerApp.ip=127.0.0.1 --port=$(PORT) $(DEMO_LAB) \
		--ServerApp.root_dir=$(CURDIR)/$(DEMO) --LabApp.default_url=/lab/tree/$(or $(NB),) $(ROOT_FLAG)

demo-reset: $(STAMP)
	$(BIN)/python -m cnnlab.student notebooks $(DEMO) --demo --force $(if $(NB),--only $(NB),)

reset: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make reset NB=03_padding_and_stride.ipynb (a notebook in practice/)"; exit 2; }
	$(BIN)/python -m cnnlab.student notebooks practice --only $(NB) --force --backup

# One notebook, in seconds: the tests of test_notebooks.py, test_student.py and test_grading.py that take
# a notebook run for NB only (CNNLAB_NOTEBOOK), the course-wide ones as always, and nbval on NB.
# CNNLAB_NOTEBOOKS_DIR=DIR checks DIR/NB instead (a scratch copy of the course).
NB_DIR = $(or $(CNNLAB_NOTEBOOKS_DIR),notebooks)
check-notebook: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make check-notebook NB=03_padding_and_stride.ipynb"; exit 2; }
	CNNLAB_NOTEBOOK=$(notdir $(NB)) CNNLAB_NOTEBOOKS_DIR=$(NB_DIR) $(ONE_THREAD) $(BIN)/python -m pytest \
		-q -m course tests/test_notebooks.py tests/test_student.py tests/test_grading.py \
		$(NB_DIR)/$(notdir $(NB)) \
		--nbval --nbval-current-env --nbval-cell-timeout=300

# What JupyterHub and `pip install .` users get (CI runs it after make test); needs the package
# registry or pip's cache for the fresh environment. LESSON=NN_name.ipynb picks the lesson.
wheel-check: $(STAMP)
	PYTHON=$(PYTHON) bash .ci/wheel-check $(LESSON)

bench: $(STAMP)
	$(BIN)/python benchmarks/conv_speed.py
	$(BIN)/python benchmarks/train_digits.py
	$(BIN)/python benchmarks/input_copy_cost.py
	$(BIN)/python benchmarks/widget_latency.py
	$(BIN)/python benchmarks/memory.py

# practice/ and demo/ hold people's work: clean leaves them (delete them yourself if you mean it).
clean:
	rm -rf build .pytest_cache .hypothesis
