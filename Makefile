# The two commands a new user runs: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
CHROMIUM := /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export HF_DATASETS_OFFLINE ?= 1
export GRADIO_ANALYTICS_ENABLED ?= False

.PHONY: install test demo bench report app open-head clean

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test,render]"
	touch $(STAMP)

test: install $(CHROMIUM)
	$(BIN)/python -m pytest -q

# The headless browser of the face agent's browser test: Debian's chromium (Playwright cannot download one here).
$(CHROMIUM):
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium || \
	  (DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium)

# The interactive face agent (Gradio) on the demo models: http://127.0.0.1:7860
app: install
	$(BIN)/python -m tdmm_hub.face_agent_app --models outputs/demo

demo: install
	$(BIN)/python -m tdmm_demo --out outputs/demo

# The paper's experiments on the demo models, speed, then what one face token per frame can hold (trains what is
# missing; about 80 minutes on 2 cores).
bench: install
	$(BIN)/python benchmarks/paper.py --models outputs/demo --out outputs/bench/report
	$(BIN)/python benchmarks/run.py --models outputs/demo --out outputs/bench
	$(BIN)/python benchmarks/tokenizer_variants.py --models outputs/demo --out outputs/bench/tokenizer_variants

# The full evaluation report of the demo models (make demo first; the demo itself writes the quick one).
report: install
	$(BIN)/python -m tdmm_eval report --models outputs/demo --out outputs/report

# Rebuild the embedded head from code (modeling_tdmm/open_head/).
open-head: install
	$(BIN)/python -m modeling_tdmm.open_head.build

clean:
	rm -rf outputs .pytest_cache
