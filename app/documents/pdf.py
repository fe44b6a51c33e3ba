"""HTML to PDF with WeasyPrint, fetching nothing but the product's own files.

A template (a process owner edits the letters) could point at `file:///etc/passwd` or at a
server on the network; WeasyPrint would fetch either. The fetcher here serves only files inside
the folders it is given (the template's own folder: its CSS, fonts and images) and inline
`data:` URLs, and refuses everything else, so the PDF never contains what it should not.
"""
from __future__ import annotations

import functools
import mimetypes
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname


class RefusedURL(ValueError):
    pass


def allowed_path(url: str, folders: tuple[Path, ...]) -> Path:
    """The local file a `file:` URL names, if it lies inside one of `folders` (after resolving
    symlinks and `..`); RefusedURL otherwise."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise RefusedURL(f"Alleen eigen bestanden van de applicatie: {parts.scheme}:-adres geweigerd")
    path = Path(url2pathname(parts.path)).resolve()
    if not path.is_file() or not any(path.is_relative_to(folder) for folder in folders):
        raise RefusedURL("Alleen eigen bestanden van de applicatie: bestand buiten de sjablonenmap geweigerd")
    return path


@functools.cache
def _fetcher_class():
    # WeasyPrint is imported only when a PDF is made: loading Pango is not free.
    from weasyprint import URLFetcher
    from weasyprint.urls import URLFetcherResponse

    class OwnFiles(URLFetcher):
        def __init__(self, folders: tuple[Path, ...]):
            super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
            self.folders = folders

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = allowed_path(url, self.folders)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})

    return OwnFiles


def render(html: str, folder: Path, extra_folders: tuple[Path, ...] = ()) -> bytes:
    """The PDF of `html`; relative URLs resolve in `folder`, the only place (with `extra_folders`)
    files may come from."""
    from weasyprint import HTML

    folders = tuple(Path(f).resolve() for f in (folder, *extra_folders))
    fetcher = _fetcher_class()(folders)
    return HTML(string=html, base_url=folders[0].as_uri() + "/", url_fetcher=fetcher).write_pdf()
