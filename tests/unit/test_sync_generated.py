"""The generated facade: it is up to date, the check catches edits, and it mirrors the core."""

from __future__ import annotations

import functools
import inspect
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_core import facade

import nucleus_async
import nucleus_sync
from nucleus_async._awaitable_property import awaitable_property

ROOT = facade.ROOT
TOOL = ROOT / "tools" / "generate_sync.py"
COMMITTED = ROOT / "src" / "nucleus_sync"
HEADER: str = facade.load_generator("files").HEADER

#: Core member → sync member where the names differ.
RENAMED = {
    "aclose": "close",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
}


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


@pytest.fixture
def copy_of_facade(tmp_path: Path) -> Path:
    target = tmp_path / "nucleus_sync"
    shutil.copytree(COMMITTED, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


# -- staleness --------------------------------------------------------------------------------


def test_committed_facade_is_up_to_date() -> None:
    done = run_tool("--check")
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_detects_a_modified_generated_file(copy_of_facade: Path) -> None:
    target = copy_of_facade / "_client.py"
    target.write_text(target.read_text() + "\n# a hand edit\n")
    done = run_tool("--check", "--output", str(copy_of_facade))
    assert done.returncode == 1
    assert "_client.py" in done.stdout
    assert "# a hand edit" in done.stdout


def test_check_detects_missing_and_extra_files(copy_of_facade: Path) -> None:
    (copy_of_facade / "resources" / "jobs.py").unlink()
    (copy_of_facade / "_leftover.py").write_text(HEADER + "\n")
    done = run_tool("--check", "--output", str(copy_of_facade))
    assert done.returncode == 1
    assert "missing: resources/jobs.py" in done.stdout
    assert "extra (not generated any more): _leftover.py" in done.stdout


def test_generator_refuses_to_overwrite_a_file_without_its_header(copy_of_facade: Path) -> None:
    target = copy_of_facade / "_client.py"
    edited = target.read_text().split("\n", 1)[1]
    target.write_text(edited)
    done = run_tool("--output", str(copy_of_facade))
    assert done.returncode == 2
    assert "refusing to overwrite" in done.stderr
    assert target.read_text() == edited


def test_generator_rewrites_a_stale_tree(copy_of_facade: Path) -> None:
    (copy_of_facade / "resources" / "jobs.py").write_text(HEADER + "\n")
    (copy_of_facade / "_leftover.py").write_text(HEADER + "\n")
    assert run_tool("--output", str(copy_of_facade)).returncode == 0
    assert run_tool("--check", "--output", str(copy_of_facade)).returncode == 0
    assert not (copy_of_facade / "_leftover.py").exists()


def test_a_hand_written_runtime_package_is_left_alone(copy_of_facade: Path) -> None:
    # The runtime is a package of hand-written modules (it was once one ``_runtime.py``).
    runtime = copy_of_facade / "_runtime"
    runtime.mkdir(exist_ok=True)
    (runtime / "__init__.py").write_text('"""Hand-written."""\n')
    assert run_tool("--output", str(copy_of_facade)).returncode == 0
    assert run_tool("--check", "--output", str(copy_of_facade)).returncode == 0
    assert (runtime / "__init__.py").read_text() == '"""Hand-written."""\n'


# -- parity -----------------------------------------------------------------------------------


def _is_async(func: Any) -> bool:
    func = inspect.unwrap(func)
    return inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)


def _returns_pager(func: Any, pager: type | None) -> bool:
    ret = getattr(inspect.unwrap(func), "__annotations__", {}).get("return", "")
    return pager is not None and str(ret).startswith(pager.__name__)


def _members(cls: type) -> dict[str, Any]:
    """Public members (and the async dunders), found statically along the MRO."""
    out: dict[str, Any] = {}
    for name in dir(cls):
        if name.startswith("_") and name not in RENAMED:
            continue
        out[name] = inspect.getattr_static(cls, name)
    return out


