# The README's two commands: `make run` starts the product, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint bench serve clean assets browser pdf-libs lock audit

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installs exactly what requirements.lock pins (with hashes), then the project itself without
# resolving anything again; `pip check` fails when the lock misses a dependency of pyproject.toml.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $@

# After a change of the ranges in pyproject.toml: pin the newest versions they allow, with hashes
# for every platform. Review the diff of requirements.lock like code.
lock: | $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --generate-hashes --universal \
		--python-version 3.11 --no-header -o requirements.lock

# Known vulnerabilities in the locked Python packages and the npm packages the product ships fail
# the run, unless listed with a reason in audit-ignore.txt (see tools/audit_python.py).
audit: $(VENV)/.installed node_modules/.installed
	$(BIN)/python tools/audit_python.py requirements.lock
	npm audit --omit=dev --audit-level=low

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The bpmn-js viewer as a static asset: build output copied from node_modules (see .gitignore).
# The fonts keep their place beside the css, which refers to them as ../font/.
BPMN_JS := node_modules/bpmn-js/dist
VENDOR := app/web/static/vendor/bpmn-js
$(VENDOR)/.copied: node_modules/.installed package-lock.json
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/assets/bpmn-font/css $(VENDOR)/assets/bpmn-font/font
	cp $(BPMN_JS)/bpmn-navigated-viewer.production.min.js node_modules/bpmn-js/LICENSE $(VENDOR)/
	cp $(BPMN_JS)/assets/diagram-js.css $(BPMN_JS)/assets/bpmn-js.css $(VENDOR)/assets/
	cp $(BPMN_JS)/assets/bpmn-font/css/bpmn.css $(VENDOR)/assets/bpmn-font/css/
	cp $(BPMN_JS)/assets/bpmn-font/font/bpmn.* $(VENDOR)/assets/bpmn-font/font/
	touch $@

# Swagger UI for /api/docs, likewise from node_modules (the network is closed: no CDN).
SWAGGER_UI_DIST := node_modules/swagger-ui-dist
SWAGGER_UI := app/web/static/vendor/swagger-ui
$(SWAGGER_UI)/.copied: node_modules/.installed package-lock.json
	rm -rf $(SWAGGER_UI)
	mkdir -p $(SWAGGER_UI)
	cp $(addprefix $(SWAGGER_UI_DIST)/,swagger-ui.css swagger-ui-bundle.js swagger-ui-standalone-preset.js LICENSE NOTICE) $(SWAGGER_UI)/
	touch $@

# The process owners' modeler (bpmn-js, properties panel, bpmnlint, differ, form editor) bundled
# by esbuild from node_modules and app/web/frontend/ into app/web/static/build/ (see .gitignore).
BUILD := app/web/static/build
$(BUILD)/.built: node_modules/.installed package-lock.json .bpmnlintrc tools/build_assets.mjs $(wildcard app/web/frontend/*)
	node tools/build_assets.mjs

assets: $(VENDOR)/.copied $(SWAGGER_UI)/.copied $(BUILD)/.built

# The browser tests drive Debian's chromium (never `playwright install`: it cannot download here).
# Without it they skip, except with CI=true, where they fail.
browser:
	@if [ -x /usr/bin/chromium ]; then \
		true; \
	elif [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; then \
		echo "browser: installed $$(/usr/bin/chromium --version 2>/dev/null)"; \
	else \
		echo "browser: /usr/bin/chromium is missing and could not be installed (apt-get install chromium as root); the e2e tests will skip, or fail with CI=true"; \
	fi

# WeasyPrint (the Veiligheidskaart and letters as PDF) needs Debian's pango and a font; the VK
# tests read the PDFs back with poppler's pdftotext. Installed like chromium above when missing.
pdf-libs:
	@if [ -e /usr/lib/x86_64-linux-gnu/libpangoft2-1.0.so.0 -o -n "$$(ldconfig -p 2>/dev/null | grep libpangoft2-1.0)" ] \
		&& [ -d /usr/share/fonts/truetype/dejavu ] && command -v pdftotext >/dev/null; then \
		true; \
	elif [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils; then \
		echo "pdf-libs: installed pango, fonts-dejavu-core and poppler-utils"; \
	else \
		echo "pdf-libs: libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils are missing and could not be installed (apt-get install them as root); PDFs cannot be rendered"; \
	fi

run: $(VENV)/.installed node_modules/.installed assets pdf-libs
	$(BIN)/vht init-db
	$(BIN)/vht audit-sleutel
	$(BIN)/vht deploy --eerste-keer --reden "make run: de procedures uit processes/, forms/ en letters/"
	$(BIN)/vht demo
	# The worker (timers, mail) runs beside the web server and stops with it. Without SMTP_HOST it
	# starts a local mail catcher on 127.0.0.1 and the beheerder reads the post at /beheer/mail.
	# Web processes: VHT_WEB_WORKERS, else 2 (gunicorn) on PostgreSQL and 1 (waitress) on SQLite.
	$(BIN)/vht worker & trap 'kill $$!' EXIT INT TERM; $(BIN)/vht serve --host 127.0.0.1 --port $(PORT)

lint: node_modules/.installed
	npx --no-install bpmnlint --max-warnings=0 processes/*.bpmn
	node tools/check_bpmn_import.mjs processes/*.bpmn

test: $(VENV)/.installed lint audit assets browser pdf-libs
	$(BIN)/pytest -q

# The ratios against bare SpiffWorkflow (about a minute), then the HTTP figures (about two
# minutes: fresh databases, `vht serve` subprocesses on loopback; PostgreSQL's are left out when
# it does not answer). The README's Measuring section says what each side does.
bench: $(VENV)/.installed
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/http_load.py

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache
