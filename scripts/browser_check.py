"""Look at the demo the way a person does: Chromium (Debian's, headless) logs in and opens the pages.

    python scripts/browser_check.py [--url URL] [--out build/screenshots]

Logs in as demo / demo, then saves a full-page screenshot of each page: the integration, its
device, the options flow, the dashboard, the logbook, the history and the log (settings → system
→ logs, so errors show). Driven by Playwright over /usr/bin/chromium (never a downloaded browser).
First waits (``--wait-imports``, default 1) until the auto-sync has imported that many tracks, so
the screenshots show music arriving rather than an empty start. Exits 1 when a page could not be
opened or Home Assistant's log holds an error (any component's); prints each page in a line and
every warning and error of the log.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import sys
from typing import Any

import aiohttp
from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).parent))
from demo_provision import DASHBOARD_URL, DOMAIN, PASSWORD, USERNAME, HomeAssistant

CHROMIUM = "/usr/bin/chromium"
IMPORTED = "sensor.harmony_music_auto_sync_imported_tracks"
WAIT_FOR_IMPORTS_S = 420  # the demo's first import lands after about a minute, all 20 by ~4 min


async def _wait_for_imports(ha: HomeAssistant, wanted: int) -> None:
    """Until the running auto-sync has imported ``wanted`` tracks (or the wait ends)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_FOR_IMPORTS_S
    state = None
    while wanted > 0 and loop.time() < deadline:
        state = await ha.state(IMPORTED)
        if state is not None and state.isdigit() and int(state) >= wanted:
            print(f"  {state} tracks imported; taking the screenshots", flush=True)
            return
        await asyncio.sleep(5)
    if wanted > 0:
        print(f"  still {state} tracks imported after {WAIT_FOR_IMPORTS_S} s", flush=True)


async def _lookup(url: str, wait_imports: int) -> dict[str, Any]:
    """The entry id and the device id of Harmony Music, through the same API the demo uses."""
    async with aiohttp.ClientSession() as session:
        ha = HomeAssistant(session, url)
        await ha.wait_until_up(60)
        await ha.log_in()
        try:
            entries = await ha.entries()
            devices = await ha.ws("config/device_registry/list")
            await _wait_for_imports(ha, wait_imports)
        finally:
            await ha.close()
    if not entries:
        raise SystemExit("Harmony Music is not added yet (is the demo provisioned?)")
    entry_id = entries[0]["entry_id"]
    device = next(d for d in devices if entry_id in d.get("config_entries", []))
    return {"entry_id": entry_id, "device_id": device["id"]}


async def _log_problems(url: str) -> list[str]:
    """Every warning and error in Home Assistant's log (settings -> system -> logs)."""
    async with aiohttp.ClientSession() as session:
        ha = HomeAssistant(session, url)
        await ha.log_in()
        try:
            entries: list[dict[str, Any]] = await ha.ws("system_log/list")
        finally:
            await ha.close()
    return [
        f"{entry['level']} {entry['name']}: {' / '.join(entry.get('message') or [])[:300]}"
        for entry in entries
        if entry.get("level") in ("WARNING", "ERROR", "CRITICAL")
    ]


def _settle(page: Page, seconds: float = 2.5) -> None:
    """Let the frontend render (it streams state over the websocket)."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(int(seconds * 1000))


def _shot(page: Page, out: Path, name: str) -> None:
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"  {name}: {page.url} -> {path}", flush=True)


def _log_in(page: Page, url: str) -> None:
    page.goto(url)
    page.locator("input[name=username]").fill(USERNAME)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda u: "/auth/authorize" not in u, timeout=30_000)
    _settle(page)


def check(url: str, out: Path, wait_imports: int) -> int:
    """Every page, a screenshot each; the number of pages that failed, plus logged errors."""
    ids = asyncio.run(_lookup(url, wait_imports))
    out.mkdir(parents=True, exist_ok=True)
    failed = 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="en-GB")
        _log_in(page, url)
        _shot(page, out, "01-home")
        pages = [
            ("02-integration", f"/config/integrations/integration/{DOMAIN}"),
            ("03-device", f"/config/devices/device/{ids['device_id']}"),
            ("05-dashboard", f"/{DASHBOARD_URL}/overview"),
            ("06-logbook", "/logbook"),
            ("07-history", f"/history?device_id={ids['device_id']}"),
            ("08-logs", "/config/logs"),
            ("09-repairs", "/config/repairs"),
        ]
        for name, path in pages:
            try:
                # The dashboard's logbook card renders only the rows inside the viewport.
                tall = name == "05-dashboard"
                page.set_viewport_size({"width": 1440, "height": 2100 if tall else 1000})
                page.goto(f"{url}{path}")
                _settle(page, 6 if name == "05-dashboard" else 2.5)  # its logbook card is slow
                _shot(page, out, name)
            except Exception as err:  # noqa: BLE001 (report the page, try the next)
                failed += 1
                print(f"  {name}: FAILED {err}", flush=True)
            if name == "02-integration":
                try:
                    page.get_by_role("button", name="Configure").first.click()
                    page.wait_for_selector(
                        "dialog-data-entry-flow ha-dialog", state="attached", timeout=15_000
                    )
                    _settle(page)
                    _shot(page, out, "04-options")
                    page.keyboard.press("Escape")
                except Exception as err:  # noqa: BLE001
                    failed += 1
                    print(f"  04-options: FAILED {err}", flush=True)
        browser.close()
    problems = asyncio.run(_log_problems(url))
    for problem in problems:
        print(f"  log: {problem}", flush=True)
    errors = sum(not p.startswith("WARNING") for p in problems)
    print(f"  log: {len(problems) - errors} warnings, {errors} errors", flush=True)
    return failed + errors


def main() -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8123")
    parser.add_argument("--out", type=Path, default=Path("build/screenshots"))
    parser.add_argument(
        "--wait-imports", type=int, default=1, help="imported tracks to wait for (0: none)"
    )
    args = parser.parse_args()
    return 1 if check(args.url, args.out, args.wait_imports) else 0


if __name__ == "__main__":
    sys.exit(main())
