"""The MDM tables the service reads and writes, as SQLAlchemy Core tables, and their portable naming.

The customer's SQL Server database names them ``dbo.Produits_ECommerce``, ``dbo.Tarif``,
``EComm.ApprovisionnementProduits`` and ``EComm.StockChanges``. The tables below carry those real schemas,
so every statement compiled for mssql names the real objects. Other databases have no ``dbo``/``EComm``
schemas (SQLite has none at all), so `mdm_engine` applies SQLAlchemy's ``schema_translate_map`` at
execution time: both schemas map to ``None`` (the connection's default schema) or to one schema given by
the caller (tests use a throw-away schema per run). Keeping the same table names everywhere -- rather than
prefixed names -- means one metadata, one set of statements, and the names an MDM operator already knows.

Only the columns the original reads and writes (original-backend.md section 2) plus the descriptive ones
the inventory grid shows (Code_JDE, Libelle, Categorie, Marque) are declared; on SQL Server the tables
already exist and `create_mdm_schema` must not be used (it serves the embedded/demo databases only).
"""
from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
)
from sqlalchemy.dialects import mssql, mysql

# Real schema names on SQL Server.
DBO = "dbo"
ECOMM = "EComm"

# Microsecond timestamps everywhere: acknowledge() compares DateDernierMaJ for equality, so the value read
# back must be exactly the value written (MariaDB's plain DATETIME drops fractions, mssql DATETIME rounds).
Timestamp = (DateTime()
             .with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
             .with_variant(mssql.DATETIME2(), "mssql"))

metadata = MetaData()

produits = Table(
    "Produits_ECommerce", metadata,
    Column("Code_MDM", String(32), primary_key=True),
    Column("Code_JDE", String(32), index=True),
    Column("TypeProd", String(1), nullable=False),          # S simple, V variant, C configurable
    Column("Sku_Conf", String(32), index=True),              # a variant's parent configurable (Code_MDM)
    Column("TypeConfHomog", SmallInteger),                   # 1: configurable whose variants share its price
    Column("Libelle", String(255)),
    Column("Categorie", String(100), index=True),
    Column("Marque", String(100)),
    Column("DateCreation", Timestamp),
    # MAX(DateCreation) is one of the pre-computed price table's change markers (current_prices.py)
    Index("ix_produits_creation", "DateCreation"),
    schema=DBO,
)

tarif = Table(
    "Tarif", metadata,
    Column("Code_Tarif", String(20), primary_key=True),     # the price list a row belongs to
    Column("Code_MDM", String(32), primary_key=True),
    Column("DateDebut", Date, primary_key=True),
    Column("DateFin", Date),                                 # NULL: open-ended
    Column("Code_JDE", String(32)),
    Column("Tarif", Numeric(12, 2)),
    Column("DateModif", Timestamp),
    Column("Code_TarifType", SmallInteger, nullable=False),  # 0 reference, 9 e-commerce
    Column("Code_TarifRef", String(20)),                     # type 9 rows: Code_Tarif of their type-0 list
    Index("ix_tarif_mdm_type", "Code_MDM", "Code_TarifType"),
    Index("ix_tarif_modif", "DateModif"),  # MAX(DateModif): the other change marker
    schema=DBO,
)

approvisionnement = Table(
    "ApprovisionnementProduits", metadata,
    Column("Id", Integer, primary_key=True, autoincrement=True),
    Column("Code_MDM", String(32), nullable=False),
    Column("Code_Source", Integer, nullable=False),
    Column("Source", String(100)),
    Column("QteStock", Integer),                             # NULL: quantity unknown at the store
    Column("DateMouvement", Timestamp, nullable=False),
    # "latest movement per (product, source)" walks this index backwards
    Index("ix_appro_latest", "Code_MDM", "Code_Source", "DateMouvement", "Id"),
    schema=ECOMM,
)

stock_changes = Table(
    "StockChanges", metadata,
    Column("Code_MDM", String(32), primary_key=True),
    Column("Code_Source", Integer, primary_key=True),
    Column("Source", String(100)),
    Column("QteStock", Integer),
    Column("DateDernierMaJ", Timestamp),
    Column("changed", Boolean, nullable=False, default=False),
    Column("syncedDate", Timestamp),
    Index("ix_stock_changes_source_changed", "Code_Source", "changed", "Code_MDM"),
    # The grid's common shapes: one store sorted by quantity; changed rows (or all) by last update.
    Index("ix_stock_changes_source_qte", "Code_Source", "QteStock", "Code_MDM"),
    Index("ix_stock_changes_changed_date", "changed", "DateDernierMaJ", "Code_MDM", "Code_Source"),
    Index("ix_stock_changes_date", "DateDernierMaJ", "Code_MDM", "Code_Source"),
    schema=ECOMM,
)

TABLES = (produits, tarif, approvisionnement, stock_changes)


def schema_map(schema: str | None = None) -> dict[str | None, str | None]:
    """The ``schema_translate_map`` for a non-SQL-Server database: both MDM schemas -> `schema`."""
    return {DBO: schema, ECOMM: schema}


def mdm_engine(engine: Engine, *, schema: str | None = None) -> Engine:
    """Return `engine` set up to address the MDM tables (shares the pool; cheap to call).

    On mssql the real ``dbo``/``EComm`` names are kept unless `schema` is given; elsewhere both schemas
    are translated to `schema` (None = the connection's default schema / SQLite main database).
    """
    if engine.dialect.name == "mssql" and schema is None:
        return engine
    return engine.execution_options(schema_translate_map=schema_map(schema))


def create_mdm_schema(engine: Engine) -> None:
    """Create the MDM tables if missing -- embedded/demo/test databases only, never the customer's MDM.

    `engine` must come from `mdm_engine` (so the names are translated) on a non-mssql database.
    """
    if engine.dialect.name == "mssql":
        raise RuntimeError("refusing to create tables in a SQL Server MDM database")
    metadata.create_all(engine, checkfirst=True)


def drop_mdm_schema(engine: Engine) -> None:
    """Drop the MDM tables (tests and `db seed --reset` on demo databases only)."""
    if engine.dialect.name == "mssql":
        raise RuntimeError("refusing to drop tables in a SQL Server MDM database")
    metadata.drop_all(engine, checkfirst=True)
