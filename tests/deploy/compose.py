"""Compose-file interpolation (``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}``), as compose does it."""

from __future__ import annotations

import re
from collections.abc import Mapping

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})"
)


def interpolate(text: str, environment: Mapping[str, str]) -> str:
    """Substitute variables the way the compose spec says; a required one unset raises ValueError."""

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name, op, arg = match["name"], match["op"], match["arg"] or ""
        value = environment.get(name)
        missing = value is None or (op is not None and op.startswith(":") and value == "")
        if op in {"-", ":-"} and missing:
            return arg
        if op in {"?", ":?"} and missing:
            raise ValueError(f"{name}: {arg}")
        return value or ""

    return _VARIABLE.sub(substitute, text)
