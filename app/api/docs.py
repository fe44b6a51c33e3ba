"""/api/docs: Swagger UI on the OpenAPI document, from local files only (the network is closed).

flask-smorest's own Swagger UI page starts the viewer with an inline script, which the
Content-Security-Policy forbids, so this page is ours: the viewer's files come from npm
`swagger-ui-dist` (copied by `make assets` into static/vendor/swagger-ui/) and a small static
initializer reads the document's URL from a data attribute.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, render_template_string, url_for

bp = Blueprint("api_docs_page", __name__, static_folder="static", static_url_path="/static/api")

VENDOR = "vendor/swagger-ui"
ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js")
# The viewer sets style attributes and shows its icons as data: images; no inline script, no
# other origin (the online spec validator is switched off in the initializer).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")

PAGE = """<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} &ndash; documentatie</title>
<link rel="stylesheet" href="{{ url_for('static', filename=vendor + '/swagger-ui.css') }}">
</head>
<body>
<div id="swagger-ui" data-spec-url="{{ spec_url }}">
  <noscript><p>Deze pagina heeft JavaScript nodig. Het OpenAPI-document staat op
  <a href="{{ spec_url }}">{{ spec_url }}</a>.</p></noscript>
  {% if not assets_present %}<p>De bestanden van Swagger UI ontbreken: voer <code>make assets</code> uit.
  Het OpenAPI-document staat op <a href="{{ spec_url }}">{{ spec_url }}</a>.</p>{% endif %}
</div>
<script src="{{ url_for('static', filename=vendor + '/swagger-ui-bundle.js') }}"></script>
<script src="{{ url_for('api_docs_page.static', filename='swagger-init.js') }}"></script>
</body>
</html>
"""


@bp.get("/api/docs")
def page():
    static = Path(current_app.static_folder) / VENDOR
    html = render_template_string(
        PAGE, title=current_app.config["API_TITLE"], vendor=VENDOR,
        spec_url=url_for("api-docs.openapi_json"), assets_present=all((static / a).is_file() for a in ASSETS),
    )
    return html, 200, {"Content-Security-Policy": CSP, "Cache-Control": "no-cache"}
