"""A local Nucleus service for tests and benchmarks, speaking the service's wire protocol.

```python
from nucleus_emulator import Emulator

with Emulator() as emu:
    emu.app                               # the ASGI app: in-process, no port, at emu.endpoint
    with emu.serve() as endpoint:         # uvicorn on 127.0.0.1, free port
        ...
```
"""

from __future__ import annotations

from nucleus_emulator.app import Stats
from nucleus_emulator.emulator import Emulator

__all__ = ["Emulator", "Stats"]
