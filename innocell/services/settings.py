"""Configuration as the services see it: the app's config inside an app, else config.py's
defaults (so a service also runs in a bare script or a test without an app)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app

import config as config_module


def setting(name: str):
    """A configuration value (app config when there is an app, else the defaults)."""
    try:
        return current_app.config[name]
    except (RuntimeError, KeyError):
        return config_module.DEFAULTS[name]


def zone() -> ZoneInfo:
    """INNOCELL_TIMEZONE, the zone people's times are shown and parsed in."""
    return ZoneInfo(setting("INNOCELL_TIMEZONE"))
