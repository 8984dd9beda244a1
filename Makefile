# Targets for working on kumo. `make ci` is what CI runs.
GO ?= go
FUZZTIME ?= 20s

.PHONY: test race lint fuzz-short bench interop ci

test:
	$(GO) test ./...

race:
	$(GO) test -race ./...

lint:
	gofmt -l $$(git ls-files '*.go') | (! grep .)
	$(GO) vet ./...
	cd interop && $(GO) vet ./...
	staticcheck ./... || $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# Runs every fuzz target for FUZZTIME each.
fuzz-short:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Every benchmark, beside its baseline in the same run.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

interop:
	cd interop && $(GO) test -count=1 ./...

ci:
	bash .ci/run
