"""Screenshots of the dashboard for the README, from a served database.

    wikicourse serve --port 8765 &                          # the demo course (make demo), say
    TOKEN=$(wikicourse token create screenshots --admin)    # Manage needs a signed-in manager
    .venv/bin/python scripts/browser/screenshots.py --url http://127.0.0.1:8765 \\
        --slug demo-2024 --campaign january-2024 --token "$TOKEN"

Writes docs/screenshots/{courses,overview,activity,students,student,article,manage,campaign}.png,
whole pages at
1280 px wide, with Debian's Chromium (scripts/browser/install.sh): never `playwright install`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTH = 1280
LIMIT = 400_000  # bytes: README images stay light


def shoot(page: Page, url: str, path: Path) -> int:
    response = page.goto(url)
    if response is None or response.status != 200:
        raise SystemExit(f"{url}: HTTP {response.status if response else '?'}")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(path), full_page=True)
    return path.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="where the dashboard is served")
    parser.add_argument("--slug", required=True, help="the course to show")
    parser.add_argument("--campaign", required=True, help="the campaign to show")
    parser.add_argument("--token", required=True, help="an admin's or the course instructor's token (for Manage)")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    base, course = args.url.rstrip("/"), f"{args.url.rstrip('/')}/courses/{quote(args.slug)}"
    args.out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": 800}, device_scale_factor=1)
        for name, url in (("courses", base + "/"), ("overview", course), ("activity", course + "/activity"),
                          ("students", course + "/students"),
                          ("campaign", f"{base}/campaigns/{quote(args.campaign)}")):
            sizes[name] = shoot(page, url, args.out / f"{name}.png")
        # The drill-downs of the busiest student and of the most edited article, as the tables link them.
        for name, table, sort in (("student", "students", "revision_count"), ("article", "articles", "revision_count")):
            page.goto(f"{course}/{table}?sort={sort}&dir=desc")
            href = page.locator(f"table a.{name}").first.get_attribute("href")
            sizes[name] = shoot(page, base + href, args.out / f"{name}.png")
        page.goto(f"{base}/login?next={quote(f'/courses/{args.slug}/manage')}")
        page.fill("form#login input#token", args.token)
        page.locator("form#login").locator("button, input[type=submit]").first.click()
        page.wait_for_url("**/manage*")
        sizes["manage"] = shoot(page, page.url, args.out / "manage.png")
        browser.close()
    for name, size in sizes.items():
        print(f"{args.out / name}.png  {size // 1024} KB")
    heavy = [n for n, s in sizes.items() if s > LIMIT]
    if heavy:
        print(f"over {LIMIT // 1000} KB: {', '.join(heavy)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
