"""Helpers shared by the tests: ids, builders, fakes and the Compose interpreter."""
