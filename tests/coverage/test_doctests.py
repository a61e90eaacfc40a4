"""Every example in the coverage modules' docstrings runs (a module with ``>>>`` is found by itself)."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil

import pytest

import services.coverage

MODULES = sorted(
    info.name
    for info in pkgutil.iter_modules(services.coverage.__path__, "services.coverage.")
    if ">>>" in (importlib.util.find_spec(info.name).loader.get_source(info.name) or "")  # type: ignore[union-attr]
)


def test_the_examples_are_found() -> None:
    assert {"services.coverage.rollup", "services.coverage.walking"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
