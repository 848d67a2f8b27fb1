"""Take screenshots of a running Jiaoyan with Debian's Chromium (never a downloaded browser).

Usage: python scripts/screenshots.py [BASE_URL] [OUT_DIR] [--user NAME] [--width 1280] PATH...
"""
from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("base", nargs="?", default="http://127.0.0.1:5000")
    ap.add_argument("out", nargs="?", default="test-artifacts/screens")
    ap.add_argument("--user")
    ap.add_argument("--password", default="jiaoyan-demo-2026")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--lang", default="")
    ap.add_argument("paths", nargs="*", default=["/"])
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        if args.user:
            page.goto(args.base + "/auth/login")
            page.fill("#username", args.user)
            page.fill("#password", args.password)
            page.click("button[type=submit].primary")
        for path in args.paths:
            page.goto(args.base + path)
            name = (path.strip("/").replace("/", "_").replace("?", "_") or "home") + f"_{args.width}.png"
            page.screenshot(path=str(out / name), full_page=True)
            print(out / name, page.title())
        if errors:
            print("console errors:", errors)
        browser.close()


if __name__ == "__main__":
    main()
