"""Screenshots of the main pages for the README (not a test).

Serves the app on loopback with a fresh, migrated, demo-seeded SQLite database (the e2e
harness's recipe) and saves PNGs into docs/screenshots/ with Debian's /usr/bin/chromium driven
by Playwright (no browser is downloaded).

    .venv/bin/python bench/screenshots.py [--out docs/screenshots]

The Chinese shots need a CJK font for Chromium (`apt-get install fonts-wqy-microhei`); without
one they show empty boxes where the characters belong (people's own devices have such fonts).
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, _app_for, _migrate_and_seed, sign_in  # noqa: E402

from datetime import timedelta  # noqa: E402

from tests.conftest import FIXED_NOW  # noqa: E402  (the served demo runs on the suite's pinned clock)

TODAY = FIXED_NOW.date()
NEXT_MONDAY = (TODAY + timedelta(days=7 - TODAY.weekday())).isoformat()  # a week with bookings ahead

SIZES = {"desk": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}
# A browser whose language is Traditional Chinese (Hong Kong): the pages follow Accept-Language
# for a person who has not chosen a language (the footer switch saves a choice).
LOCALES = {"desk": "en-GB", "phone": "en-GB", "phone-zh": "zh-HK", "desk-zh": "zh-HK"}

# (file name, role or None, path, size)
SHOTS = (
    ("login", None, "/login", "desk"),
    ("resident-home", "resident", "/home", "desk"),
    ("space-week", "resident", f"/spaces/1?week={NEXT_MONDAY}", "desk"),
    ("manager-home", "manager", "/home", "desk"),
    ("timeline", "manager", f"/timeline?date={NEXT_MONDAY}", "desk"),
    ("housing", "manager", "/manage/housing", "desk"),
    ("reports", "finance", "/reports", "desk"),
    ("ledger", "finance", "/finance/charges", "desk"),
    ("people", "admin", "/admin/people", "desk"),
    ("phone-space-day", "resident", f"/spaces/1?day={NEXT_MONDAY}", "phone"),
    ("phone-bookings", "resident", "/bookings", "phone"),
    ("zh-resident-home", "resident", "/home", "desk-zh"),
    ("phone-zh-space-day", "resident", f"/spaces/1?day={NEXT_MONDAY}", "phone-zh"),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from innocell.services.demo import DEMO_LOGINS

    logins = {role: (email, password) for role, email, password, *_ in DEMO_LOGINS}
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "innocell.db"
        _migrate_and_seed(database)
        app = _app_for(database)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        failures = 0
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                     args=["--no-sandbox", "--disable-dev-shm-usage"])
                contexts = {}
                for name, role, path, size in SHOTS:
                    if (role, size) not in contexts:
                        context = browser.new_context(viewport=SIZES[size.removesuffix("-zh")], locale=LOCALES[size],
                                                      is_mobile=size.startswith("phone"),
                                                      timezone_id="Asia/Hong_Kong", device_scale_factor=1)
                        page = context.new_page()
                        if role is not None:
                            sign_in(page, base, *logins[role])
                        contexts[role, size] = page
                    page = contexts[role, size]
                    response = page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    status = response.status if response else 0
                    target = out / f"{name}.png"
                    page.screenshot(path=str(target))
                    flag = "" if status == 200 else "  <-- not 200"
                    failures += status != 200
                    print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}  "
                          f"{role or 'anonymous'} {path} -> {status}{flag}")
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
