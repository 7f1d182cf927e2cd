"""What a channel failure reports never holds a part of the channel's URL but its host."""

from __future__ import annotations

from agent.notify.apprise_channels import scrub

URL = "json://user:PassWord42@hooks.example.com:8443/services/T0123/B0456/tokenXYZ?+X-Auth=headerSECRET"


def test_every_part_of_the_url_but_its_host_is_scrubbed():
    said = (
        "Failed to send to hooks.example.com: 404 for https://hooks.example.com/services/T0123/B0456/tokenXYZ; "
        "auth PassWord42 rejected; header headerSECRET; path tokenXYZ"
    )
    cleaned = scrub(said, URL)
    for secret in ("PassWord42", "T0123", "B0456", "tokenXYZ", "headerSECRET", "https://"):
        assert secret not in cleaned
    assert "hooks.example.com" in cleaned
    assert "<url>" in cleaned
