# tickwire: `make run` starts the server with the demo game; `make test` runs
# the whole suite (installing the system packages it needs when missing).

GO       ?= go
ADDR     ?= 127.0.0.1:8080
FUZZTIME ?= 60s
# How long each fuzz target runs inside `make test` (beyond its corpus).
TEST_FUZZTIME ?= 3s
WASM_EXEC := $(shell $(GO) env GOROOT)/lib/wasm/go_js_wasm_exec
BIN      := bin

# toxiproxy (fault-injection tests), pinned and built into bin/tools.
TOXIPROXY_VERSION := v2.12.0
TOXIPROXY := $(BIN)/tools/toxiproxy-server

# Packages that must compute bit-identical results in the browser: their
# tests also run under js/wasm (in Node).
WASM_TEST_PKGS := ./sim/... ./netcode/delta/... ./netcode/timing/... ./netcode/predict/...

.PHONY: all run build test test-go test-wasm fuzz-short fuzz schema schema-check \
	bench vet fmt-check deps toxiproxy ci clean
.PHONY: wasm demo

all: build

## run: start the server with the demo game on $(ADDR), the browser demo at /
run: wasm
	$(GO) run ./server/cmd/tickwire -addr $(ADDR) -web $(WEB_DIR)

## demo: run the desktop demo client against the server on $(ADDR)
demo:
	$(GO) run ./demo-client -url ws://$(ADDR)/ws

# The browser bundle: the page, Go's wasm_exec.js, the game compiled to
# WebAssembly, and gzip copies the server sends to browsers that accept them.
# File targets, so `make run` rebuilds only when a Go source changed.
WEB_DIR      := $(BIN)/web
WASM_EXEC_JS := $(shell $(GO) env GOROOT)/lib/wasm/wasm_exec.js
DEMO_SRCS    := $(shell find demo-client netcode sim schema -name '*.go' -not -name '*_test.go' 2>/dev/null) go.mod go.sum

## wasm: build the browser demo into bin/web (only when its sources changed)
wasm: $(WEB_DIR)/index.html $(WEB_DIR)/wasm_exec.js $(WEB_DIR)/wasm_exec.js.gz \
	$(WEB_DIR)/demo.wasm $(WEB_DIR)/demo.wasm.gz

$(WEB_DIR)/demo.wasm: $(DEMO_SRCS)
	@mkdir -p $(@D)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -o $@ ./demo-client

$(WEB_DIR)/wasm_exec.js: $(WASM_EXEC_JS)
	@mkdir -p $(@D)
	cp $< $@

$(WEB_DIR)/index.html: demo-client/web/index.html
	@mkdir -p $(@D)
	cp $< $@

$(WEB_DIR)/%.gz: $(WEB_DIR)/%
	gzip -9 -k -f -n $<

## build: compile everything, the server binary into bin/
build:
	$(GO) build ./...
	GOOS=js GOARCH=wasm $(GO) build ./netcode/... ./sim/...
	$(GO) build -o $(BIN)/tickwire ./server/cmd/tickwire

## test: vet, the whole suite with -race, the js/wasm suite, short fuzzing
test: deps vet test-go test-wasm fuzz-short

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./netcode/... ./sim/...

test-go: $(TOXIPROXY)
	TICKWIRE_TOXIPROXY=$(CURDIR)/$(TOXIPROXY) $(GO) test -race -count=1 ./...

test-wasm:
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="$(WASM_EXEC)" $(WASM_TEST_PKGS)

# Every fuzz target in the repo, found by name, for $(1) each.
define run_fuzz
	@set -e; for pkg in $$($(GO) list ./...); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | cut -d' ' -f2); do \
			echo "fuzz $$pkg $$t ($(1))"; \
			out=$$($(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(1) $$pkg 2>&1) || \
				{ echo "$$out" | tail -40; echo "FAIL: fuzz $$pkg $$t: rerun with: go test -run='^$$' -fuzz='^$$t$$' $$pkg"; exit 1; }; \
		done; \
	done
endef

## fuzz-short: every fuzz target briefly (part of make test)
fuzz-short:
	$(call run_fuzz,$(TEST_FUZZTIME))

## fuzz: every fuzz target for $(FUZZTIME)
fuzz:
	$(call run_fuzz,$(FUZZTIME))

## schema: regenerate schema/wire from schema/tickwire.fbs with a matching flatc
schema: deps
	./schema/gen.sh

schema-check: deps
	./schema/gen.sh --check

## bench: the Go benchmarks
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

## loadtest: the peer scenario at $(LOADTEST_BOTS) bots, server and bots on separate cores; reports in bin/loadtest/
LOADTEST_BOTS ?= 500 1000 1500
.PHONY: loadtest
loadtest:
	$(GO) build -o $(BIN)/tickwire ./server/cmd/tickwire
	$(GO) build -o $(BIN)/loadbots ./loadbots
	BIN=$(BIN) OUT=$(BIN)/loadtest ./loadbots/loadtest.sh $(LOADTEST_BOTS)

## soak: $(SOAK_BOTS) bots with churn for $(SOAK_DURATION); server goroutines, heap, RSS must stay flat (not part of test)
SOAK_DURATION ?= 10m
SOAK_BOTS     ?= 1000
SOAK_CHURN    ?= 10
.PHONY: soak
soak:
	$(GO) build -o $(BIN)/tickwire ./server/cmd/tickwire
	$(GO) build -o $(BIN)/loadbots ./loadbots
	BIN=$(BIN) OUT=$(BIN)/soak SOAK_DURATION=$(SOAK_DURATION) SOAK_BOTS=$(SOAK_BOTS) SOAK_CHURN=$(SOAK_CHURN) ./loadbots/soak.sh

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

## deps: install the system packages tests need, when missing (Debian)
deps:
	@./.ci/deps.sh

## toxiproxy: build the pinned toxiproxy server the fault tests drive
toxiproxy: $(TOXIPROXY)

$(TOXIPROXY):
	@mkdir -p $(BIN)/tools/.toxiproxy
	GOBIN=$(CURDIR)/$(BIN)/tools/.toxiproxy $(GO) install github.com/Shopify/toxiproxy/v2/cmd/server@$(TOXIPROXY_VERSION)
	mv $(BIN)/tools/.toxiproxy/server $@

## ci: what .ci/run runs
ci: fmt-check schema-check test

clean:
	rm -rf $(BIN)
