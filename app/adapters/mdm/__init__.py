"""The MDM database (the customer's SQL Server, or an embedded/demo SQLite, PostgreSQL, MariaDB)."""
from app.adapters.mdm.tables import (
                                     approvisionnement,
                                     create_mdm_schema,
                                     drop_mdm_schema,
                                     mdm_engine,
                                     metadata,
                                     produits,
                                     stock_changes,
                                     tarif,
)

__all__ = ["approvisionnement", "create_mdm_schema", "drop_mdm_schema", "mdm_engine", "metadata",
           "produits", "stock_changes", "tarif"]
