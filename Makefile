# The two commands of the README: `make run` (the product) and `make test` (the whole suite).
# Both install what they need first (scripts/bootstrap.sh).
.PHONY: run test lint bench demo clean

run:
	bash scripts/bootstrap.sh run
	.venv/bin/posko run

test:
	bash scripts/bootstrap.sh test
	bash scripts/test-services.sh
	.venv/bin/pytest $(PYTEST_ARGS)

lint:
	bash scripts/bootstrap.sh test
	.venv/bin/ruff check .
	.venv/bin/mypy shared services

bench:
	bash scripts/bootstrap.sh test
	.venv/bin/python bench/write_bench.py

demo:
	.venv/bin/posko demo

clean:
	rm -rf .venv var .pytest_cache .mypy_cache .ruff_cache
