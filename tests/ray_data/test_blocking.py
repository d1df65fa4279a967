"""Running the async core from Ray's synchronous hooks, with or without a loop around."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio

from nucleus_ray._blocking import iterate_blocking, run_blocking


async def double(n: int) -> int:
    await anyio.sleep(0)
    return 2 * n


def test_run_blocking_runs_a_coroutine_function_from_plain_code() -> None:
    assert run_blocking(double, 21) == 42


def test_run_blocking_works_when_called_inside_a_running_loop() -> None:
    async def caller() -> int:
        # A blocking hook called from async code: the loop runs in a thread of its own.
        return run_blocking(double, 4)

    assert anyio.run(caller) == 8


def test_iterate_blocking_yields_each_element_and_closes_an_abandoned_iterator() -> None:
    closed: list[bool] = []

    async def pages() -> AsyncIterator[int]:
        try:
            for n in range(5):
                yield n
        finally:
            closed.append(True)

    iterator = iterate_blocking(pages)
    assert [next(iterator), next(iterator)] == [0, 1]
    iterator.close()

    assert closed == [True]
    assert list(iterate_blocking(pages)) == [0, 1, 2, 3, 4]
