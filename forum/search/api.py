"""GET /api/v1/search: the same search, visibility and snippets as the page, as JSON."""
from __future__ import annotations

from flask import jsonify, request

from forum.api import bp as api_bp
from forum.api.auth import api_user
from forum.core.errors import fail
from forum.search import service


@api_bp.get("/search")
def search():
    """`{"total", "total_exact", "results": [{"type", "id", "title", "snippet", "url"}]}` for `q`, `type`, `group`, `page`."""
    user = api_user()
    try:
        req = service.parse_request(request.args)
    except service.InvalidSearch as exc:
        fail(422, str(exc), field=exc.field)
    if not req.q:
        fail(422, "q is required", field="q")
    page = service.run(user, req)
    return jsonify({
        "total": page.total,
        "total_exact": page.total_exact,
        "page": req.page,
        "results": [
            {"type": r.doc_type, "id": r.doc_id, "title": r.title, "snippet": str(r.snippet), "url": r.url,
             "author": r.author_name, "created_at": r.created_at.isoformat() if r.created_at else None}
            for r in page.results
        ],
    })
