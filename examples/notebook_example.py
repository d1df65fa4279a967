# %% [markdown]
# # Nucleus from a notebook
#
# A notebook in the percent format: Jupyter (with jupytext), VS Code and PyCharm run each
# `# %%` cell in an IPython kernel. Two things make notebooks different from scripts:
#
# 1. **An event loop is already running** in the kernel's thread, so `asyncio.run()` fails
#    there. `nucleus_sync` still works: its calls run on the asyncio core in *another*
#    thread, so nothing nests and no `nest_asyncio` is needed.
# 2. **Top-level `await` works**, so the async core `nucleus_async` can be used directly,
#    with all its concurrency, without writing an `async def main()`.
#
# This notebook runs offline against an embedded Nucleus emulator. For the real service,
# replace the two clients with `nucleus_sync.NucleusClient(API_KEY)` and
# `nucleus_async.NucleusClient(API_KEY)`.

# %%
import asyncio
import time
import warnings

import nucleus_async
import nucleus_sync
from nucleus_emulator import Emulator

emulator = Emulator(latency=0.01)  # an in-process Nucleus; 10 ms per answer, as a network


def images(prefix: str, count: int) -> list[nucleus_async.DatasetItem]:
    """Remote images to upload (data types are shared by both packages)."""
    return [
        nucleus_async.DatasetItem(
            image_location=f"https://example.com/{prefix}/{i:04d}.jpg",
            reference_id=f"{prefix}-{i:04d}",
            metadata={"index": i},
        )
        for i in range(count)
    ]


# %% [markdown]
# ## The kernel's event loop is running
# Code in a cell runs *inside* that loop, which is why `asyncio.run()` is refused here.

# %%
loop = asyncio.get_running_loop()
print(f"event loop running in this thread: {loop.is_running()}")

# %% [markdown]
# ## The blocking facade, while that loop runs
# `nucleus_sync` sends the work to its own loop thread and waits for the answer. Because it
# blocks this thread (and so the kernel's loop) until the call returns, it warns once that
# `nucleus_async` is the better fit in async code; in a notebook that is usually fine.

# %%
sync_client = nucleus_sync.NucleusClient(
    "notebook-key",
    endpoint=emulator.endpoint,
    http_transport=nucleus_sync.ASGITransport(emulator.app),
)
dataset = sync_client.create_dataset("notebook", is_scene=False)
response = dataset.append(images("sync", 500), batch_size=25)
print(f"nucleus_sync appended {response.new_items} items to {dataset.id}")

# %%
# The warning says what to do instead; once read, it can be silenced for this notebook.
warnings.filterwarnings("ignore", message="nucleus_sync called from a thread that is running")
print(f"dataset length: {dataset.info().length}")

# %% [markdown]
# ## Top-level `await` with the async core
# The same classes and methods, awaited. Concurrency is yours to use: several uploads at once
# with `asyncio.gather`, all under the client's one limit of requests in flight.

# %%
client = nucleus_async.NucleusClient(
    "notebook-key",
    endpoint=emulator.endpoint,
    http_transport=nucleus_async.ASGITransport(emulator.app),
)
same_dataset = await client.get_dataset(dataset.id)

started = time.perf_counter()
answers = await asyncio.gather(
    same_dataset.append(images("async-a", 300), batch_size=25),
    same_dataset.append(images("async-b", 300), batch_size=25),
)
print(
    f"two concurrent appends: {[a.new_items for a in answers]} new "
    f"in {time.perf_counter() - started:.2f} s"
)

# %%
info = await same_dataset.info()
first = await same_dataset.refloc("async-a-0000")
print(f"{info.name}: {info.length} items; first async item at {first['item'].image_location}")

# %%
by_prefix: dict[str, int] = {}
async for item in same_dataset.items_generator(page_size=250):
    prefix = item.reference_id.rsplit("-", 1)[0]
    by_prefix[prefix] = by_prefix.get(prefix, 0) + 1
by_prefix

# %% [markdown]
# ## An asynchronous job, awaited

# %%
job = await same_dataset.append(images("job", 100), asynchronous=True)
status = await job.wait_until_complete(timeout=60)
print(f"job {job.job_id}: {status['status']}")
assert (await same_dataset.info()).length == 500 + 600 + 100

# %% [markdown]
# ## Clean up
# Close both clients (the sync one releases its loop thread) and the emulator.

# %%
await client.aclose()
sync_client.close()
emulator.close()
print("notebook finished")
