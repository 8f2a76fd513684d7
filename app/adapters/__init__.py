"""Adapters: the outside world (SQL, Redis, Magento, files) behind small typed interfaces."""
