"""The JSON API fuzzed by schemathesis against its own OpenAPI document.

Every operation gets generated paths, queries and headers on a database the
pipeline filled; none may end in a server error, and every answer must match
what the document promises (status codes, content types, response schemas).

One default check is left out: "a schema-valid request is accepted". The
change filters are checked against the data as well as the schema — an outlet
redline has never seen, or a kind it does not know, is a 400 that lists the
allowed values, which is what a person who mistyped one needs.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.reviewdata import fill

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from schemathesis.specs.openapi.checks import positive_data_acceptance
    from schemathesis.specs.openapi.schemas import OpenApiSchema

from review.web import create_app

# The document does not depend on the data: read it once to name the tests.
OPERATIONS = [
    (method.upper(), path)
    for path, operations in create_app("sqlite://").openapi()["paths"].items()
    for method in operations
]
EXAMPLES = 60


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> OpenApiSchema:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    room = fill(f"sqlite:///{tmp / 'fuzz.db'}")
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(room.db_url))


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_never_errors_and_keeps_its_promises(api_schema: OpenApiSchema, method: str, path: str) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    fuzz()
