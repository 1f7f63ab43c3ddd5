"""The OpenAPI description of the routes, and the interactive page at ``/docs``, whose Swagger UI
assets come from the ``swagger-ui-bundle`` package (no CDN, works offline). The schema is OpenAPI
3.0: the Swagger UI 4 that package ships cannot render 3.1."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from swagger_ui_bundle import swagger_ui_path

from .. import __version__

DOCS_ASSETS = Path(str(swagger_ui_path))

_STRING_OR_IDS = {
    "oneOf": [
        {"type": "string", "minLength": 1},
        {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 1},
    ]
}
_INPUT = {
    "oneOf": [
        {"type": "string", "minLength": 1},
        {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 1},
        {"type": "array", "items": _STRING_OR_IDS, "minItems": 1},
    ],
    "description": "A text, a list of texts, a list of token ids or a list of id lists.",
}
_DIMENSIONS = {
    "type": "integer",
    "nullable": True,
    "minimum": 1,
    "description": "Keep the first N dimensions (Matryoshka), then normalise.",
}
_VECTOR = {"type": "array", "items": {"type": "number"}}
_NULLABLE_STRING = {"type": "string", "nullable": True}
_NULLABLE_BOOLEAN = {"type": "boolean", "nullable": True}


def _json_ref(name: str) -> dict:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def _responses(ok: dict, family: str, *codes: int) -> dict:
    error = "OpenAIError" if family == "openai" else "TEIError"
    responses: dict = {"200": ok}
    for code in codes:
        responses[str(code)] = {"description": _REASONS[code], **_json_ref(error)}
    return responses


_REASONS = {
    400: "Invalid request (OpenAI route: every field error)",
    401: "Missing or wrong API key",
    404: "Unknown model",
    413: "Body, input or batch over a limit",
    422: "Invalid field (TEI route)",
    429: "Too many requests in flight",
    403: "Admin routes disabled (no admin key set)",
    409: "The name is already served from another source",
}
_SECURED = [{"bearer": []}]
_NAME_PARAMETER = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}


@cache
def openapi_schema() -> dict:
    json_body = "application/json"
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "static-embed-runner",
            "version": __version__,
            "description": "Sentence embeddings from static models, with the OpenAI embeddings "
            "API and the text-embeddings-inference API.",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "OpenAIEmbeddingRequest": {
                    "type": "object",
                    "required": ["input"],
                    "properties": {
                        "input": _INPUT,
                        "model": _NULLABLE_STRING,
                        "encoding_format": {
                            "type": "string",
                            "enum": ["float", "base64"],
                            "nullable": True,
                        },
                        "dimensions": _DIMENSIONS,
                        "user": _NULLABLE_STRING,
                        "prompt_name": _NULLABLE_STRING,
                        "prompt": _NULLABLE_STRING,
                        "normalize": _NULLABLE_BOOLEAN,
                        "allow_empty": _NULLABLE_BOOLEAN,
                        "max_length": {
                            "description": "Tokens kept per input: an integer, null (all) or "
                            '"model" (the model\'s own limit, the default).',
                            "nullable": True,
                            "oneOf": [
                                {"type": "integer", "minimum": 0},
                                {"type": "string", "enum": ["model"]},
                            ],
                        },
                    },
                },
                "OpenAIEmbeddingResponse": {
                    "type": "object",
                    "required": ["object", "data", "model", "usage"],
                    "properties": {
                        "object": {"type": "string", "enum": ["list"]},
                        "data": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["object", "index", "embedding"],
                                "properties": {
                                    "object": {"type": "string", "enum": ["embedding"]},
                                    "index": {"type": "integer"},
                                    "embedding": {"oneOf": [_VECTOR, {"type": "string"}]},
                                },
                            },
                        },
                        "model": {"type": "string"},
                        "usage": {
                            "type": "object",
                            "required": ["prompt_tokens", "total_tokens"],
                            "properties": {
                                "prompt_tokens": {"type": "integer"},
                                "total_tokens": {"type": "integer"},
                            },
                        },
                    },
                },
                "TEIEmbedRequest": {
                    "type": "object",
                    "required": ["inputs"],
                    "properties": {
                        "inputs": _INPUT,
                        "normalize": _NULLABLE_BOOLEAN,
                        "truncate": _NULLABLE_BOOLEAN,
                        "truncation_direction": {
                            "type": "string",
                            "enum": ["Right", "Left", "right", "left"],
                            "nullable": True,
                        },
                        "prompt_name": _NULLABLE_STRING,
                        "dimensions": _DIMENSIONS,
                        "model": _NULLABLE_STRING,
                    },
                },
                "OpenAIError": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["message", "type"],
                            "properties": {
                                "message": {"type": "string"},
                                "type": {"type": "string"},
                                "param": _NULLABLE_STRING,
                                "code": _NULLABLE_STRING,
                            },
                        }
                    },
                },
                "TEIError": {
                    "type": "object",
                    "required": ["error", "error_type"],
                    "properties": {
                        "error": {"type": "string"},
                        "error_type": {"type": "string"},
                    },
                },
                "ModelList": {
                    "type": "object",
                    "required": ["object", "data"],
                    "properties": {
                        "object": {"type": "string", "enum": ["list"]},
                        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Model"}},
                    },
                },
                "Model": {
                    "type": "object",
                    "required": ["id", "object", "created", "owned_by"],
                    "properties": {
                        "id": {"type": "string"},
                        "object": {"type": "string", "enum": ["model"]},
                        "created": {"type": "integer"},
                        "owned_by": {"type": "string"},
                    },
                },
            },
        },
        "paths": {
            "/v1/embeddings": {
                "post": {
                    "summary": "Embed texts (OpenAI embeddings API)",
                    "operationId": "openai_embeddings",
                    "security": _SECURED,
                    "requestBody": {
                        "required": True,
                        "content": {
                            json_body: {
                                "schema": {"$ref": "#/components/schemas/OpenAIEmbeddingRequest"}
                            }
                        },
                    },
                    "responses": _responses(
                        {
                            "description": "One embedding per input, in input order",
                            **_json_ref("OpenAIEmbeddingResponse"),
                        },
                        "openai",
                        400,
                        401,
                        404,
                        413,
                        429,
                    ),
                }
            },
            "/v1/models": {
                "get": {
                    "summary": "The served models (OpenAI models API)",
                    "operationId": "openai_models",
                    "security": _SECURED,
                    "responses": _responses(
                        {"description": "Served models", **_json_ref("ModelList")}, "openai", 401
                    ),
                }
            },
            "/embed": {
                "post": {
                    "summary": "Embed texts (text-embeddings-inference API)",
                    "operationId": "tei_embed",
                    "security": _SECURED,
                    "requestBody": {
                        "required": True,
                        "content": {
                            json_body: {"schema": {"$ref": "#/components/schemas/TEIEmbedRequest"}}
                        },
                    },
                    "responses": _responses(
                        {
                            "description": "One vector per input, always a list of vectors",
                            "content": {json_body: {"schema": {"type": "array", "items": _VECTOR}}},
                        },
                        "tei",
                        400,
                        401,
                        404,
                        413,
                        422,
                        429,
                    ),
                }
            },
            "/info": {
                "get": {
                    "summary": "Served models and limits (text-embeddings-inference's /info)",
                    "operationId": "tei_info",
                    "security": _SECURED,
                    "responses": _responses(
                        {
                            "description": "Model and limits",
                            "content": {json_body: {"schema": {"type": "object"}}},
                        },
                        "tei",
                        401,
                    ),
                }
            },
            "/health": {
                "get": {
                    "summary": "200 once every model is loaded, 503 before",
                    "operationId": "health",
                    "responses": {
                        "200": {"description": "Ready"},
                        "503": {"description": "Not ready", **_json_ref("TEIError")},
                    },
                }
            },
            "/admin/models": {
                "get": {
                    "summary": "Offered models and whether this worker has them loaded",
                    "operationId": "admin_list_models",
                    "security": _SECURED,
                    "responses": _responses(
                        {
                            "description": "Offered models",
                            "content": {json_body: {"schema": {"type": "object"}}},
                        },
                        "openai",
                        401,
                        403,
                    ),
                },
                "post": {
                    "summary": "Load a model and offer it in every worker (admin key)",
                    "operationId": "admin_add_model",
                    "security": _SECURED,
                    "requestBody": {
                        "required": True,
                        "content": {
                            json_body: {
                                "schema": {
                                    "type": "object",
                                    "required": ["name"],
                                    "properties": {
                                        "name": {"type": "string"},
                                        "source": _NULLABLE_STRING,
                                    },
                                }
                            }
                        },
                    },
                    "responses": _responses(
                        {
                            "description": "Loaded",
                            "content": {json_body: {"schema": {"type": "object"}}},
                        },
                        "openai",
                        400,
                        401,
                        403,
                        409,
                        422,
                    ),
                },
            },
            "/admin/models/{name}/unload": {
                "post": {
                    "summary": "Free a model's memory in this worker; it stays offered (admin key)",
                    "operationId": "admin_unload_model",
                    "security": _SECURED,
                    "parameters": [_NAME_PARAMETER],
                    "responses": _responses(
                        {
                            "description": "Unloaded",
                            "content": {json_body: {"schema": {"type": "object"}}},
                        },
                        "openai",
                        401,
                        403,
                        404,
                    ),
                }
            },
            "/admin/models/{name}": {
                "delete": {
                    "summary": "Stop offering a model and unload it in every worker (admin key)",
                    "operationId": "admin_remove_model",
                    "security": _SECURED,
                    "parameters": [_NAME_PARAMETER],
                    "responses": _responses(
                        {
                            "description": "Removed",
                            "content": {json_body: {"schema": {"type": "object"}}},
                        },
                        "openai",
                        401,
                        403,
                        404,
                    ),
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics",
                    "operationId": "metrics",
                    "security": _SECURED,
                    "responses": {
                        "200": {
                            "description": "Prometheus text format",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        },
                        "401": {"description": _REASONS[401], **_json_ref("TEIError")},
                    },
                }
            },
        },
    }


def docs_page() -> str:
    """Swagger UI for ``/openapi.json``, its scripts and styles served from ``/docs/assets``."""
    return """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>static-embed-runner API</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({url: "openapi.json", dom_id: "#swagger-ui"});
</script>
</body>
</html>
"""
