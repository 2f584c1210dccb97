# Roster's everyday commands. `make run` needs nothing but Go; `make test`
# also needs PostgreSQL on 127.0.0.1:5432 (TEST_DATABASE_URL) and Chromium
# at /usr/bin/chromium (.ci/run installs both on a fresh machine).

GO        ?= go
# go.mod's toolchain line names the Go release Roster is built and tested
# with. A Go whose go.env says GOTOOLCHAIN=local (as on CI) ignores that
# line; with auto, every target below uses that release, which the go command
# fetches from the module proxy once. `make X GOTOOLCHAIN=local` opts out.
export GOTOOLCHAIN ?= auto
BIN       ?= bin/roster
PKGS      := ./...
TEST_FLAGS ?= -race -count=1 -timeout 20m
# The golang.org/x/vulndb version `make vuln` builds its database from. To
# bump: `go list -m -json golang.org/x/vulndb@latest` and paste the Version.
VULNDB    ?= v0.0.0-20261105234957-e22db6528018

.PHONY: run build test generate check-generate lint vuln bench clean

## run: start Roster on the embedded SQLite database (roster.db)
run: build
	./$(BIN) serve

## build: build the roster binary into bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="-s -w" -o $(BIN) ./cmd/roster

## test: run every test, on SQLite and PostgreSQL, including the browser tests
test:
	$(GO) test $(TEST_FLAGS) $(PKGS)

## generate: regenerate templ output (committed)
generate:
	$(GO) tool templ generate

## check-generate: fail if generated files are out of date
check-generate: generate
	@git diff --exit-code -- '*_templ.go' || (echo "make generate changed files: commit the generated output" >&2; exit 1)
	@test -z "$$(git status --porcelain -- '*_templ.go')" || (echo "make generate created uncommitted files" >&2; git status --porcelain -- '*_templ.go'; exit 1)

## lint: go vet and a gofmt check
lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '_templ.go$$')); \
	if [ -n "$$out" ]; then echo "gofmt wants changes in:"; echo "$$out"; exit 1; fi

## vuln: govulncheck against golang.org/x/vulndb@$(VULNDB), built once into .cache/vulndb;
## fails on a vulnerability in called code that has a fix, prints the rest
vuln:
	$(GO) run ./cmd/vulncheck -go $(GO) -vulndb $(VULNDB) -cache .cache/vulndb $(PKGS)

## bench: run the benchmarks (figures go to docs/benchmarks.md)
bench:
	$(GO) test -run '^$$' -bench . -benchtime 5x $(PKGS)

clean:
	rm -rf bin
