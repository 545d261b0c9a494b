# One name for each routine task. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LINTED := $(wildcard bot actions tests bench)
SPACY := var/spacy/nb_blank/KLBOT_VERSION
MODEL := models/klbot.tar.gz
NLU_SOURCES := $(shell find data -name '*.yml' 2>/dev/null) domain.yml config.yml $(wildcard bot/nlp/*.py)

.PHONY: help install spacy train run shell test test-fast lint format validate bench clean db demo

help:
	@echo "make run     start the assistant: web chat, REST, SMS, Telegram on RASA_PORT (5005),"
	@echo "             actions on ACTION_PORT (5055), the demo website on DEMO_PORT (5080),"
	@echo "             the staff inbox on STAFF_PORT (5090); set them in the environment or .env"
	@echo "             (RASA_PORT=15005 make run); KLBOT_PUBLIC_URL follows RASA_PORT unless set"
	@echo "make test    the full test suite (what CI runs)"
	@echo "make test-fast  the tests that need no trained model and no servers"
	@echo "make train   train the model (only when data or config changed)"
	@echo "make shell   talk to the assistant in the terminal"
	@echo "make bench   latency, throughput, memory and training-time numbers"

$(STAMP): pyproject.toml requirements.lock
	@py=$$(PYTHON="$(PYTHON)" scripts/find-python.sh) || exit 1; \
	if [ ! -x $(BIN)/python ]; then echo "Creating $(VENV) with $$py"; $$py -m venv $(VENV); fi
	$(BIN)/python -m pip install -q --upgrade "pip<25" "wheel<0.46"  # 0.46+ needs packaging>=24 (Rasa: <21)
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	@touch $@

install: $(STAMP)

$(SPACY): $(STAMP) bot/nlp/build_spacy.py
	$(BIN)/python -m bot.nlp.build_spacy var/spacy/nb_blank

spacy: $(SPACY)

# Trains from scratch. With KLBOT_MODEL_CACHE set (CI sets ~/.cache/klbot-models), a model
# trained before from the same data, domain, config, bot/nlp and Rasa version is reused
# (bot/nlp/model_cache.py); a new one is stored there.
$(MODEL): $(STAMP) $(SPACY) $(NLU_SOURCES)
	@$(BIN)/python -m bot.nlp.model_cache restore $@ || { \
	  $(BIN)/rasa train --force --fixed-model-name klbot --out models --data data && \
	  $(BIN)/python -m bot.nlp.model_cache save $@; }
	@touch $@

train: $(MODEL)

db: $(STAMP)
	@$(BIN)/klbot db upgrade

demo: db
	@$(BIN)/klbot customers import --if-empty demo/customers.csv

run: $(MODEL) demo
	@scripts/run.sh

shell: $(MODEL)
	@scripts/run.sh --shell

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

format: $(STAMP)
	$(BIN)/ruff format $(LINTED)
	$(BIN)/ruff check --fix $(LINTED)

validate: $(STAMP)
	$(BIN)/rasa data validate --fail-on-warnings

# pytest exits 5 when it collects nothing; that is not a pass here, say so plainly.
# On both cores, a test file per worker (`--dist loadfile`): a file's servers and fixtures stay
# in one process; each worker starts its own session servers on free ports and registers.
test: $(MODEL)
	$(MAKE) lint
	@$(BIN)/python -m pytest -n 2 --dist loadfile; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

# The developer's loop: no trained model, no servers, SQLite only (PostgreSQL runs in
# `make test`), on both cores: YAML checks, conversation rules (replayed in-process), actions
# with a real SQLite register, the register, the channels' logic, the in-process attacks.
# Its time is in the README (measured with `time make test-fast`; minutes, not seconds).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m "not e2e and not browser and not slow and not model and not postgres" --timeout 120

bench: $(MODEL)
	$(BIN)/python -m bench.run

clean:
	rm -rf models results var/spacy .rasa
