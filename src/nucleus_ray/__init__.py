"""nucleus_ray: Ray Data sink and source for Nucleus, built on the async core.

::

    import ray
    from nucleus_ray import NucleusDatasink, read_nucleus

    ray.data.from_items(rows).write_datasink(NucleusDatasink(dataset_id, kind="items"))
    for batch in read_nucleus(dataset_id).iter_batches():
        ...

Installed with ``pip install "nucleus-sdk[ray]"``; ``nucleus_async`` never imports it.
"""

from ._arrow import SCHEMA
from ._connection import NucleusSettings
from ._datasink import NucleusDatasink
from ._datasource import NucleusDatasource, read_nucleus
from ._secret import Secret
from ._summary import TaskReport, WriteSummary

__all__ = [
    "SCHEMA",
    "NucleusDatasink",
    "NucleusDatasource",
    "NucleusSettings",
    "Secret",
    "TaskReport",
    "WriteSummary",
    "read_nucleus",
]