def _is_resource(cls: object, pager: type | None) -> bool:
    if not isinstance(cls, type) or issubclass(cls, BaseException):
        return False
    if getattr(cls, "_is_protocol", False):
        return False  # an interface users implement (BatchJournal), not a class to wrap
    return any(
        isinstance(value, awaitable_property)
        or _is_async(getattr(cls, name))
        or _returns_pager(getattr(cls, name), pager)
        for name, value in _members(cls).items()
        if callable(value) or isinstance(value, (classmethod, staticmethod, awaitable_property))
    )


def _params(func: Any) -> list[tuple[str, Any, Any]]:
    sig = inspect.signature(func)
    return [(p.name, p.kind, p.default) for p in sig.parameters.values()]


def assert_twin_mirrors(core_cls: type, sync_cls: type, pager: type | None) -> None:
    assert sync_cls is not core_cls
    assert _params(sync_cls) == _params(core_cls), f"{core_cls.__name__}.__init__"
    sync_members = _members(sync_cls)
    for name, member in _members(core_cls).items():
        sync_name = RENAMED.get(name, name)
        label = f"{core_cls.__name__}.{name}"
        assert sync_name in sync_members or hasattr(sync_cls, sync_name), f"missing {label}"
        twin = inspect.getattr_static(sync_cls, sync_name)
        if isinstance(member, property):
            assert isinstance(twin, property), f"{label} should be a property"
            assert (twin.fset is None) == (member.fset is None), f"{label} setter"
            continue
        if isinstance(member, functools.cached_property):
            assert isinstance(twin, property), f"{label} should be a property"
            continue
        if isinstance(member, awaitable_property):
            assert isinstance(twin, property), f"{label} should be a blocking property"
            assert twin.fset is None, f"{label} should be read-only"
            continue
        if not callable(member) and not isinstance(member, (classmethod, staticmethod)):
            assert getattr(sync_cls, sync_name) == getattr(core_cls, name), label
            continue
        assert type(twin) is type(member), f"{label}: {type(twin)} vs {type(member)}"
        core_func, sync_func = getattr(core_cls, name), getattr(sync_cls, sync_name)
        assert _params(sync_func) == _params(core_func), label
        assert not _is_async(sync_func), f"{label} should block"
        core_impl = inspect.unwrap(core_func)
        returns = str(inspect.signature(sync_func).return_annotation)
        if inspect.isasyncgenfunction(core_impl) or "AsyncIter" in str(
            core_impl.__annotations__.get("return", "")
        ):
            assert returns.startswith("Iterator["), f"{label} should be a generator"
        elif _returns_pager(core_func, pager):
            assert returns.startswith("Pager["), f"{label} should return a Pager"


def core_and_facade_pairs() -> list[tuple[ModuleType, ModuleType]]:
    return [(nucleus_async, nucleus_sync), (importlib_fake_core(), facade.fake_sync())]


def importlib_fake_core() -> ModuleType:
    import fake_core

    return fake_core


@pytest.mark.parametrize("pair", ["nucleus", "fake"])
def test_facade_exports_exactly_what_the_core_exports(pair: str) -> None:
    core, sync = core_and_facade_pairs()[pair == "fake"]
    assert sync.__all__ == core.__all__
    for name in core.__all__:
        assert hasattr(sync, name), name


@pytest.mark.parametrize("pair", ["nucleus", "fake"])
def test_data_types_are_reexported_unchanged(pair: str) -> None:
    core, sync = core_and_facade_pairs()[pair == "fake"]
    pager = getattr(core, "AsyncPager", None)
    for name in core.__all__:
        value = getattr(core, name)
        if value is pager or _is_resource(value, pager):
            continue
        if inspect.isfunction(value) and _is_async(value):
            continue
        assert getattr(sync, name) is value, name


@pytest.mark.parametrize("pair", ["nucleus", "fake"])
def test_every_resource_has_a_twin_with_the_same_members(pair: str) -> None:
    core, sync = core_and_facade_pairs()[pair == "fake"]
    pager = getattr(core, "AsyncPager", None)
    resources = [
        n
        for n in core.__all__
        if getattr(core, n) is not pager and _is_resource(getattr(core, n), pager)
    ]
    assert resources, "no resource found: the parity test would be vacuous"
    for name in resources:
        assert_twin_mirrors(getattr(core, name), getattr(sync, name), pager)


