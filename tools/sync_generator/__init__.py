"""The generator of ``nucleus_sync``, the blocking facade of the asyncio core ``nucleus_async``.

The core is imported (structure: which classes are resources, methods, inheritance, coroutine or
not) and its source is parsed with ``ast`` (exact parameter defaults and annotations as written,
and the imports that bind their names, ``TYPE_CHECKING`` ones included). Output is formatted by
``ruff`` as if it lived at its real path, so a regeneration is byte-for-byte stable.

Emission rules, per public member of a resource class (see ``model.is_resource``):

- ``async def`` → blocking method through the portal (``_rt.call``);
- ``async def`` generator, or a method returning ``AsyncIterator``/``AsyncIterable`` →
  sync generator, one loop hop per item, ``aclose`` on early ``break`` (``_rt.iterate``);
- a method returning the pager class (``AsyncPager``) → ``_rt.Pager``, one hop per page;
- ``@awaitable_property`` (read as ``await dataset.size``) → a read-only property that blocks
  through the portal (``dataset.size``);
- ``__aenter__``/``__aexit__``/``__aiter__``/``aclose`` → ``__enter__``/``__exit__``/``__iter__``/
  ``close``; a class with ``aclose`` is a client: it holds a loop lease until closed;
- plain methods, properties and instance attributes delegate without a hop;
- resources in arguments are unwrapped and in results wrapped (inside containers too) by the
  runtime registry, and annotations name the sync twins.

Generated files start with ``files.HEADER``; a file in the output without it is treated as
hand-edited and never overwritten (``_runtime`` and ``py.typed`` are the hand-written ones).

Modules, in the order they build on each other: ``errors``, ``read`` (a core module's source),
``model`` (the core's resources and functions), ``imports`` and ``rewrite`` (names and
annotations of a generated module), ``docstrings``, ``signature``, ``callables`` and ``classes``
(emitted code), ``emit`` (the whole package), ``format``, ``files``, ``check``, ``cli``.
"""
