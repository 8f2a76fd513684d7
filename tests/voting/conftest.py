"""Voting fixtures: an app on SQLite, PostgreSQL or MariaDB (schema made by the alembic migration), helpers."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, delete, text
from sqlalchemy.engine import make_url

from app.adapters.appdb import get_app_engine
from app.adapters.appdb_tables import feature_comments, user_votes, voting_categories, voting_features
from app.security import Role, issue_access_token
from config.current import get_settings
from tests.conftest import require_service

VOTING_TABLES = (feature_comments, user_votes, voting_features, voting_categories)
BACKENDS = ("sqlite", "postgres", "mariadb")
_prepared: set[str] = set()


def _dedicated_database(base_url: str, name: str) -> str:
    """A database of our own on the shared server, recreated once per session (other areas use `test`)."""
    url = make_url(base_url).set(database=name)
    key = url.render_as_string(hide_password=False)
    if key not in _prepared:
        admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            quoted = f'"{name}"' if url.get_backend_name() == "postgresql" else f"`{name}`"
            if url.get_backend_name() == "postgresql":
                conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
            conn.execute(text(f"DROP DATABASE IF EXISTS {quoted}"))
            conn.execute(text(f"CREATE DATABASE {quoted}"))
        admin.dispose()
        _prepared.add(key)
    return key


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> str:
    """APP_DATABASE_URL for each backend; PostgreSQL/MariaDB use a fresh database per session."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'voting.sqlite3'}"
    return _dedicated_database(require_service(request.param), "techno_etl_voting_test")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'voting.sqlite3'}"


def _clean(engine) -> None:
    with engine.begin() as conn:
        for table in VOTING_TABLES:
            conn.execute(delete(table))


@pytest.fixture
def vapp(make_app, db_url):
    """The app on `db_url`; the tables come from `alembic upgrade` at start; emptied before and after."""
    app = make_app(APP_DATABASE_URL=db_url, RATE_LIMIT_ENABLED=False)
    engine = get_app_engine(app)
    _clean(engine)
    yield app
    _clean(engine)
    engine.dispose()


@pytest.fixture
def sapp(make_app, sqlite_url):
    """The app on a fresh SQLite file (tests whose behaviour does not depend on the database)."""
    app = make_app(APP_DATABASE_URL=sqlite_url, RATE_LIMIT_ENABLED=False)
    yield app
    get_app_engine(app).dispose()


@pytest.fixture
def user_token():
    """A login token for a named user (each name is a distinct voter)."""
    def token(app, name: str, role: Role = Role.VIEWER) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_access_token(name, role, get_settings(app).auth.secret_key)}"}
    return token


def make_feature(client, auth, **fields) -> dict:
    body = {"title": "A feature to vote on", "priority": "medium", **fields}
    resp = client.post("/api/task/features", json=body, headers=auth("admin"))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["data"]


def make_category(app, name: str, color: str = "#123456") -> int:
    from sqlalchemy import insert

    from app.services.voting.records import utcnow
    with get_app_engine(app).begin() as conn:
        return conn.execute(insert(voting_categories).values(name=name, color=color, created_at=utcnow())
                            ).inserted_primary_key[0]


def tally(app, feature_id: int) -> dict[str, int]:
    """The truth from user_votes, to compare with the stored counters."""
    with get_app_engine(app).connect() as conn:
        rows = conn.execute(text("SELECT vote_type, COUNT(*) FROM user_votes WHERE feature_id = :f "
                                 "GROUP BY vote_type"), {"f": feature_id}).all()
    counts = {"upvote": 0, "downvote": 0, **{kind: n for kind, n in rows}}
    return {"upvotes": counts["upvote"], "downvotes": counts["downvote"],
            "vote_count": counts["upvote"] - counts["downvote"]}
