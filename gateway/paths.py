"""The one check of a request's path and query before anything reads them (pure, no HTTP).

The server decodes the request target once (``scope["path"]``); the gateway
authorizes that decoded path and forwards exactly it. For that to be safe, what
the upstream ends up routing must be the same string, so the path may hold no
text that any later step would read differently:

- no ``.`` or ``..`` segment and no empty one (``//``): resolved or merged later,
  they would reach another route than the one authorized;
- no ``%`` left after the one decoding (``%252e`` → ``%2e``), and no encoded
  slash or backslash (``%2f``, ``%5c``): a second decoding anywhere downstream
  would turn them into dot segments or separators (the WHATWG URL parser in
  the gateway's own HTTP client treats ``%2e%2e`` as ``..``);
- only RFC 3986 path characters (letters, digits, ``-._~!$&'()*+,;=:@``): no
  backslash (a separator to URL parsers), no tab or newline (which they drop),
  no space, quote or non-ASCII text that a client library would re-encode.

The query is forwarded as received, with the few bytes a URL parser would
re-encode or cut (space, ``"``, ``#``, ``'``, ``<``, ``>``, controls, non-ASCII)
percent-encoded first, so the upstream decodes the same values the gateway saw and
the signed identity (which covers path and query) verifies.
"""

from __future__ import annotations

import re
from urllib.parse import quote_from_bytes

_SEGMENT_CHARS = r"[A-Za-z0-9\-._~!$&'()*+,;=:@]"
#: Segments of path characters, none empty, ``.`` or ``..``; a trailing slash is fine.
_CLEAN_PATH = re.compile(rf"(?:/(?!\.\.?(?:/|$)){_SEGMENT_CHARS}+)*/?")
_ENCODED_SEPARATOR = re.compile(rb"%(?:2f|5c)", re.IGNORECASE)
#: Bytes of a query that URL parsers re-encode or cut at: controls, space, '"', '#', "'", '<',
#: '>', DEL and non-ASCII (the WHATWG special-query percent-encode set).
_QUERY_UNSAFE = re.compile(rb"[^!$%&(-;=?-~]")
_QUERY_SAFE = bytes(c for c in range(0x21, 0x7F) if c not in b"\"#'<>")


def path_problem(raw_path: bytes, path: str) -> str | None:
    """Why the request path may not be forwarded or routed, or None when it is clean.

    ``raw_path`` is the target as sent (before decoding), ``path`` the server's one
    decoding of it.
    """
    if _CLEAN_PATH.fullmatch(path) is not None and b"%" not in raw_path:
        return None  # the common case: one regex, nothing was encoded
    if _ENCODED_SEPARATOR.search(raw_path):
        return "an encoded '/' or '\\' (%2F, %5C)"
    if "%" in path:
        return "a '%' left after decoding (double encoding)"
    if _CLEAN_PATH.fullmatch(path) is None:
        return (
            "an empty, '.' or '..' segment, or a character outside letters, digits "
            "and -._~!$&'()*+,;=:@"
        )
    return None


def forwardable_query(raw_query: bytes) -> str:
    """The query string as sent, with only what a URL parser would change percent-encoded."""
    if _QUERY_UNSAFE.search(raw_query) is None:
        return raw_query.decode("ascii")
    return quote_from_bytes(raw_query, safe=_QUERY_SAFE)
