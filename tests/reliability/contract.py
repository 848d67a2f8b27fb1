"""Run schemathesis against a live site: shared by the bounded test and bench/schemathesis_long.py."""
from __future__ import annotations

import requests
import schemathesis
from schemathesis.specs.openapi import checks
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

# Path parameter -> the seeded ids worth hitting (random ids mostly find nothing, which is a 404).
SEEDED = {
    "board_id": ("board", "private_board"), "blog_id": ("blog", "private_blog"),
    "thread_id": ("thread", "prep", "private_thread"), "post_id": ("post",), "entry_id": ("entry",),
    "comment_id": ("comment",), "token_id": (),
}


# "Schema-valid request rejected" expects every schema-valid request to succeed; our rules (an opaque
# paging cursor, permissions, a lead speaker who must be a member...) are not all expressible in a
# schema, and a clear 4xx is the contract. Everything else runs: no 5xx, documented status codes,
# content types, response schemas and headers, negative data rejected.
EXCLUDED = [checks.positive_data_acceptance]


def load_schema(site):
    """The schema as the live server serves it."""
    raw = requests.get(f"{site.url}/api/v1/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(raw)
    schema.config.update(base_url=f"{site.url}/api/v1")
    return schema


def _ordered(schema):
    """Operations with the destructive ones last, so they don't delete what the others exercise."""
    ops = [result.ok() for result in schema.get_all_operations()]
    return sorted(ops, key=lambda op: (op.method.upper() == "DELETE", op.label))


def run_contract(site, who: str, max_examples: int, derandomize: bool = False) -> tuple[list[str], int]:
    """Every operation, `max_examples` cases each, as `who`; returns (failures, requests made).

    derandomize: the same cases every run (make test: a landing never hinges on a lucky draw);
    the long bench run explores fresh cases each time.
    """
    schema = load_schema(site)
    headers = {"Authorization": f"Bearer {site.tokens[who]}"}
    failures: list[str] = []
    calls = {"n": 0}
    session = requests.Session()
    for operation in _ordered(schema):
        if operation.path == "/tokens":
            continue  # exercised below with a fixed body: random sign-ins only test the rate limiter
        path_ids = [p.name for p in operation.path_parameters]

        @settings(max_examples=max_examples, deadline=None, database=None, derandomize=derandomize,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate],
                  print_blob=False)
        @given(case=operation.as_strategy(), data=st.data())
        def check(case, data):
            for name in path_ids:
                known = [site.ids[k] for k in SEEDED.get(name, ())]
                if known and data.draw(st.booleans(), label=f"seeded {name}"):
                    case.path_parameters[name] = data.draw(st.sampled_from(known), label=name)
            calls["n"] += 1
            try:
                case.call_and_validate(headers=headers, session=session, timeout=20, excluded_checks=EXCLUDED)
            except Exception as exc:  # noqa: BLE001 - recorded, not raised: the API has state, so
                # hypothesis' replay of a failing case would often not fail again ("flaky")
                if len(found) < 3:
                    found.append(f"{who} {operation.label}: {exc}\n  curl: {case.as_curl_command(headers)}")

        found: list[str] = []
        check()
        failures.extend(found)
    return failures, calls["n"]
