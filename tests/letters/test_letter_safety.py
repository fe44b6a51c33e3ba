"""What a letter template may do: read its variables, style the letter with letters/brief.css.
What it may not: reach Python (Jinja's sandbox), or make WeasyPrint fetch a local file or
anything from the network. And the .ics escapes every kind of line break."""
import http.server
import os
import re
import shutil
import subprocess
import threading

import icalendar
import pytest

from app.documents import letters
from tests.letters.test_letter_contents import invitation
from tests.vk.conftest import pdf_text


@pytest.fixture
def letters_dir(tmp_path, monkeypatch):
    """A copy of letters/ that the test may change, used instead of the product's own."""
    folder = tmp_path / "letters"
    shutil.copytree(letters.LETTERS_DIR, folder)
    monkeypatch.setattr(letters, "LETTERS_DIR", folder)
    return folder


def with_line(folder, text: str) -> None:
    """The parents' letter with `text` added right after <body ...>."""
    path = folder / letters.TEMPLATE_OUDERS
    html = path.read_text(encoding="utf-8")
    path.write_text(html.replace('<body class="ouders">', '<body class="ouders">' + text, 1), encoding="utf-8")


def test_a_template_cannot_reach_python(letters_dir):
    with_line(letters_dir, "{{ cycler.__init__.__globals__.os.getuid() }}")
    with pytest.raises(letters.LetterError) as exc:
        letters.letter_ouders(invitation())
    assert str(exc.value).startswith("Het briefsjabloon uitnodiging_ouders.html.j2 probeert iets wat niet is "
                                     "toegestaan")


def test_an_act_with_a_template_that_tries_is_refused_in_dutch_and_saves_nothing(letters_dir, service, clock):
    from sqlalchemy import update

    from app.service import ProcessFailed
    from persistence.models import ProcessVersion
    from tests.procedures.gesprek_steps import organiseren, start_through_p0

    # Deploy refuses such a template (tests/web/test_bundle_pages.py); versions deployed before
    # bundles existed read the letters folder, so the act must refuse it too.
    with service.ctx.transaction() as session:
        session.execute(update(ProcessVersion).values(forms=None, letters=None, parameters_sha256=None))
    with_line(letters_dir, "{{ ''.__class__.__mro__[1].__subclasses__() }}")
    case = start_through_p0(service, clock, "interventiegesprek",
                            jeugdigen=[{"naam": "Lot de Vries", "geboortedatum": "2020-01-01"}])
    # The person hears the case has a problem (an incident); the beheerder's incident holds why.
    with pytest.raises(ProcessFailed, match="probleem bij .*de beheerder is ingelicht"):
        organiseren(case, "2026-04-30T10:00", jeugdige="te_jong")  # fails at Ouders uitnodigen
    (incident,) = [r.incident for r in service.incidents(None)]
    assert "Het briefsjabloon" in incident.message and "niet is toegestaan" in incident.message
    assert case.open_ids() == ["Task_OudersUitnodigen"]
    assert not [m for m in service.outbox() if m.reason.startswith("uitnodiging")]


class Counting(http.server.BaseHTTPRequestHandler):
    hits: list = []

    def do_GET(self):
        Counting.hits.append(self.path)
        body = b"body::before { content: 'VAN HET NETWERK'; }"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def web_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Counting.hits = []
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_weasyprint_fetches_no_local_file_and_nothing_from_the_network(letters_dir, tmp_path, web_server):
    secret = tmp_path / "geheim.css"  # outside the letters folder
    secret.write_text("body::before { content: 'GEHEIM BESTAND'; }", encoding="utf-8")
    (letters_dir / "eigen.css").write_text("body::after { content: 'EIGEN STIJL'; }", encoding="utf-8")
    with_line(letters_dir, f'<link rel="stylesheet" href="{secret.as_uri()}">'
                           f'<link rel="stylesheet" href="{web_server}/stijl.css">'
                           '<img src="file:///etc/passwd"><link rel="stylesheet" href="../geheim.css">'
                           '<link rel="stylesheet" href="eigen.css">')
    text = pdf_text(letters.render_pdf(letters.letter_ouders(invitation())), tmp_path)
    assert "GEHEIM BESTAND" not in text and "VAN HET NETWERK" not in text
    assert Counting.hits == []
    assert "EIGEN STIJL" in text  # the letters' own files still load


def test_the_pdf_has_the_letter_font_and_footer(tmp_path):
    pdf = letters.render_pdf(letters.letter_ouders(invitation()))
    path = tmp_path / "brief.pdf"
    path.write_bytes(pdf)
    if not shutil.which("pdffonts"):
        # `make test` installs poppler-utils (as root); in CI a missing one is a failure, not a skip.
        if os.environ.get("CI") == "true":
            pytest.fail("pdffonts (poppler-utils) is not installed; `make pdf-libs` installs it")
        pytest.skip("pdffonts (poppler-utils) is not installed")
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    assert "DejaVu-Sans" in fonts and "Serif" not in fonts  # brief.css: font-family "DejaVu Sans"
    text = pdf_text(pdf, tmp_path)
    assert "VeiligheidsTeam West-Brabant West — casus VHT-2026-0001" in text  # @page @bottom-left
    assert re.search(r"pagina 1 van \d", text)  # @page @bottom-right


def test_the_ics_escapes_a_lone_cr_crlf_commas_and_semicolons_and_reads_back():
    inv = invitation(locatie_type="anders", locatie_anders="Buurthuis; zaal 1,\rachteringang",
                     ruimte="Kamer 3\r\nboven", uitnodiging_doel="Eerst dit;\rdan dat, en\\of zo.")
    raw = letters.invitation_ics(inv, uid="u-1@veiligheidsteam.local", dtstamp=inv.gesprek_start)
    assert b"\r" not in raw.replace(b"\r\n", b"")  # no line break but the line endings
    (event,) = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    assert str(event["LOCATION"]) == "Buurthuis; zaal 1,\nachteringang, Kamer 3\nboven"
    assert "Eerst dit;\ndan dat, en\\of zo." in str(event["DESCRIPTION"])
    assert event.decoded("DTSTART") == inv.gesprek_start
    assert str(event["ORGANIZER"]) == "mailto:anna@example.org"


def test_the_fetcher_serves_only_files_inside_the_template_folder(tmp_path):
    from app.documents.pdf import RefusedURL, allowed_path

    folder = tmp_path / "sjablonen"
    folder.mkdir()
    (folder / "logo.png").write_bytes(b"png")
    (tmp_path / "geheim.txt").write_text("geheim")
    (folder / "link.txt").symlink_to(tmp_path / "geheim.txt")
    assert allowed_path((folder / "logo.png").as_uri(), (folder,)) == folder / "logo.png"
    for url in ((tmp_path / "geheim.txt").as_uri(), folder.as_uri() + "/../geheim.txt", (folder / "link.txt").as_uri(),
                "file:///etc/passwd", "file://server/share/x.css", "http://127.0.0.1/x.css", "https://example.org/x.png",
                "ftp://example.org/x.css", (folder / "bestaat_niet.css").as_uri()):
        with pytest.raises(RefusedURL):
            allowed_path(url, (folder,))
