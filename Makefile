# Warme Overdracht. Two commands do all set-up on a machine with Python 3.11+, make and git:
#   make run    the whole system (embedded nats-server unless NATS_URL is set)
#   make test   the full test suite against a real nats-server
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test contracts demo help clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(INSTALLED)

run: $(INSTALLED) ## run nats-server (unless NATS_URL) and the four services; Ctrl-C stops all
	$(BIN)/python -m services.runtime.supervisor

test: $(INSTALLED) ## run every test against a real nats-server
	$(BIN)/python -m pytest

contracts: $(INSTALLED) ## regenerate contracts/schemas/ from the models
	$(BIN)/python -m contracts.export

clean: ## remove the virtual environment and local data
	rm -rf $(VENV) var
