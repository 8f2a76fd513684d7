"""Fixtures of the contract tests: the generated document of the testing app."""
from __future__ import annotations

import pytest


@pytest.fixture
def spec(app) -> dict:
    return app.extensions["api"].spec.to_dict()
