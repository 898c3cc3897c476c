# The everyday commands; each one sets up whatever is missing first (scripts/setup.sh).
.PHONY: start test test-cov setup bench outdated

start:      ## set up, create + migrate the database, start the API on :8000
	bash scripts/start.sh

test:       ## set up and run every type check and test
	bash scripts/test.sh

test-cov:   ## the same, with coverage reports
	bash scripts/test.sh --coverage

setup:      ## install the toolchain and packages, generate the Prisma client
	bash scripts/setup.sh

bench:      ## run the benchmarks under bench/
	bash scripts/bench.sh

outdated:   ## list what has newer releases: the pinned Node and pnpm, every package's dependencies
	bash scripts/outdated.sh
