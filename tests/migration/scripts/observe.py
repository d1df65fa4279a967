"""What a migration script reports: one JSON line per observation, compared across clients.

Scripts print what a user's script would print; only what they pass to ``observe`` is compared
(ids the service assigns differ between runs, so scripts observe names, counts and shapes).
"""

from __future__ import annotations

import json
import os
from typing import Any


def observe(label: str, value: Any) -> None:
    with open(os.environ["MIGRATION_RESULTS"], "a", encoding="utf-8") as out:
        out.write(json.dumps([label, value], sort_keys=True, default=repr) + "\n")
