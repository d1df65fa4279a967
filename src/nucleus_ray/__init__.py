"""nucleus_ray: Ray Data sink and source for Nucleus, built on the async core.

::

    import ray
    from nucleus_ray import NucleusDatasink, read_nucleus

    ray.data.from_items(rows).write_datasink(NucleusDatasink(dataset_id, kind="items"))
    for batch in read_nucleus(dataset_id).iter_batches():
        ...

Installed with ``pip install "nucleus-sdk[ray]"``; ``nucleus_async`` never imports it.
"""

from ._connection import NucleusSettings
from ._datasink import NucleusDatasink
from ._secret import Secret
from ._summary import TaskReport, WriteSummary

__all__ = ["NucleusDatasink", "NucleusSettings", "Secret", "TaskReport", "WriteSummary"]
