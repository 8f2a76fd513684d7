"""The sync engine: stock and price pipelines to Magento, the scheduler, their metrics (see docs/sync.md)."""
