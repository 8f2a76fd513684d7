"""Feature voting API (issue 7): /api/task/... (enveloped, the live grid) and /api/voting/... (bare)."""
from app.api.voting.alias_routes import blp as voting_blp
from app.api.voting.task_routes import blp as task_blp

__all__ = ["task_blp", "voting_blp"]
