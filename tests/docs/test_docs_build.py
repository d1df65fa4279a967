"""The docs site builds with ``--strict``, ships no source files, and its signatures wrap.

One build (about ten seconds of CPU) serves every test in this module.
"""

from __future__ import annotations

import html
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import nucleus_async
import nucleus_sync

ROOT = Path(__file__).resolve().parents[2]
#: Wider than this, a signature line no longer fits the content column and scrolls sideways.
MAX_SIGNATURE_LINE = 80
MOST_USED = ["append", "annotate", "upload_predictions", "items_generator", "info", "create_slice"]

SIGNATURE = re.compile(
    r'<div class="doc-signature highlight"><pre><span></span><code>(.*?)</code></pre>', re.S
)
HEADING_ID = re.compile(r'<h\d id="([^"]+)"')


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site_dir = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", site_dir],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return site_dir


def page(site: Path, name: str) -> str:
    return (site / name / "index.html").read_text(encoding="utf-8")


def plain_text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def signature(page_html: str, object_id: str) -> str:
    """The plain text of the signature under the heading ``object_id``."""
    start = page_html.index(f'id="{object_id}"')
    match = SIGNATURE.search(page_html, start)
    assert match, f"no signature after {object_id}"
    return plain_text(match.group(1))


def public_methods(cls: type) -> set[str]:
    return {
        name
        for name, member in vars(cls).items()
        if not name.startswith("_") and inspect.isfunction(member)
    }


def test_the_site_holds_no_python_files(site: Path) -> None:
    assert sorted(p.relative_to(site) for p in site.rglob("*.py")) == []


def test_no_page_shows_rest_roles_verbatim(site: Path) -> None:
    role = re.compile(r":(?:attr|class|data|exc|func|meth|mod|obj):`")
    shown = [p.relative_to(site) for p in site.rglob("*.html") if role.search(p.read_text())]

    assert shown == []


def test_a_long_signature_wraps_one_parameter_a_line(site: Path) -> None:
    append = signature(page(site, "reference/async/dataset"), "nucleus_async.Dataset.append")

    lines = append.splitlines()
    assert lines[0] == "append("
    assert "    update: bool = False," in lines
    assert "    batch_size: int = 20," in lines


@pytest.mark.parametrize(
    "name", ["reference/async/dataset", "reference/async/client", "reference/sync"]
)
def test_no_signature_line_is_wider_than_the_page(site: Path, name: str) -> None:
    signatures = [plain_text(code) for code in SIGNATURE.findall(page(site, name))]
    lines = [line for text in signatures for line in text.splitlines()]

    assert signatures
    assert [line for line in lines if len(line) > MAX_SIGNATURE_LINE] == []


DATASET_PAGES = pytest.mark.parametrize(
    ("package", "name"),
    [(nucleus_async, "reference/async/dataset"), (nucleus_sync, "reference/sync")],
    ids=["nucleus_async", "nucleus_sync"],
)


def documented_methods(site: Path, package: ModuleType, name: str) -> list[str]:
    """The ``Dataset`` methods with a heading on the page, in page order."""
    prefix = f"{package.__name__}.Dataset."
    methods = public_methods(package.Dataset)
    headings = HEADING_ID.findall(page(site, name))
    names = [heading[len(prefix) :] for heading in headings if heading.startswith(prefix)]
    return [method for method in names if method in methods]


@DATASET_PAGES
def test_the_dataset_reference_starts_with_the_most_used_methods(
    site: Path, package: ModuleType, name: str
) -> None:
    assert documented_methods(site, package, name)[: len(MOST_USED)] == MOST_USED


@DATASET_PAGES
def test_every_public_dataset_method_is_on_the_reference_page_once(
    site: Path, package: ModuleType, name: str
) -> None:
    documented = documented_methods(site, package, name)

    assert sorted(documented) == sorted(public_methods(package.Dataset))
