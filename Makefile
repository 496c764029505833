# Two commands on a fresh machine (Python >= 3.11 and a C++ compiler):
#   make run    -- builds .venv, installs brainlearn, runs the default comparison
#   make test   -- builds .venv, installs brainlearn with its dev extra, runs the test suite
#   make docs   -- the documentation site (Sphinx, examples executed) into docs/_build/html
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.brainlearn-installed

.PHONY: run test docs figures timings bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/brainlearn run --readme README.md

test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist worksteal

# the user guide, the API reference and the example gallery (every examples/plot_*.py run);
# warnings are errors, as in tests/test_docs.py
docs: $(STAMP)
	$(BIN)/sphinx-build -b html -W --keep-going -j 1 docs docs/_build/html

figures: $(STAMP)
	$(BIN)/brainlearn figures --readme README.md

# the per-model timings shipped with the package (for --dry-run), from the committed results
timings: $(STAMP)
	$(BIN)/python -m brainlearn.runner.timings

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_mlp.py
	$(BIN)/python benchmarks/bench_snn.py
	$(BIN)/python benchmarks/bench_engine_options.py
	$(BIN)/python benchmarks/bench_surrogate.py
	$(BIN)/python benchmarks/bench_wide.py snn-stdp
	$(BIN)/python benchmarks/bench_wide.py snn-delta-skip
	$(BIN)/python benchmarks/bench_codes.py
	$(BIN)/python benchmarks/bench_tuning.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks experiments

clean:
	rm -rf $(VENV) .brainlearn_cache build docs/_build docs/generated docs/auto_examples
