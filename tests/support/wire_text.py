"""What the direct text writers' tests share: the reference encoder, orjson on, JSON-hard text.

The direct writers (``_wire/box_text.py``, ``_wire/item_text.py``) must give the bytes of the
payload path encoded by the standard library, whatever the strings hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import strategies as st

from nucleus_async import _json
from nucleus_async._wire.payloads import bulk_payload

#: Each unit's wire payload, as the bulk paths build it.
payload = bulk_payload()
#: The standard library's encoding of a payload: the bytes the direct writers must match.
stdlib = json.JSONEncoder(separators=(",", ":"), allow_nan=False, ensure_ascii=False).encode

#: Strings the service accepts as ids, labels and keys (no lone surrogates: a ValidationError
#: refuses them before encoding), with the characters JSON escapes.
texts = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]) | st.sampled_from('",\\/\n\x00'),
    min_size=1,
    max_size=12,
)


@pytest.fixture(autouse=True)
def orjson_on() -> Iterator[None]:
    """Autouse wherever it is imported: the direct writers need orjson (the speedups extra)."""
    assert _json.use_orjson(True), "orjson (the speedups extra) must be installed"
    yield
    _json.use_orjson(True)
