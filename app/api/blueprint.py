"""The Blueprint every API area uses: flask-smorest, with validation errors reported as 400."""
from __future__ import annotations

import flask_smorest
from webargs.flaskparser import FlaskParser


class _Parser(FlaskParser):
    # The API contract answers invalid input with 400 + field details (webargs' default is 422).
    DEFAULT_VALIDATION_STATUS = 400


class ApiBlueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = _Parser()
