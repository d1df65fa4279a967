"""The official client's module paths exist in nucleus_sync and give the facade's own objects."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_core.facade import load_generator

import nucleus_sync

aliases = load_generator("aliases")
GenerationError = load_generator("errors").GenerationError
TABLE = aliases.ALIAS_MODULES["nucleus_sync"]
PAIRS = [(module, name) for module, names in sorted(TABLE.items()) for name in names]


@pytest.mark.parametrize(("module", "name"), PAIRS)
def test_each_alias_gives_the_facades_own_object(module: str, name: str) -> None:
    alias = importlib.import_module(f"nucleus_sync.{module}")
    assert getattr(alias, name) is getattr(nucleus_sync, name)
    assert name in alias.__all__


@pytest.mark.parametrize(("module", "name"), PAIRS)
def test_the_official_module_has_each_name_the_table_gives_it(module: str, name: str) -> None:
    official = importlib.import_module(f"nucleus.{module}")
    assert hasattr(official, name), f"nucleus.{module} has no {name}"


def test_job_error_is_caught_under_its_official_path() -> None:
    from nucleus_sync.async_job import JobError

    with pytest.raises(JobError):
        raise nucleus_sync.JobError("job-1", "Errored", "boom")


def test_an_alias_of_a_name_the_facade_lacks_is_refused() -> None:
    with pytest.raises(GenerationError, match="lacks"):
        aliases.alias_files("pkg", ["A"], [], {"mod": ("A", "B")})


def test_an_alias_never_replaces_a_generated_module() -> None:
    with pytest.raises(GenerationError, match="replace"):
        aliases.alias_files("pkg", ["A"], ["resources/__init__.py"], {"resources": ("A",)})


def test_a_dotted_alias_gets_its_folder() -> None:
    files = aliases.alias_files("pkg", ["A"], [], {"outer.inner": ("A",)})
    assert sorted(files) == ["outer/__init__.py", "outer/inner.py"]
    assert "from pkg import A" in files["outer/inner.py"]
