"""Webhook ingestion (CONTRACT §22-23): the signature check, the receiver process and the registration."""
