"""Seeding: deterministic generated catalogue, MDM table reflection, fallback when the table is missing."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from magento_sandbox.options import SandboxOptions
from magento_sandbox.seed import build_state


def _mdm(tmp_path: Path, with_table: bool = True) -> str:
    url = f"sqlite:///{tmp_path / 'mdm.sqlite3'}"
    engine = sa.create_engine(url)
    if with_table:
        with engine.begin() as conn:
            conn.execute(sa.text('CREATE TABLE "Produits_ECommerce" ("Code_MDM" VARCHAR(20), "TypeProd" CHAR(1), '
                                 '"Libelle" VARCHAR(100), "Tarif" NUMERIC, "Source" VARCHAR(5))'))
            conn.execute(sa.text('INSERT INTO "Produits_ECommerce" VALUES '
                                 '(\'7001\', \'S\', \'Stylo bleu\', 12.5, \'1\'), '
                                 '(\'7001\', \'S\', \'Stylo bleu\', 12.5, \'2\'), '
                                 '(\'7002\', \'V\', \'Licence\', 99, \'1\'), '
                                 '(\'7003\', \'C\', \'T-shirt\', NULL, \'1\')'))
    engine.dispose()
    return url


def test_generated_catalogue_is_deterministic() -> None:
    a, b = build_state(SandboxOptions(products=50, seed=3)), build_state(SandboxOptions(products=50, seed=3))
    assert [p["name"] for p in a.products.values()] == [p["name"] for p in b.products.values()]
    assert len(a.products) == 50 and a.seeded_from == "generated"
    assert {p["type_id"] for p in a.products.values()} <= {"simple", "virtual", "configurable"}
    assert len(a.sources) == 13 and "default" in a.sources
    created = sorted(o["created_at"] for o in a.orders.values())
    assert created[0][:7] != created[-1][:7]  # spread over months


def test_skus_come_from_the_mdm_table(tmp_path: Path) -> None:
    state = build_state(SandboxOptions(mdm_url=_mdm(tmp_path)))
    assert state.seeded_from == "mdm"
    assert {p["sku"]: (p["type_id"], p["name"]) for p in state.products.values()} == {
        "7001": ("simple", "Stylo bleu"), "7002": ("virtual", "Licence"), "7003": ("configurable", "T-shirt")}
    assert state.get_product("7001")["price"] == 12.5


def test_missing_mdm_table_falls_back_to_a_generated_catalogue(tmp_path: Path) -> None:
    state = build_state(SandboxOptions(mdm_url=_mdm(tmp_path, with_table=False), products=10))
    assert state.seeded_from == "generated" and len(state.products) == 10
