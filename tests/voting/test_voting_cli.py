"""`manage.py db seed-voting`: migrates, seeds demo data once (idempotent), counters match the votes."""
from __future__ import annotations

from sqlalchemy import create_engine, func, select

from app.adapters.appdb_tables import user_votes, voting_categories, voting_features
from app.cli import cli


def test_seed_voting_is_idempotent_and_consistent(runner, tmp_path):
    url = f"sqlite:///{tmp_path / 'seed.sqlite3'}"
    env = {"APP_ENV": "testing", "APP_DATABASE_URL": url, "RUN_DIR": str(tmp_path / "run")}
    first = runner.invoke(cli, ["db", "seed-voting"], env=env)
    assert first.exit_code == 0, first.output
    assert "12 features" in first.output and "5 categories" in first.output
    second = runner.invoke(cli, ["db", "seed-voting"], env=env)
    assert second.exit_code == 0 and "0 features" in second.output
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(voting_features)).scalar() == 12
        assert conn.execute(select(func.count()).select_from(voting_categories)).scalar() == 5
        stored = conn.execute(select(func.sum(voting_features.c.upvote_count + voting_features.c.downvote_count))
                              ).scalar()
        assert stored == conn.execute(select(func.count()).select_from(user_votes)).scalar() > 0
    engine.dispose()
    reset = runner.invoke(cli, ["db", "seed-voting", "--reset"], env=env)
    assert reset.exit_code == 0 and "12 features" in reset.output


def test_no_route_serves_sample_data(sapp, auth):
    body = sapp.test_client().get("/api/task/features", headers=auth("viewer")).get_json()
    assert body["data"] == [] and body["pagination"]["total"] == 0
