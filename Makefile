# Two entry points for a fresh machine (see README):
#   make demo   -- install into .venv and run the demo end to end
#   make test   -- install into .venv and run the whole test suite
#   make mutate -- optional: mutation testing of the core modules (docs/testing.md)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PLUGINS := plugins/drawcore-boluo plugins/drawcore-tianjin
INSTALL_PLUGINS := $(foreach p,$(PLUGINS),$(if $(wildcard $(p)/pyproject.toml),-e $(p),))

.PHONY: demo test lint docs install clean mutate messages

$(STAMP): pyproject.toml $(wildcard plugins/*/pyproject.toml)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,dask]" $(INSTALL_PLUGINS)
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/drawcore demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict src plugins/drawcore-boluo/src plugins/drawcore-tianjin/src
	$(BIN)/lint-imports

DOCS_STAMP := $(VENV)/.docs-installed

$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	touch $(DOCS_STAMP)

# the documentation site (MkDocs, Material theme, API reference from the docstrings)
docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# MUTANTS narrows the run to mutant names (globs), e.g. MUTANTS='drawcore.record.seeding*'
MUTANTS ?=
mutate: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[mutate]"
	$(BIN)/mutmut run --max-children 2 $(MUTANTS)
	$(BIN)/mutmut results

# Messages: extract what the code marks with _() / N_(), merge into the Chinese catalog
# (translate the new entries in the .po), and compile the .mo that ships beside it.
LOCALE := src/drawcore/locale
messages: $(STAMP)
	$(BIN)/pybabel extract --no-location --omit-header --sort-output -k N_ -k _ -k msg \
		-o $(VENV)/drawcore.pot src/drawcore
	$(BIN)/pybabel update --ignore-obsolete --no-fuzzy-matching --width 100 \
		-i $(VENV)/drawcore.pot -d $(LOCALE) -D drawcore -l zh_CN
	$(BIN)/pybabel compile -d $(LOCALE) -D drawcore -l zh_CN

clean:
	rm -rf $(VENV) site mutants
