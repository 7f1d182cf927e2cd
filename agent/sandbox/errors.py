"""The error envelope (contract §3) as an exception handlers raise and the pipeline renders."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An API answer that is an error; `requestId` is filled in when the envelope is rendered."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}

    def envelope(self, request_id: str) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "requestId": request_id}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


def validation(issues: list[tuple[str, str]], status: int = 422) -> ApiError:
    """422 VALIDATION with `details.issues[{path, message}]`; 400 where the contract says so."""
    first_path, first_message = issues[0]
    message = f"{first_path}: {first_message}" if first_path else first_message
    return ApiError(
        status,
        "VALIDATION",
        message,
        {"issues": [{"path": path, "message": text} for path, text in issues]},
    )


def not_found(message: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", message)


def conflict(message: str, **details: Any) -> ApiError:
    return ApiError(409, "CONFLICT", message, details or None)
