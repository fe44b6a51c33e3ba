"""Fixtures of the Veiligheidskaart tests (the SMTP server is tests/conftest.py's `smtp`): the
pages on a fresh SQLite database, and helpers that drive a case to where the card is sent."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.web.helpers import build_web


@pytest.fixture
def web(sqlite_service, clock):
    return build_web(sqlite_service, clock)


def pdf_text(data: bytes, tmp_path) -> str:
    """The text of a PDF (poppler's pdftotext; `apt-get install poppler-utils`)."""
    if not shutil.which("pdftotext"):
        # `make test` installs poppler-utils (as root); in CI a missing one is a failure, not a skip.
        if os.environ.get("CI") == "true":
            pytest.fail("pdftotext (poppler-utils) is not installed; `make pdf-libs` installs it")
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "vk.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
