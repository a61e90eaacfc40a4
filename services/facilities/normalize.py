"""Name normalization for duplicate detection: two spellings of one facility compare equal.

Pure functions (no I/O). ``normalize_name("渝北区 龙溪街道（社区）养老服务站")`` and
``normalize_name("渝北区龙溪街道(社区)养老服务站")`` give the same key.
"""

from __future__ import annotations

import unicodedata


def normalize_name(name: str) -> str:
    """A comparison key: NFKC (full-width → ASCII), case-folded, without spaces or punctuation.

    Compatibility decomposition (NFKD) maps full-width letters, digits and brackets
    (``（１）``) to their ASCII forms and splits accents off; then every character whose
    Unicode category is a mark (M*), punctuation (P*), symbol (S*), separator (Z*) or
    control (C*) is dropped, so ``"A·B 站"`` and ``"AB站"`` match; NFKC recomposes the rest.
    """
    folded = unicodedata.normalize("NFKD", name).casefold()
    kept = "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "MPSZC")
    return unicodedata.normalize("NFKC", kept)[:200]
