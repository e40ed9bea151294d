# Entry points; each is one script (see README.md and docs/performance.md).
.PHONY: run test bench

run:
	scripts/run

test:
	scripts/test

bench:
	bench/run
