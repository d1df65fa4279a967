"""Docstrings of the facade: core docstrings de-awaited, written as string literals."""

from __future__ import annotations

import re

from .model import Core


def sync_doc(text: str, core: Core) -> str:
    """A core docstring, de-awaited for the blocking facade."""
    text = re.sub(r"\bawait\s+", "", text)
    text = re.sub(r"\basync\s+(for|with|def)\b", r"\1", text)
    text = re.sub(r"\baclose\(\)", "close()", text)
    text = text.replace("(asyncio)", "(blocking)")
    text = re.sub(r"\basync iterator\b", "iterator", text)
    text = re.sub(r"\bAsync iterator\b", "Iterator", text)
    return re.sub(rf"\b{re.escape(core.package)}\b", core.sync_package, text)


def doc_literal(text: str, indent: str) -> str:
    body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if body.endswith('"'):
        body = body[:-1] + '\\"'
    lines = body.splitlines()
    if len(lines) <= 1:
        return f'{indent}"""{body}"""'
    rest = "\n".join(indent + line if line.strip() else "" for line in lines[1:])
    return f'{indent}"""{lines[0]}\n{rest}\n{indent}"""'
