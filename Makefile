# Two entry points for a fresh machine (see README):
#   make demo   -- install into .venv and run the demo end to end
#   make test   -- install into .venv and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PLUGINS := plugins/drawcore-boluo plugins/drawcore-tianjin
INSTALL_PLUGINS := $(foreach p,$(PLUGINS),$(if $(wildcard $(p)/pyproject.toml),-e $(p),))

.PHONY: demo test lint install clean messages

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

# Messages: extract what the code marks with _() / N_(), merge into the Chinese catalog
# (translate the new entries in the .po), and compile the .mo that ships beside it.
LOCALE := src/drawcore/locale
messages: $(STAMP)
	$(BIN)/pybabel extract --no-location --omit-header --sort-output -k N_ -k _ \
		-o $(VENV)/drawcore.pot src/drawcore
	$(BIN)/pybabel update --ignore-obsolete --no-fuzzy-matching --width 100 \
		-i $(VENV)/drawcore.pot -d $(LOCALE) -D drawcore -l zh_CN
	$(BIN)/pybabel compile -d $(LOCALE) -D drawcore -l zh_CN

clean:
	rm -rf $(VENV)
