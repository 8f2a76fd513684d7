"""MDM business logic: prices, the inventory grid, the stock MERGE and sync API, store mapping, demo seed."""
