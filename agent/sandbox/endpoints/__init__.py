"""Endpoint handlers, one module per area of the API; each takes (ApiRequest, SandboxState)."""
