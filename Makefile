# meetup-rsvps: every entry point. `make help` lists them.
SHELL := /bin/bash
BUN := $(CURDIR)/node_modules/.bin/bun
SERVICES ?= kafka postgres
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/.cache/venv/bin:$(PATH)

.DEFAULT_GOAL := help
.PHONY: help setup up down status clean check fmt test test-unit demo bench reset \
	replay ingest stream archive etl eda ml dashboard

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## install what this machine lacks (npm packages with Bun, Kafka jars, PostgreSQL, duckdb CLI, moto)
	@bash scripts/setup.sh

$(BUN):
	@bash scripts/setup.sh

up: $(BUN) ## start Kafka and PostgreSQL (SERVICES="kafka postgres moto" adds moto); no-op if up
	@$(BUN) scripts/services.ts up $(SERVICES)

down: $(BUN) ## stop every service, keeping data
	@$(BUN) scripts/services.ts down

status: $(BUN) ## one line per service
	@$(BUN) scripts/services.ts status

clean: $(BUN) ## stop every service and delete .data (service data)
	@$(BUN) scripts/services.ts clean

check: $(BUN) ## type-check (tsc) and lint/format check (Biome)
	@tsc --noEmit -p . && biome check .

fmt: $(BUN) ## format and fix lint where safe
	@biome check --write .

test: $(BUN) check ## type-check, lint, start services, run every test (unit and integration)
	@$(BUN) scripts/services.ts up kafka postgres moto
	@$(BUN) test

test-unit: $(BUN) ## only the tests that need no service
	@$(BUN) test modules

replay: $(BUN) ## serve the Meetup-compatible stream on ws://127.0.0.1:8090/2/rsvps
	@$(BUN) apps/replay/main.ts

ingest: $(BUN) ## stream -> Kafka raw topic (bad messages -> dead-letter topic)
	@$(BUN) apps/ingest/main.ts

stream: $(BUN) ## raw topic -> windowed analytics -> stats topic
	@$(BUN) apps/stream/main.ts

archive: $(BUN) ## raw topic -> lake (local folder, S3 or Firehose)
	@$(BUN) apps/archive/main.ts

etl: $(BUN) ## lake raw -> 3NF Parquet -> PostgreSQL
	@$(BUN) apps/etl/main.ts

dashboard: $(BUN) ## the live dashboard on http://127.0.0.1:3000
	@$(BUN) apps/dashboard/main.ts

demo: $(BUN) ## the whole pipeline live, as far as it exists today
	@bash scripts/demo.sh

bench: $(BUN) ## run the benchmarks in scripts/bench (figures go to docs/benchmarks.md by hand)
	@for f in scripts/bench/*.ts; do echo "== $$f"; $(BUN) "$$f" || exit 1; done
