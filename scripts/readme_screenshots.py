"""Take the README's screenshots (home, a collective-preparation thread, the tallies dashboard) from a
running demo site with Debian's Chromium: `python scripts/readme_screenshots.py http://127.0.0.1:5000`."""
from __future__ import annotations

import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
PASSWORD = "jiaoyan-demo-2026"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def signed_in(browser, base: str, username: str):
    """A page of a new context signed in as `username`."""
    page = browser.new_context(base_url=base, viewport={"width": 1200, "height": 820}).new_page()
    page.goto("/auth/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    return page


def main(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        teacher = signed_in(browser, base, "wuwenbo")
        teacher.goto("/")
        teacher.screenshot(path=str(OUT / "home.png"))
        teacher.goto("/groups")
        teacher.goto(teacher.locator("main a[href^='/groups/']").first.get_attribute("href"))
        board = teacher.locator("main a[href^='/boards/']").first.get_attribute("href")
        teacher.goto(re.sub(r"#.*", "", board))
        links = teacher.locator("main a[href^='/boards/threads/']", has_text="集体备课")
        hrefs = [links.nth(i).get_attribute("href") for i in range(min(links.count(), 8))]
        best = (-1, hrefs[0])
        for href in hrefs:  # the preparation with the liveliest discussion
            teacher.goto(href)
            best = max(best, (teacher.locator("article.post").count(), href))
        teacher.goto(best[1])
        teacher.screenshot(path=str(OUT / "thread.png"))
        leader = signed_in(browser, base, "jiaoyanyuan")
        leader.goto("/tallies/")
        leader.screenshot(path=str(OUT / "tallies.png"))
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000")
