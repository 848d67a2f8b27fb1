"""Per-feature message catalogues: `update` extracts and merges, `compile` builds .mo, `missing` lists gaps.

Message ids are the Chinese interface text; each feature keeps its English catalogue in
forum/<feature>/translations/en/LC_MESSAGES/messages.po, extracted from forum/<feature>/ and
templates/<feature>/. Site-wide pieces (forum/core, forum/*.py, shared templates) belong to `main`.
"""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "pgettext": ((1, "c"), 2)}
SHARED_TEMPLATE_DIRS = ("_macros", "_partials", "errors", "main")


def features() -> list[str]:
    return sorted(p.name for p in (ROOT / "forum").iterdir()
                  if p.is_dir() and (p / "__init__.py").exists() and p.name not in ("core",))


def sources(feature: str) -> list[tuple[Path, str]]:
    """(file, method) pairs whose messages belong to `feature`'s catalogue."""
    files: list[tuple[Path, str]] = []
    pkg = ROOT / "forum" / feature
    files += [(p, "python") for p in pkg.rglob("*.py")]
    tdir = ROOT / "templates" / feature
    if tdir.exists():
        files += [(p, "jinja2") for p in tdir.rglob("*.html")]
        files += [(p, "jinja2") for p in tdir.rglob("*.xml")]
    if feature == "main":
        files += [(p, "python") for p in (ROOT / "forum").glob("*.py")]
        files += [(p, "python") for p in (ROOT / "forum" / "core").rglob("*.py")]
        files += [(p, "jinja2") for p in (ROOT / "templates").glob("*.html")]
        for d in SHARED_TEMPLATE_DIRS:
            files += [(p, "jinja2") for p in (ROOT / "templates" / d).rglob("*.html")]
    return sorted(set(files))


def extract(feature: str) -> Catalog:
    catalog = Catalog(locale="en", project="jiaoyan", charset="utf-8")
    for path, method in sources(feature):
        method_fn = "python" if method == "python" else "jinja2.ext:babel_extract"
        opts = {"extensions": "jinja2.ext.do"} if method == "jinja2" else {}
        for lineno, message, comments, context in extract_from_file(method_fn, str(path), KEYWORDS, options=opts):
            catalog.add(message, None, [(str(path.relative_to(ROOT)), lineno)], auto_comments=comments,
                        context=context)
    return catalog


def po_path(feature: str) -> Path:
    return ROOT / "forum" / feature / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def update() -> None:
    for feature in features():
        template = extract(feature)
        path = po_path(feature)
        if not len(template) and not path.exists():
            continue
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale="en")
            catalog.update(template, no_fuzzy_matching=True)
            catalog.obsolete.clear()
        else:
            catalog = template
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=0, omit_header=False, sort_output=False, include_lineno=False)
        print(f"{feature}: {len(catalog)} messages")


def compile_all() -> None:
    for feature in features():
        path = po_path(feature)
        if not path.exists():
            continue
        with path.open("rb") as fh:
            catalog = read_po(fh, locale="en")
        with path.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)


def missing() -> int:
    count = 0
    for feature in features():
        path = po_path(feature)
        if not path.exists():
            continue
        with path.open("rb") as fh:
            catalog = read_po(fh, locale="en")
        for message in catalog:
            if message.id and (not message.string or (isinstance(message.string, tuple) and not all(message.string))):
                print(f"{feature}\t{message.id!r}")
                count += 1
    return count


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "update"
    if cmd == "update":
        update()
    elif cmd == "compile":
        compile_all()
    elif cmd == "missing":
        sys.exit(1 if missing() else 0)
    elif cmd == "fill" and len(sys.argv) > 2:
        pass  # handled below, once fill() is defined
    else:
        sys.exit("usage: i18n.py update|compile|missing")


def fill(mapping_file: str) -> None:
    """Set English strings from a JSON {msgid: msgstr} file in every catalogue that has those ids."""
    import json

    mapping = json.loads(Path(mapping_file).read_text("utf-8"))
    for feature in features():
        path = po_path(feature)
        if not path.exists():
            continue
        with path.open("rb") as fh:
            catalog = read_po(fh, locale="en")
        changed = 0
        for message in catalog:
            if message.id in mapping and not message.string:
                message.string = mapping[message.id]
                changed += 1
        if changed:
            with path.open("wb") as fh:
                write_po(fh, catalog, width=0, sort_output=False, include_lineno=False)
            print(f"{feature}: filled {changed}")


if __name__ == "__main__" and len(sys.argv) > 2 and sys.argv[1] == "fill":
    fill(sys.argv[2])
