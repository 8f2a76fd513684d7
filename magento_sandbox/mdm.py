"""Read product SKUs from the MDM table Produits_ECommerce, defensively (the schema is still moving)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

TABLE = "Produits_ECommerce"
# Candidate column names, first present wins (case-insensitive).
_NAME_COLUMNS = ("Libelle", "Designation", "Nom", "Name", "NomProduit", "Libelle_Produit", "Titre")
_DESCRIPTION_COLUMNS = ("Description", "Libelle_Long", "DescriptionLongue", "Description_Longue")
_PRICE_COLUMNS = ("Tarif", "Prix", "PrixVente", "Prix_Vente", "Price")
CONNECT_TIMEOUT_S = 5


@dataclass(frozen=True)
class MdmProduct:
    sku: str
    type_code: str | None
    name: str | None
    description: str | None
    price: float | None


def _pick(columns: dict[str, str], candidates: tuple[str, ...]) -> str | None:
    for cand in candidates:
        if cand.lower() in columns:
            return columns[cand.lower()]
    return None


def read_mdm_products(url: str | None, limit: int = 50_000) -> list[MdmProduct] | None:
    """Rows of Produits_ECommerce, or None (logged) when the table or database is not usable."""
    if not url:
        return None
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(url, pool_pre_ping=False)
        try:
            meta = sa.MetaData()
            insp = sa.inspect(engine)
            if TABLE not in insp.get_table_names():
                log.warning("sandbox: MDM table %s missing, generating a catalogue", TABLE)
                return None
            table = sa.Table(TABLE, meta, autoload_with=engine)
            columns = {c.name.lower(): c.name for c in table.columns}
            sku_col = columns.get("code_mdm")
            if sku_col is None:
                log.warning("sandbox: %s has no Code_MDM column, generating a catalogue", TABLE)
                return None
            picked = {
                "type": columns.get("typeprod"),
                "name": _pick(columns, _NAME_COLUMNS),
                "description": _pick(columns, _DESCRIPTION_COLUMNS),
                "price": _pick(columns, _PRICE_COLUMNS),
            }
            cols = [table.c[sku_col]] + [table.c[c] for c in picked.values() if c]
            with engine.connect() as conn:
                rows = conn.execute(sa.select(*cols).limit(limit)).mappings().all()
        finally:
            engine.dispose()
    except Exception:  # any driver/SQL problem: the sandbox must still start
        log.warning("sandbox: MDM database unreadable, generating a catalogue", exc_info=True)
        return None
    out = []
    for row in rows:
        sku = row[sku_col]
        if sku is None or not str(sku).strip():
            continue
        price = row[picked["price"]] if picked["price"] else None
        try:
            price = float(price) if price is not None else None
        except (TypeError, ValueError):
            price = None
        out.append(MdmProduct(
            sku=str(sku).strip(),
            type_code=str(row[picked["type"]]) if picked["type"] and row[picked["type"]] else None,
            name=str(row[picked["name"]]) if picked["name"] and row[picked["name"]] else None,
            description=str(row[picked["description"]]) if picked["description"] and row[picked["description"]]
            else None,
            price=price,
        ))
    return out or None
