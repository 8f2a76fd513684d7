"""Settings: typed, per-environment, read from the environment and an optional .env, validated at start."""
from config.settings import ENVIRONMENTS, ROOT as ROOT_DIR, SETTINGS, ConfigError, Setting, Settings, load_settings

__all__ = ["ROOT_DIR", "ENVIRONMENTS", "SETTINGS", "ConfigError", "Setting", "Settings", "load_settings"]
