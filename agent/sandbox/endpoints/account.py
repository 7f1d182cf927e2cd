"""GET /v1/whoami and GET /v1/credits (contract §1.5, §25)."""

from __future__ import annotations

from agent.sandbox import ids
from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.state import SandboxState


def whoami(req: ApiRequest, state: SandboxState) -> ApiResponse:
    org = state.organization
    return ApiResponse(
        200,
        {
            "organizationId": org.id,
            "workspaceId": org.id,
            "organizationName": org.name,
            "parentOrganizationId": None,
            "scopes": ["*"],
            "rateLimitTier": state.rate_limit_tier,
            "apiKeyId": ids.encode("api_key", ids.derived_uuid("api-key", req.api_key_id)),
            "creditBalance": org.credit_balance,
        },
    )


def credits(req: ApiRequest, state: SandboxState) -> ApiResponse:
    """Sandbox keys burn no credits (Gen-B sandbox), so the wallet never moves."""
    balance = state.organization.credit_balance
    return ApiResponse(
        200,
        {
            "organizationId": state.organization.id,
            "balance": balance,
            "available": balance,
            "includedRemaining": balance,
            "prepaidBalance": 0,
            "reservedCredits": 0,
            "estimatedCreditsPerFormat": {
                "slideshow_builder": 50,
                "slideshow_remix": 50,
                "video_remix": 120,
                "ugc_remix": 120,
                "auto": 120,
            },
        },
    )
