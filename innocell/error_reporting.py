"""Optional error reporting: with SENTRY_DSN set (and the `errors` extra installed), unhandled
errors go to Sentry with the request id as a tag; off by default, and nothing is sent without a
DSN. Personal data is not sent (send_default_pii stays off)."""
from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger(__name__)


def install(app: Flask) -> bool:
    """Start the SDK when configured; True when reporting is on."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    try:
        import sentry_sdk
        from sentry_sdk.integrations.flask import FlaskIntegration
    except ImportError:
        log.warning("SENTRY_DSN is set but sentry-sdk is not installed (pip install 'innocell[errors]'); "
                    "errors are only logged.")
        return False
    sentry_sdk.init(dsn=dsn, integrations=[FlaskIntegration()], environment=app.config["INNOCELL_ENV"],
                    send_default_pii=False, traces_sample_rate=0.0)
    return True
