# povstat developer targets. Everything needs only Go.
GO ?= go
HOUSEHOLDS ?= 10000000

.PHONY: build test vet demo bench bench-go clean

build:
	$(GO) build -o povstat ./cmd/povstat

test:
	$(GO) test ./...

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || (gofmt -l .; echo "gofmt needed"; exit 1)

demo: build
	./povstat demo --out out/demo

# bench: Go micro-benchmarks, then the end-to-end benchmark on a generated
# registry of $(HOUSEHOLDS) households (generated once, kept in
# $${TMPDIR:-/tmp}/povstat-bench-$(HOUSEHOLDS)), reported as ratios to the
# bare decode of the same columns measured in the same run.
bench: bench-go build
	./povstat bench --households $(HOUSEHOLDS)

bench-go:
	$(GO) test -run '^$$' -bench . -benchtime 5x ./indices/ ./datasets/...

clean:
	rm -rf povstat out
