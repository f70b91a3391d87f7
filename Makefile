# Shortcuts; bootstrap.sh does the real work and needs nothing but bash and apt.
.PHONY: run test bench
run:
	./bootstrap.sh run
test:
	./bootstrap.sh test
bench:
	.venv/bin/python benchmarks/spotter.py
