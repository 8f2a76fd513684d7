"""The one accessor of the running app's settings: `get_settings()` (create_app stores them once)."""
from __future__ import annotations

from flask import Flask, current_app

from config.settings import Settings

CONFIG_KEY = "SETTINGS"  # app.config key create_app stores the Settings under


def get_settings(app: Flask | None = None) -> Settings:
    """The Settings of `app` (default: the current app)."""
    settings: Settings = (app or current_app).config[CONFIG_KEY]
    return settings
