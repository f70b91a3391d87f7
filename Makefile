# Shortcuts; bootstrap.sh does the real work and needs nothing but bash and apt.
.PHONY: run test bench
run:
	./bootstrap.sh run
test:
	./bootstrap.sh test
bench:  # the corpus (cached after the first run), then the spotter on its test split
	.venv/bin/python -m benchmarks.corpus --jobs 2
	.venv/bin/python -m benchmarks.spotter --split test --jobs 2
