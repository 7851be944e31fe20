"""Static files shipped inside the package, compressed once and served from memory.

Compressing plotly.min.js (4.8 MB) on every request would cost more than the rest of a page
load, so each asset is read and gzipped the first time it is asked for and then served with an
ETag. Only files named in the package's ``static/`` folder (and plotly's own bundle) can be
served: names are looked up in a table, never joined onto a path from the request.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from starlette.requests import Request
from starlette.responses import Response

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
PLOTLY = "plotly.min.js"


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    etag: str
    media_type: str


def _static_dir() -> Traversable:
    return resources.files("jdsearch.web").joinpath("static")


def _plotly_file() -> Traversable:
    """plotly.js as bundled by the ``plotly`` Python package (not copied into this repo)."""
    return resources.files("plotly").joinpath("package_data", PLOTLY)


class Assets:
    """The table of servable files; thread-safe lazy loading."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[str, Asset] = {}
        self._files = {f.name: f for f in _static_dir().iterdir() if f.is_file()}
        self._files[PLOTLY] = _plotly_file()

    def names(self) -> list[str]:
        return sorted(self._files)

    def get(self, name: str) -> Asset | None:
        if name not in self._files:
            return None
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = _load(name, self._files[name])
            return self._loaded[name]

    def response(self, request: Request, name: str, *, cache: str) -> Response | None:
        """The asset as a response: 304 when the client has it, gzip when it accepts gzip."""
        asset = self.get(name)
        if asset is None:
            return None
        headers = {"ETag": asset.etag, "Cache-Control": cache, "Vary": "Accept-Encoding"}
        if request.headers.get("if-none-match") == asset.etag:
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
        return Response(asset.body, media_type=asset.media_type, headers=headers)


def _load(name: str, file: Traversable) -> Asset:
    body = file.read_bytes()
    suffix = "." + name.rsplit(".", 1)[-1]
    return Asset(
        body=body,
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        etag='"' + hashlib.sha1(body).hexdigest()[:20] + '"',
        media_type=TYPES.get(suffix, "application/octet-stream"),
    )
