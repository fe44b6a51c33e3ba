"""The Veiligheidskaart as a printable HTML page and as PDF (WeasyPrint).

`render_html(context)` and `render_pdf(context)` take a plain dict (see `document_context` in
app/service/veiligheidskaart.py): the case data, the version, its sections and the date. The
template is templates/veiligheidskaart.html; its CSS puts case, version and date on every page.
"""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.documents import pdf

TEMPLATES = Path(__file__).resolve().parent / "templates"

_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)


def render_html(context: dict) -> str:
    return _env.get_template("veiligheidskaart.html").render(**context)


def render_pdf(context: dict) -> bytes:
    return render_pdf_from_html(render_html(context))


def render_pdf_from_html(html: str) -> bytes:
    return pdf.render(html, TEMPLATES)
