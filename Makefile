# povstat developer targets. Everything needs only Go.
GO ?= go
HOUSEHOLDS ?= 10000000
SCALE_SIZES ?= 10000000,100000000

.PHONY: build test vet demo bench bench-go bench-scale bench-scale-1b bench-duckdb test-beam check-report clean

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
# bare decode of the same columns measured in the same run, then the scale
# benchmark.
bench: bench-go build
	./povstat bench --households $(HOUSEHOLDS)
	./povstat bench-scale --sizes $(SCALE_SIZES)

# bench-scale: decode, in-memory and streamed jobs on registries of
# $(SCALE_SIZES) households (100M: about 3 GB of disk, 3 GB of memory).
bench-scale: build
	./povstat bench-scale --sizes $(SCALE_SIZES)

# bench-scale-1b: the manual 1e9-household run (about 30 GB of disk, 7 min
# to generate; streamed only).
bench-scale-1b: build
	./povstat bench-scale --sizes 1000000000 --modes decode-stream,streaming

bench-go:
	$(GO) test -run '^$$' -bench . -benchtime 5x ./indices/ ./datasets/...
	$(GO) test -run '^$$' -bench 'Linearized|Point|Sweep' -benchtime 3x ./pipeline/

# bench-duckdb: DuckDB and povstat on the same generated Parquet files with the
# same threads (cmd/duckbench, its own module; needs cgo, the first build
# takes minutes). 100M and 1B households: run it by hand with --households.
bench-duckdb:
	cd cmd/duckbench && $(GO) run . --households 1000000,10000000 --threads $$(nproc)

# test-beam: the Apache Beam runner (pipeline/beam, its own module) under
# Beam's local runner prism, against pipeline.Run.
test-beam:
	cd pipeline/beam && $(GO) test ./...

# check-report: the demo report in headless Chromium (Debian: chromium);
# fails on any console message or fetch outside the file; keeps a screenshot
# in out/demo/report.png.
check-report: demo
	POVSTAT_REPORT=$(CURDIR)/out/demo/report.html POVSTAT_SCREENSHOT=$(CURDIR)/out/demo/report.png \
		$(GO) test ./reports -run TestBrowser -count=1 -v

clean:
	rm -rf povstat out
