"""Static files with fingerprinted URLs: `url_for('static', ...)` adds `?v=<content hash>`, and a
request carrying the current hash is cached by browsers for a year (immutable)."""
from __future__ import annotations

import hashlib
import os

from flask import request

IMMUTABLE = "public, max-age=31536000, immutable"


class Fingerprints:
    """Content hashes of the files under the static folder, computed once per file.

    With `watch` (debug), a file whose modification time changed is hashed again, so an edited
    stylesheet gets a new URL without restarting the server.
    """

    def __init__(self, folder: str, watch: bool = False):
        self.folder = os.path.realpath(folder)
        self.watch = watch
        self._hashes: dict[str, tuple[float, str]] = {}

    def version(self, filename: str) -> str | None:
        """The first 12 hex digits of the file's SHA-256, or None when there is no such file."""
        known = self._hashes.get(filename)
        if known is not None and not self.watch:
            return known[1]
        path = os.path.realpath(os.path.join(self.folder, filename))
        if not path.startswith(self.folder + os.sep):
            return None
        try:
            mtime = os.stat(path).st_mtime
            if known is not None and known[0] == mtime:
                return known[1]
            with open(path, "rb") as fh:
                digest = hashlib.sha256(fh.read()).hexdigest()[:12]
        except OSError:
            return None
        self._hashes[filename] = (mtime, digest)
        return digest


def init_app(app) -> None:
    if not app.static_folder:
        return
    prints = Fingerprints(app.static_folder, watch=bool(app.debug or app.config.get("TEMPLATES_AUTO_RELOAD")))
    app.extensions["jy_fingerprints"] = prints

    @app.url_defaults
    def _fingerprint(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = prints.version(values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def _static_cache(resp):
        if request.endpoint != "static" or resp.status_code not in (200, 304):
            return resp
        wanted = request.args.get("v")
        filename = (request.view_args or {}).get("filename", "")
        if wanted and wanted == prints.version(filename):
            resp.headers["Cache-Control"] = IMMUTABLE
            resp.expires = None
        else:
            # An old or missing fingerprint: the browser revalidates (ETag) and gets the new file.
            resp.headers["Cache-Control"] = "no-cache"
        return resp
