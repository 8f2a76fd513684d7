"""Settings: typed, per-environment, read from the environment and an optional .env, validated at start."""
from config.settings import ENVIRONMENTS, SETTINGS, ConfigError, Setting, Settings, load_settings
from config.settings import ROOT as ROOT_DIR

__all__ = ["ROOT_DIR", "ENVIRONMENTS", "SETTINGS", "ConfigError", "Setting", "Settings", "load_settings"]
