# The only commands people and CI type. `make run` and `make test` work on a fresh clone.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
STATE  ?= vigil-data
ADDR   ?= 127.0.0.1:8080
DASHBOARD_PORT ?= 3000
AGENT_HOST ?= 127.0.0.1
AGENT_PORT ?= 8081
AGENT_CACHE ?= vigil-agent-cache
# The API suite runs once per store: make test covers SQLite and PostgreSQL.
VIGIL_TEST_API_STORES ?= sqlite,postgres
export VIGIL_TEST_API_STORES
VIGIL_CLUSTER_ADMIN_USERNAME ?= admin
VIGIL_CLUSTER_ADMIN_PASSWORD ?= P@ssw0rd!
export VIGIL_CLUSTER_ADMIN_USERNAME VIGIL_CLUSTER_ADMIN_PASSWORD

.PHONY: install run run-agent test test-fast lint bench wrk fuzz soak clean

install: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	@$(VENV)/bin/vigil init --state-dir $(STATE) --ignore-already-initialized
	@echo ""
	@echo "Vigil is starting on http://$(ADDR)  (Ctrl-C to stop)."
	@echo "Dashboard: http://127.0.0.1:$(DASHBOARD_PORT)  (sign in as $(VIGIL_CLUSTER_ADMIN_USERNAME)). Get a token with:"
	@echo "  curl -u '$(VIGIL_CLUSTER_ADMIN_USERNAME):$(VIGIL_CLUSTER_ADMIN_PASSWORD)' http://$(ADDR)/auth"
	@echo "or log the CLI in with:"
	@echo "  $(VENV)/bin/vigilctl configure --url http://$(ADDR) --username '$(VIGIL_CLUSTER_ADMIN_USERNAME)' --password '$(VIGIL_CLUSTER_ADMIN_PASSWORD)' --non-interactive"
	@echo "Agents connect to ws://$(AGENT_HOST):$(AGENT_PORT) (user agent / P@ssw0rd!), e.g.:"
	@echo "  sensu-agent start --backend-url ws://$(AGENT_HOST):$(AGENT_PORT) --name web1 --subscriptions linux"
	@echo "or start Vigil's own agent for this machine with: make run-agent"
	@echo ""
	@$(VENV)/bin/vigil start --state-dir $(STATE) --api-listen-address $(ADDR) \
		--agent-host $(AGENT_HOST) --agent-port $(AGENT_PORT) --dashboard-port $(DASHBOARD_PORT)

# A vigil-agent for this machine against `make run`'s backend (its agent port).
run-agent: install
	@$(VENV)/bin/vigil-agent start --backend-url ws://$(AGENT_HOST):$(AGENT_PORT) \
		--subscriptions $${SUBSCRIPTIONS:-linux} --cache-dir $(AGENT_CACHE)

test: install lint wrk
	$(PY) -m pytest -q -p no:cacheprovider

test-fast: install
	$(PY) -m pytest -q -p no:cacheprovider -x

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

# wrk (the load generator of bench/wrk_bench.py) comes from Debian's packages.
wrk:
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)

bench: install wrk
	$(PY) -m bench $(BENCH_ARGS)

# schemathesis against a live server from /api/openapi.json, far longer than in `make test`.
fuzz: install
	VIGIL_SCHEMATHESIS_EXAMPLES=$${VIGIL_SCHEMATHESIS_EXAMPLES:-50} \
	VIGIL_SCHEMATHESIS_PHASES=$${VIGIL_SCHEMATHESIS_PHASES:-examples,coverage,fuzzing,stateful} \
	VIGIL_SCHEMATHESIS_TIMEOUT=$${VIGIL_SCHEMATHESIS_TIMEOUT:-3600} \
	$(PY) -m pytest -q -p no:cacheprovider tests/api/test_schemathesis.py

# 64 clients, SIGKILL + restart at random moments, SQLite then PostgreSQL; stops by itself.
SOAK_SECONDS ?= 40
soak: install
	$(PY) bench/soak.py --seconds $(SOAK_SECONDS)

clean:
	rm -rf $(VENV) $(STATE) $(AGENT_CACHE) build *.egg-info
