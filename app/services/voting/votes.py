"""Votes: one per user and feature, counters kept consistent under concurrent requests.

Policy: a user has at most one vote per feature (unique (feature_id, user_id)). Voting again with the same
type is an idempotent no-op (200, `changed: false`); voting with the other type switches the vote and moves
both counters in the same transaction. Removing a vote that does not exist is an idempotent no-op as well.

Consistency: every write first locks the feature row (SELECT ... FOR UPDATE on PostgreSQL and MariaDB, so
votes on one feature are serialised and the FK check cannot deadlock against the counter update), then
changes user_votes with guarded statements (INSERT under the unique constraint, UPDATE/DELETE ... WHERE
vote_type = <what we read>) and adjusts the counters only when the guarded statement changed a row. SQLite
ignores FOR UPDATE but serialises writers; a lost race there shows up as a unique violation or a guarded
statement touching no row, and the whole transaction is retried on fresh data.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, ScalarSelect, delete, exc, func, insert, select, update

from app.adapters import sql
from app.adapters.appdb_tables import VOTE_TYPES, user_votes, voting_features
from app.errors import Conflict, InvalidInput, NotFound
from app.services.voting.records import aware, utcnow

MAX_ATTEMPTS = 5
_COUNTER = {"upvote": "upvote_count", "downvote": "downvote_count"}
_SIGN = {"upvote": 1, "downvote": -1}


@dataclass(frozen=True)
class VoteState:
    """The caller's vote on a feature after a vote/unvote, and the feature's counters."""

    feature_id: int
    vote_type: str | None
    changed: bool
    vote_count: int
    upvotes: int
    downvotes: int

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


class _Retry(Exception):
    """A concurrent request changed the vote between our read and our write: start over."""


def _lock_feature(conn: Connection, feature_id: int) -> None:
    f = voting_features
    if conn.execute(select(f.c.id).where(f.c.id == feature_id).with_for_update()).first() is None:
        raise NotFound(f"Feature {feature_id} does not exist.", details={"feature_id": feature_id})


def _current_vote(conn: Connection, feature_id: int, user_id: str) -> str | None:
    v = user_votes
    return conn.execute(select(v.c.vote_type).where(v.c.feature_id == feature_id, v.c.user_id == user_id)
                        .with_for_update()).scalar()


def _move_counters(conn: Connection, feature_id: int, *, add: str | None, remove: str | None) -> None:
    f = voting_features
    values: dict[str, Any] = {}
    delta = 0
    if add:
        values[_COUNTER[add]] = f.c[_COUNTER[add]] + 1
        delta += _SIGN[add]
    if remove:
        values[_COUNTER[remove]] = f.c[_COUNTER[remove]] - 1
        delta -= _SIGN[remove]
    values["vote_count"] = f.c.vote_count + delta  # relative: never a read-modify-write in Python
    conn.execute(update(f).where(f.c.id == feature_id).values(**values))


def _state(conn: Connection, feature_id: int, vote_type: str | None, changed: bool) -> VoteState:
    f = voting_features
    row = conn.execute(select(f.c.vote_count, f.c.upvote_count, f.c.downvote_count)
                       .where(f.c.id == feature_id)).one()
    return VoteState(feature_id, vote_type, changed, row.vote_count, row.upvote_count, row.downvote_count)


def _vote_once(conn: Connection, feature_id: int, user_id: str, vote_type: str) -> VoteState:
    _lock_feature(conn, feature_id)
    current = _current_vote(conn, feature_id, user_id)
    if current == vote_type:
        return _state(conn, feature_id, vote_type, changed=False)
    v, now = user_votes, utcnow()
    if current is None:
        conn.execute(insert(v).values(feature_id=feature_id, user_id=user_id, vote_type=vote_type,
                                      created_at=now, updated_at=now))  # unique violation -> retry
    else:
        switched = conn.execute(update(v).where(v.c.feature_id == feature_id, v.c.user_id == user_id,
                                                v.c.vote_type == current)
                                .values(vote_type=vote_type, updated_at=now))
        if switched.rowcount != 1:
            raise _Retry
    _move_counters(conn, feature_id, add=vote_type, remove=current)
    return _state(conn, feature_id, vote_type, changed=True)


def _unvote_once(conn: Connection, feature_id: int, user_id: str) -> VoteState:
    _lock_feature(conn, feature_id)
    current = _current_vote(conn, feature_id, user_id)
    if current is None:
        return _state(conn, feature_id, None, changed=False)
    v = user_votes
    removed = conn.execute(delete(v).where(v.c.feature_id == feature_id, v.c.user_id == user_id,
                                           v.c.vote_type == current))
    if removed.rowcount != 1:
        raise _Retry
    _move_counters(conn, feature_id, add=None, remove=current)
    return _state(conn, feature_id, None, changed=True)


def _run(engine: Engine, action: Callable[..., VoteState], *args: Any) -> VoteState:
    for _ in range(MAX_ATTEMPTS):
        try:
            with sql.begin(engine) as conn:
                return action(conn, *args)
        except (_Retry, exc.IntegrityError):
            continue  # rolled back; the next attempt reads the winner's row
    raise Conflict("The vote changed concurrently too many times; try again.")


def cast_vote(engine: Engine, feature_id: int, user_id: str, vote_type: str = "upvote") -> VoteState:
    """Record `user_id`'s vote (switching an opposite vote; same vote again is a no-op).

    Raises NotFound (no such feature), InvalidInput (vote type), Conflict (endless races),
    DependencyUnavailable.
    """
    if vote_type not in VOTE_TYPES:
        raise InvalidInput("Unknown vote type.", details={"vote_type": [f"one of {list(VOTE_TYPES)}"]})
    return _run(engine, _vote_once, feature_id, user_id, vote_type)


def remove_vote(engine: Engine, feature_id: int, user_id: str) -> VoteState:
    """Withdraw `user_id`'s vote; a no-op when there is none. Raises NotFound, DependencyUnavailable."""
    return _run(engine, _unvote_once, feature_id, user_id)


def user_votes_of(engine: Engine, user_id: str, feature_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """The user's votes, optionally only on `feature_ids`, newest first."""
    v = user_votes
    stmt = (select(v.c.feature_id, v.c.vote_type, v.c.created_at, v.c.updated_at)
            .where(v.c.user_id == user_id).order_by(v.c.updated_at.desc(), v.c.feature_id))
    if feature_ids is not None:
        if not feature_ids:
            return []
        stmt = stmt.where(v.c.feature_id.in_(feature_ids))
    with sql.connect(engine) as conn:
        return [{**row._mapping, "created_at": aware(row.created_at), "updated_at": aware(row.updated_at)}
                for row in conn.execute(stmt)]


def recount(engine: Engine) -> int:
    """Rebuild every feature's counters from user_votes (repair tool); returns how many rows changed."""
    f, v = voting_features, user_votes

    def tally(kind: str) -> ScalarSelect[int]:
        return (select(func.count()).select_from(v).where(v.c.feature_id == f.c.id, v.c.vote_type == kind)
                .scalar_subquery())
    with sql.begin(engine) as conn:
        result = conn.execute(update(f).values(upvote_count=tally("upvote"), downvote_count=tally("downvote"),
                                               vote_count=tally("upvote") - tally("downvote")))
        return result.rowcount
