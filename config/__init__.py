"""Settings: typed sections, per-environment, read from the environment and an optional .env, validated at start."""
from config.sections import ROOT as ROOT_DIR
from config.sections import Setting
from config.settings import ENVIRONMENTS, SETTINGS, ConfigError, Settings, load_settings

__all__ = ["ROOT_DIR", "ENVIRONMENTS", "SETTINGS", "ConfigError", "Setting", "Settings", "load_settings"]
