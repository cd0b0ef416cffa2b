"""schemathesis against the API's own OpenAPI document (issue 18, point 7), on both engines,
with a valid read-write key of the demo tenant: for every operation, generated requests never
get a 500, and every answer has a documented status, content type and schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_helpers import make_key

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(app, session, demo):
    app.config["API_RATE_LIMIT"] = "100000/minute"
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.api_key = make_key(session, "admin@skyline.example")
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_generated_requests_as_documented(case, api_schema):
    case.call_and_validate(headers={"Authorization": f"Bearer {api_schema.api_key}"}, checks=CHECKS)
