# Two commands for a new user (see README): `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
RASA    := $(VENV)/bin/rasa
RASA_PORT := 5005
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONHASHSEED := 0

TRAIN_SOURCES := config.yml domain.yml $(wildcard nlu_data/*.yml) $(wildcard bot/nlu/*.py) bot/text.py

.PHONY: help setup kb train run shell test eval bench clean

help:
	@echo "make run    set up, build the KB, train if needed, start the assistant on localhost"
	@echo "make shell  chat with the running assistant in this terminal"
	@echo "make test   set up, build the KB, train if needed, run all tests"
	@echo "make eval   intent accuracy on the held-out split, procedure recognition on the dev set"
	@echo "make bench  REST latency through the running servers"

$(VENV)/.installed: requirements.txt pyproject.toml scripts/find_python310.sh
	@set -e; py=$$(scripts/find_python310.sh); \
	  if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; assert sys.version_info[:2]==(3,10)' 2>/dev/null; then \
	    echo "Creating $(VENV) with $$py"; rm -rf $(VENV); "$$py" -m venv $(VENV); fi
	$(PY) -m pip install -q --upgrade "pip<24.1"
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	@touch $@

setup: $(VENV)/.installed

# The curated core, plus the national portal crawl when it is at $$DVCQG_DATA or
# ../shared/data/dvcqg-2026 (rebuilt only when the records, the KB code or the crawl changed).
kb: setup
	$(PY) -m procedures_kb prepare

# Retrain only when the training data, the config or the NLU code changed (fingerprint file).
train: setup
	@set -e; fp=$$(cat $(TRAIN_SOURCES) | sha256sum | cut -c1-16); \
	  if ls models/*-$$fp.tar.gz >/dev/null 2>&1; then echo "Model up to date (models/*-$$fp.tar.gz)"; \
	  else echo "Training the model ($$fp)…"; start=$$(date +%s); \
	    $(RASA) train --config config.yml --domain domain.yml --data nlu_data --out models \
	      --fixed-model-name "tthc-$$fp" --quiet; \
	    echo "Training took $$(( $$(date +%s) - start )) s"; fi

run: setup kb train
	@scripts/run_servers.sh

shell: setup
	$(PY) -m bot chat --url http://localhost:$(RASA_PORT)

test: setup kb train
	$(PY) -m pytest -q -ra

eval: setup kb train
	$(PY) -m tests.eval_nlu
	$(PY) -m tests.eval_procedures

bench: setup kb train
	$(PY) -m tests.bench_latency

clean:
	rm -rf models procedures_kb/build .pytest_cache
