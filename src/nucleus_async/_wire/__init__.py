"""The wire converter of the data types: payload hooks, structure hooks, and the converter.

:mod:`.converter` (``WireConverter``) dispatches to :mod:`.payloads` and :mod:`.structure`; the
package root wires one into :mod:`nucleus_async.types._codec`.
"""
