"""Magento client tests: unit tests on a fake transport, oracle validation, the sandbox over HTTP."""
