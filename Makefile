# meetup-rsvps: every entry point. `make help` lists them.
SHELL := /bin/bash
BUN := $(CURDIR)/node_modules/.bin/bun
SERVICES ?= kafka postgres
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/.cache/venv/bin:$(PATH)

.DEFAULT_GOAL := help
.PHONY: help setup up down status clean check fmt test demo bench reset \
	replay ingest stream archive etl dashboard

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## install what this machine lacks (npm packages with Bun, Kafka jars, PostgreSQL, duckdb CLI, moto)
	@bash scripts/setup.sh

up: setup ## start Kafka and PostgreSQL (SERVICES="kafka postgres moto" adds moto); no-op if up
	@$(BUN) scripts/services.ts up $(SERVICES)

down: setup ## stop every service, keeping data
	@$(BUN) scripts/services.ts down

status: setup ## one line per service
	@$(BUN) scripts/services.ts status

clean: setup ## stop every service and delete .data (service data)
	@$(BUN) scripts/services.ts clean

check: setup ## type-check (tsc) and lint/format check (Biome)
	@tsc --noEmit -p . && biome check .

fmt: setup ## format and fix lint where safe
	@biome check --write .

test: setup check ## type-check, lint, start services, run every test (unit and integration)
	@$(BUN) scripts/services.ts up kafka postgres moto
	@$(BUN) test --timeout 120000

replay: setup ## serve the Meetup-compatible stream on ws://127.0.0.1:8090/2/rsvps
	@$(BUN) apps/replay/main.ts

ingest: setup ## stream -> Kafka raw topic (bad messages -> dead-letter topic)
	@$(BUN) apps/ingest/main.ts

stream: setup ## raw topic -> windowed analytics -> stats topic
	@$(BUN) apps/stream/main.ts

archive: setup ## raw topic -> lake (local folder, S3 or Firehose)
	@$(BUN) apps/archive/main.ts

etl: setup ## lake raw -> 3NF Parquet -> PostgreSQL
	@$(BUN) apps/etl/main.ts

dashboard: setup ## the live dashboard on http://127.0.0.1:3000
	@$(BUN) apps/dashboard/main.ts

demo: setup ## the whole pipeline live, as far as it exists today
	@bash scripts/demo.sh

reset: setup ## topics, consumer offsets and derived data back to empty (asks first; RESET_CONFIRM=yes skips)
	@RESET_CONFIRM=$(RESET_CONFIRM) $(BUN) scripts/reset.ts

bench: setup ## run the benchmarks in scripts/bench (figures go to docs/benchmarks.md by hand)
	@for f in scripts/bench/[!_]*.ts; do echo "== $$f"; $(BUN) "$$f" || exit 1; done
