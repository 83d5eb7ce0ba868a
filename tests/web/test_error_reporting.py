"""Error reporting is off by default and starts only with a DSN."""
from __future__ import annotations

import sentry_sdk

from innocell import create_app
from innocell.error_reporting import install


def test_off_without_a_dsn(app):
    assert app.config["SENTRY_DSN"] == "" and install(app) is False


def test_on_with_a_dsn_and_without_personal_data(monkeypatch, database_url):
    started = {}
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: started.update(kwargs))
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "t", "TESTING": True,
                      "SENTRY_DSN": "https://key@errors.example/1"})
    assert started["dsn"] == "https://key@errors.example/1" and started["send_default_pii"] is False
    assert app.config["INNOCELL_ENV"] == started["environment"]