@pytest.mark.parametrize("pair", ["nucleus", "fake"])
def test_async_functions_have_blocking_twins(pair: str) -> None:
    core, sync = core_and_facade_pairs()[pair == "fake"]
    for name in core.__all__:
        value = getattr(core, name)
        if inspect.isfunction(value) and _is_async(value):
            twin = getattr(sync, name)
            assert twin is not value, name
            assert not _is_async(twin), name
            assert _params(twin) == _params(value), name


def test_resource_subclasses_get_twins_too() -> None:
    from fake_core._exports import ExportJob

    from nucleus_sync import _runtime

    sync = facade.fake_sync()
    twin = _runtime._twins._registry[ExportJob]
    assert issubclass(twin, sync.AsyncJob)
    assert_twin_mirrors(ExportJob, twin, None)


def test_pager_twin_mirrors_the_core_pager() -> None:
    for core, sync in core_and_facade_pairs():
        core_pager, sync_pager = core.AsyncPager, sync.AsyncPager
        for name in ("pages", "to_list"):
            assert _params(getattr(sync_pager, name)) == _params(getattr(core_pager, name))
        assert hasattr(sync_pager, "__iter__") and hasattr(sync_pager, "__next__")


def test_docstring_examples_are_de_awaited() -> None:
    sync = facade.fake_sync()
    assert "with fake_sync.NucleusClient" in (sync.NucleusClient.__doc__ or "")
    assert "await" not in (sync.AsyncJob.__doc__ or "")
    assert "for item in dataset.items_generator()" in (sync.Dataset.items_generator.__doc__ or "")
    assert "async" not in (sync.Dataset.items_generator.__doc__ or "")


# -- awaitable properties ---------------------------------------------------------------------


def test_awaitable_properties_are_in_the_fake_core() -> None:
    # The parity and behaviour tests below would pass vacuously without them.
    from fake_core import Dataset, NucleusClient

    assert isinstance(inspect.getattr_static(Dataset, "size"), awaitable_property)
    assert isinstance(inspect.getattr_static(NucleusClient, "datasets"), awaitable_property)


def test_an_awaitable_property_becomes_a_blocking_property() -> None:
    sync = facade.fake_sync()
    with sync.NucleusClient("key") as client:
        dataset = client.create_dataset("cars")
        assert dataset.size == len("cars")


def test_resources_read_from_an_awaitable_property_are_sync_twins() -> None:
    sync = facade.fake_sync()
    with sync.NucleusClient("key") as client:
        dataset = client.create_dataset("cars")
        datasets = client.datasets
        assert datasets == [dataset]
        assert type(datasets[0]) is sync.Dataset


def test_an_awaitable_property_twin_is_read_only() -> None:
    sync = facade.fake_sync()
    with sync.NucleusClient("key") as client:
        dataset = client.create_dataset("cars")
        with pytest.raises(AttributeError):
            dataset.size = 3


def test_an_awaitable_property_docstring_is_de_awaited() -> None:
    doc = facade.fake_sync().Dataset.size.__doc__ or ""
    assert "count = dataset.size" in doc
    assert "await" not in doc


def test_an_awaitable_property_returning_a_stream_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = tmp_path / "streaming_core"
    package.mkdir()
    (package / "__init__.py").write_text(
        textwrap.dedent(
            """
            from collections.abc import AsyncIterator

            from nucleus_async._awaitable_property import awaitable_property

            class Feed:
                @awaitable_property
                async def entries(self) -> AsyncIterator[int]:
                    raise NotImplementedError

            __all__ = ["Feed"]
            """
        )
    )
    code = facade.load_generator().main(
        [
            *("--core", "streaming_core", "--sync-package", "streaming_sync"),
            *("--output", str(tmp_path / "streaming_sync"), "--path", str(tmp_path)),
        ]
    )
    assert code == 2
    assert "Feed.entries: an awaitable property cannot return a stream" in capsys.readouterr().err
