"""Row builders and table helpers for the MDM tests (plain functions, imported by the test modules)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine

from app.adapters.mdm.tables import approvisionnement, produits, stock_changes, tarif


def product(code: str, kind: str = "S", *, parent: str | None = None, homog: int | None = None,
            created: datetime = datetime(2020, 1, 1), category: str = "Informatique",
            jde: str | None = None, label: str | None = None) -> dict[str, Any]:
    return {"Code_MDM": code, "Code_JDE": jde or f"JDE-{code}", "TypeProd": kind, "Sku_Conf": parent,
            "TypeConfHomog": homog, "Libelle": label or f"Produit {code}", "Categorie": category,
            "Marque": "Acme", "DateCreation": created}


def price_row(code: str, list_code: str, kind: int, amount: str, *, ref: str | None = None,
              start: date = date(2020, 1, 1), end: date | None = None,
              modified: datetime = datetime(2020, 1, 1)) -> dict[str, Any]:
    return {"Code_MDM": code, "Code_JDE": f"JDE-{code}", "Code_Tarif": list_code, "Code_TarifType": kind,
            "Code_TarifRef": ref, "Tarif": amount, "DateDebut": start, "DateFin": end, "DateModif": modified}


def movement(code: str, source: int, qty: int | None, when: datetime) -> dict[str, Any]:
    return {"Code_MDM": code, "Code_Source": source, "Source": f"Store {source}", "QteStock": qty,
            "DateMouvement": when}


def insert(engine: Engine, table: Any, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)


def stock_state(engine: Engine) -> dict[tuple[str, int], tuple[int | None, bool, Any, Any]]:
    sc = stock_changes
    with engine.connect() as conn:
        rows = conn.execute(sc.select()).mappings().all()
    return {(r["Code_MDM"], r["Code_Source"]): (r["QteStock"], bool(r["changed"]), r["DateDernierMaJ"],
                                                r["syncedDate"]) for r in rows}


__all__ = ["approvisionnement", "insert", "movement", "price_row", "product", "produits", "stock_changes",
           "stock_state", "tarif"]
