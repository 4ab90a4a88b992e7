"""The service keeps its OpenAPI contract: schemathesis, with all its checks, against the real app.

Every operation of `/openapi.json` gets generated requests, valid and invalid
(types, bounds, missing and empty values, undeclared methods, odd headers), sent
to the real app over the shipped corpus's index; every answer is checked against
the schema: no 5xx, only documented statuses and content types, bodies matching
their models, invalid requests refused, valid ones accepted, 405 with `Allow`.
Bounded (a fixed seed, `EXAMPLES` per operation) so the run stays well under a
minute; the same run from outside, with 1,500 examples per operation against a
real uvicorn, is described in docs/api.md ("The contract, checked").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from search_service.index.build import build_index
from search_service.settings import Settings
from search_service.web.api import create_app

#: Generated requests per operation in the fuzzing phase (the coverage phase adds its own).
EXAMPLES = 60
SEED = 20261203


REPO_ROOT = Path(__file__).resolve().parents[2]


def openapi_document() -> dict[str, Any]:
    """The app's schema: it depends on no index, so it is read at collection time
    (schemathesis makes one test per operation from it)."""
    settings = Settings(index_dir=REPO_ROOT / "no-index", corpus_dir=REPO_ROOT / "corpus")
    return create_app(settings).openapi()


#: The editors' report is on in the app under test, and its token sent to its route only:
#: its parameters are checked past the token (the 401 without it: tests/analytics).
ADMIN_TOKEN = "contract-admin-token-0123456789"
#: What schemathesis counts as refusing a schema-violating request (its default list),
#: plus 413 on `POST /clicks`: a body over the size limit is refused before it is read
#: (every body the schema allows is within it: tests/analytics/test_clicks_endpoint.py).
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "5xx"]
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "operations": [
            {
                "include-path": "/clicks",
                "checks": {"negative_data_rejection": {"expected-statuses": [*REFUSALS, "413"]}},
            },
            {
                "include-path": "/admin/report",
                "headers": {"Authorization": f"Bearer {ADMIN_TOKEN}"},
            },
        ],
    }
)
schema = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG)


@pytest.fixture(scope="module")
def contract_app(tmp_path_factory: pytest.TempPathFactory, shipped_corpus: Path) -> Any:
    """The real app over an index of the shipped corpus (the schema's examples name its
    articles), started as a server starts it (lifespan), once for the module."""
    index_dir = tmp_path_factory.mktemp("contract") / "indexes"
    build_index(shipped_corpus, index_dir, full=True)
    data_dir = tmp_path_factory.mktemp("contract-data")
    return create_app(
        Settings(
            index_dir=index_dir,
            corpus_dir=shipped_corpus,
            data_dir=data_dir,
            admin_token=ADMIN_TOKEN,
        )
    )


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_service_keeps_its_openapi_contract(case: Any, contract_app: Any) -> None:
    case.call_and_validate(app=contract_app)
