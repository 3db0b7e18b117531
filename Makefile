# The two commands of README.md: `make demo` and `make test`.
# Each works from a fresh clone: it makes .venv and installs what it needs.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test test-quick lint format chromium services wheel package bench clean widget
# The build tools of package.json (esbuild), pinned by package-lock.json.
NODE_DEPS := node_modules/.package-lock.json

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

## make demo: the example shop with live chat on http://127.0.0.1:8000/
demo: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/daphne -b $(HOST) -p $(PORT) example_shop.asgi:application

## make test: the whole suite, against real PostgreSQL, Redis, daphne and Chromium,
## on two processes: one runs the tests of the live daphne shop (e2e, browser),
## the other the rest (tests/conftest.py groups them), among them
## tests/test_docs.py (docs/ built with Sphinx, warnings as errors) and
## scripts/check-package: the sdist and wheel built, checked, installed in a new
## virtualenv with Django 4.2, and the tests of the admin, API, widget and
## protocol run against that install (tests/test_packaging.py); then
## livechat.contrib.oscar in a stock django-oscar shop, under its own settings
## (tests/oscar)
test: $(STAMP) chromium $(NODE_DEPS)
	bash scripts/ensure-services
	$(BIN)/python manage.py makemigrations --check --dry-run livechat
	node --test tests/js/
	$(BIN)/pytest -n 2 --dist loadgroup
	$(BIN)/pytest -n 0 --ds tests.oscar.settings tests/oscar

## make test-quick: the developer's loop, about a minute; CI runs `make test`
# Leaves out the fuzzing and the tests that wait seconds on the server's timers
# (marked slow), daphne (e2e), Chromium (browser) and the new projects built by
# following the installation docs (install).
QUICK := not slow and not e2e and not browser and not install
test-quick: $(STAMP) $(NODE_DEPS)
	bash scripts/ensure-services
	node --test tests/js/
	$(BIN)/pytest -m "$(QUICK)"
	$(BIN)/pytest -n 0 --ds tests.oscar.settings tests/oscar -m "not browser"

chromium:
	@bash scripts/ensure-chromium
	@# axe-core (npm registry) for the browser tests' accessibility checks.
	@if [ ! -d tests/browser/node_modules/axe-core ]; then \
	  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; fi

$(NODE_DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

## make widget: rebuild livechat/static/livechat/widget.min.js from the readable
## ES modules of livechat/static/livechat/widget/ (commit the result: a
## pip-installed app needs no Node; tests/test_widget_bundle.py checks it)
widget: $(NODE_DEPS)
	npm run --silent widget

lint: $(STAMP)
	$(BIN)/ruff check livechat example_shop tests bench scripts/check-package
	$(BIN)/ruff format --check livechat example_shop tests bench scripts/check-package

format: $(STAMP)
	$(BIN)/ruff format livechat example_shop tests bench scripts/check-package
	$(BIN)/ruff check --fix livechat example_shop tests bench scripts/check-package

wheel: $(STAMP)
	rm -rf dist build
	$(BIN)/python -m build --wheel --outdir dist .
	$(BIN)/python -m zipfile -l dist/*.whl

## make package: scripts/check-package: build the sdist and wheel, twine check,
## a new virtualenv, the quick subset against the installed app (`tox -e package`
## runs the whole suite there; `scripts/check-package --help`)
package: $(STAMP)
	bash scripts/ensure-services
	$(BIN)/python scripts/check-package

clean:
	rm -rf $(VENV) .tox dist build *.egg-info .pytest_cache db.sqlite3 node_modules
