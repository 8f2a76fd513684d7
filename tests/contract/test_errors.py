"""The error envelope path: statuses the foundation produces outside any view are what the document says."""
from __future__ import annotations

from app.security import public


def test_a_path_value_no_converter_accepts_is_a_404_not_a_405(make_app):
    app = make_app()

    @public
    def view(n: int) -> dict:
        return {"n": n}

    app.add_url_rule("/api/contract-probe/<int(max=10):n>", "probe_get", view, methods=["GET"])
    app.add_url_rule("/api/contract-probe/<int(max=10):n>", "probe_put", view, methods=["PUT"])
    client = app.test_client()
    assert client.put("/api/contract-probe/5").status_code == 200
    out_of_range = client.put("/api/contract-probe/11")
    assert out_of_range.status_code == 404 and out_of_range.get_json()["error"] == "not_found"
    wrong_method = client.patch("/api/contract-probe/5")
    assert wrong_method.status_code == 405 and wrong_method.headers["Allow"]


def test_metrics_sync_answers_before_any_sync_section_is_registered(client, auth):
    resp = client.get("/api/metrics/sync", headers=auth("viewer"))
    assert resp.status_code == 200
    assert isinstance(resp.get_json()["items"], dict)
