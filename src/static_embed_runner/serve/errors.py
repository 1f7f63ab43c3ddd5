"""API errors and their two wire shapes: OpenAI's ``{"error": {message, type, param, code}}`` on
``/v1/...`` routes, and text-embeddings-inference's ``{"error", "error_type"}`` elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

# TEI's error types and the status each one maps to.
TEI_STATUS = {
    "Validation": 422,
    "Empty": 400,
    "Overloaded": 429,
    "Unhealthy": 503,
    "Tokenizer": 422,
    "Backend": 424,
}
# OpenAI's error ``type`` for a status.
_OPENAI_TYPE = {
    401: "invalid_request_error",
    404: "invalid_request_error",
    429: "rate_limit_error",
    503: "server_error",
}


@dataclass
class ApiError(Exception):
    """A request the server refuses: one message, rendered in the caller's API shape.

    ``status`` is the OpenAI route's status; ``tei_type`` decides TEI's (see :data:`TEI_STATUS`),
    except where ``tei_status`` overrides it (413 for a body over the size limit)."""

    status: int
    message: str
    param: str | None = None
    code: str | None = None
    tei_type: str = "Validation"
    tei_status: int | None = None

    def __str__(self) -> str:
        return self.message

    def openai_body(self) -> dict:
        kind = _OPENAI_TYPE.get(self.status, "invalid_request_error")
        return {
            "error": {"message": self.message, "type": kind, "param": self.param, "code": self.code}
        }

    def tei_status_code(self) -> int:
        return self.tei_status or TEI_STATUS[self.tei_type]

    def tei_body(self) -> dict:
        return {"error": self.message, "error_type": self.tei_type}


def invalid(message: str, param: str | None = None, *, tei_type: str = "Validation") -> ApiError:
    """A request field with a wrong type or value: 400 (OpenAI) / 422 (TEI)."""
    return ApiError(400, message, param, tei_type=tei_type)


def empty_input(param: str) -> ApiError:
    return ApiError(
        400, f"Input validation error: `{param}` cannot be empty", param, tei_type="Empty"
    )


def too_large(message: str, param: str | None = None) -> ApiError:
    """A body or a batch over a size limit: 413 on both APIs."""
    return ApiError(413, message, param, tei_status=413)


def overloaded(limit: int) -> ApiError:
    return ApiError(
        429,
        f"Model is overloaded: {limit} requests are already in flight (max_concurrent_requests)",
        code="overloaded",
        tei_type="Overloaded",
    )


def unauthorized() -> ApiError:
    return ApiError(
        401,
        "missing or wrong API key: send the header 'Authorization: Bearer <key>'",
        code="invalid_api_key",
        tei_status=401,
    )


def unknown_model(name: str, known: list[str]) -> ApiError:
    return ApiError(
        404,
        f"The model `{name}` does not exist; this server serves: {', '.join(known)}",
        "model",
        "model_not_found",
        tei_status=404,
    )
