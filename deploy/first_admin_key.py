"""Compose's `admin-key` step: create the first admin API key once and print it.

Only the key's hash is stored, so this log line is the one place it is ever shown. Once an
active key labelled ``first-admin`` exists, later starts print how to make another instead.
Runs ``carecircle apikey`` (GATEWAY_DATABASE_URL), the command an operator would type.
"""

from __future__ import annotations

import subprocess
import sys

LABEL = "first-admin"


def carecircle(*args: str) -> str:
    done = subprocess.run(["carecircle", *args], check=True, capture_output=True, text=True)
    return done.stdout


def main() -> int:
    for line in carecircle("apikey", "list", "--no-include-revoked").splitlines():
        key_id, role, _region, label = (line.split("\t") + ["", "", "", ""])[:4]
        if role == "admin" and label.split(" revoked ")[0] == LABEL:
            print(
                f"the first admin API key exists (key id {key_id}); it was shown once, at its "
                "creation. Another: docker compose run --rm --entrypoint carecircle admin-key "
                "apikey create --role admin --label NAME"
            )
            return 0
    key = carecircle("apikey", "create", "--role", "admin", "--label", LABEL, "--no-migrate")
    print("=" * 72)
    print(f"First admin API key (shown once, store it now): {key.strip()}")
    print("Use it as the X-API-Key header; revoke it with `carecircle apikey revoke KEY_ID`.")
    print("=" * 72, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
