"""Property-based fuzzing of the live server against its own OpenAPI schema.

Schemathesis loads ``/openapi.json`` from the running server (the ``server`` fixture: four
models, no API key), generates valid and invalid requests for every documented operation, sends
them over real HTTP and checks each answer: never a 5xx, a status code the schema documents for
the operation, the documented content type, and a body that matches the documented schema.

The run is bounded for CI (a fixed number of examples per operation, no deadline) but not
derandomized: every run explores new inputs. ``scripts/fuzz_server.py`` runs the same checks with
many more examples, for manual runs.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from static_embed_runner.serve import ServeSettings

# What every response must satisfy (schemathesis's other checks, e.g. ``ignored_auth``, judge
# behaviours that depend on the server's configuration rather than on the schema).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 60
REQUEST_TIMEOUT = 30


@pytest.fixture(scope="module")
def api_schema(server, served_settings: ServeSettings):
    """The schema exactly as the live server publishes it, with the server's key if it has one."""
    key = served_settings.resolved_api_key()
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json", headers=headers)
    schema.config.update(base_url=server.url, headers=headers or None)
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=False,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_every_operation_answers_without_5xx_and_matches_its_schema(case) -> None:
    case.call_and_validate(checks=CHECKS, timeout=REQUEST_TIMEOUT)
