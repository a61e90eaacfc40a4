"""Examples in the OpenAPI documents: path parameters by name, helpers for answers and bodies.

A path parameter means the same thing wherever it appears (``facility_id`` is a
facility's id in the registry, the beds service and the gateway alike), so its
example lives here once and is added to every operation that has it and gives
none of its own. tests/gateway/test_openapi_docs.py fails for a path parameter
with no example, so a new name is added here (or given ``examples=`` on its route).

FastAPI writes its documents with ``exclude_none``, which also drops every null
inside an example (``"walk_minutes": null`` vanished, and the example no longer
fit its own schema): :func:`answer` and :func:`request_body` mark them, and
:func:`finish` (run on every app's document) puts them back.
"""

from __future__ import annotations

from typing import Any, Final

#: name → example, for path parameters without their own.
PATH_EXAMPLES: Final[dict[str, Any]] = {
    "facility_id": 42,
    "code": "500112000000",
    "period": "2026-10",
    "figure_id": 3,
    "run_id": 7,
    "other_id": 6,
    "network_id": 1,
    "demand_set_id": 2,
    "task_id": 3,
    "region_run_id": 1,
    "key_id": "d69a904b8965",
    "collection_id": "facilities",
    "feature_id": "42",
}
_METHODS = frozenset({"get", "put", "post", "patch", "delete", "head", "options", "trace"})


def add_path_examples(document: dict[str, Any]) -> dict[str, Any]:
    """Give every path parameter without an example the one named in :data:`PATH_EXAMPLES`
    (in place; returns the document)."""
    for item in (document.get("paths") or {}).values():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            for parameter in operation.get("parameters", []):
                name = parameter.get("name")
                if (
                    parameter.get("in") == "path"
                    and name in PATH_EXAMPLES
                    and "example" not in parameter
                    and "examples" not in parameter
                    and "examples" not in (parameter.get("schema") or {})
                ):
                    parameter["example"] = PATH_EXAMPLES[name]
    return document


#: Stands for a null inside an example until the document is built (FastAPI drops real ones).
NULL_MARK: Final = "\u2400carecircle-null\u2400"


def keep_nulls(example: Any) -> Any:
    """``example`` with every null marked, to survive FastAPI's encoding (a new object);
    :func:`finish` turns the marks back into nulls."""
    if example is None:
        return NULL_MARK
    if isinstance(example, dict):
        return {key: keep_nulls(value) for key, value in example.items()}
    if isinstance(example, list | tuple):
        return [keep_nulls(value) for value in example]
    return example


def restore_nulls(node: Any) -> Any:
    """``node`` with every :data:`NULL_MARK` back to null (in place for dicts and lists)."""
    if isinstance(node, dict):
        for key, value in node.items():
            node[key] = None if value == NULL_MARK else restore_nulls(value)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            node[i] = None if value == NULL_MARK else restore_nulls(value)
    return node


def finish(document: dict[str, Any]) -> dict[str, Any]:
    """The last touches of an app's document: path-parameter examples, nulls in examples."""
    add_path_examples(document)
    restore_nulls(document)
    return document


def answer(
    example: Any, status: int = 200, media_type: str = "application/json", description: str = ""
) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses=`` entry showing ``example`` as its answer."""
    out: dict[str, Any] = {"content": {media_type: {"example": keep_nulls(example)}}}
    if description:
        out["description"] = description
    return {status: out}


def request_body(example: Any, media_type: str = "application/json") -> dict[str, Any]:
    """A route's ``openapi_extra=`` showing ``example`` as its request body."""
    return {"requestBody": {"content": {media_type: {"example": keep_nulls(example)}}}}
