"""Name normalization for duplicate detection: two spellings of one facility compare equal.

Pure functions (no I/O). ``normalize_name("渝北区 龙溪街道（社区）养老服务站")`` and
``normalize_name("渝北区龙溪街道(社区)养老服务站")`` give the same key.
"""

from __future__ import annotations

import unicodedata


def normalize_name(name: str) -> str:
    """A comparison key: NFKC (full-width → ASCII), case-folded, without spaces or punctuation.

    NFKC maps full-width letters, digits and brackets (``（１）``) to their ASCII forms;
    then every character whose Unicode category is punctuation (P*), symbol (S*),
    separator (Z*) or control (C*) is dropped, so ``"A·B 站"`` and ``"AB站"`` match.
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PSZC")[:200]
