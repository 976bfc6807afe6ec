"""A parsed dbt manifest kept as bytes, so every invocation gets its own copy.

dbt compiles *into* the manifest it is given: each node keeps its
``compiled_code`` and, once its ephemeral parents' CTEs are prepended, the
flag ``extra_ctes_injected``. A second invocation handed the same object
compiles the node's SQL again but sees the flag still set, so it skips the
injection and runs SQL that names ``__dbt__cte__<parent>`` without defining
it (any model with an ephemeral parent, run twice). Plain dbt never meets
this: it parses afresh on every invocation. The runtime therefore keeps the
parse result frozen and thaws a fresh object for each invocation, exactly the
state ``dbt parse`` returned.

``pickle`` is the copy: about 20x cheaper than a warm parse on 500 models
(``benchmarks/local_runtime.py``). dbt's own ``Manifest.__reduce_ex__`` lists
the fields positionally and, in dbt-core 1.11, is one field out of step with
the class (``fixtures`` is missing, so every lookup lands in the field before
it), and ``copy.deepcopy`` goes through the same method; the pickler below
reduces a manifest by its instance dictionary instead, which holds every
field of every dbt version. Only the manifest's lock is not copied: a fresh
one is made by the field's own factory.
"""

from __future__ import annotations

import dataclasses
import io
import pickle
from typing import Any

__all__ = ["FrozenManifest"]


def _thaw_manifest(cls: type[Any], state: dict[str, Any]) -> Any:
    manifest = object.__new__(cls)
    manifest.__dict__.update(state)
    for field in dataclasses.fields(cls):
        if field.name == "_lock" and field.default_factory is not dataclasses.MISSING:
            manifest._lock = field.default_factory()
    return manifest


class _ManifestPickler(pickle.Pickler):
    """Pickles dbt manifests by their ``__dict__`` (see the module docstring)."""

    def __init__(self, file: io.BytesIO, manifest_type: type[Any]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._manifest_type = manifest_type

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is self._manifest_type:
            state = {name: value for name, value in vars(obj).items() if name != "_lock"}
            return _thaw_manifest, (self._manifest_type, state)
        return NotImplemented


class FrozenManifest:
    """One parse result, from which each invocation thaws its own manifest.

    Args:
        manifest: The ``Manifest`` that ``dbt parse`` returned.
    """

    __slots__ = ("_data",)

    def __init__(self, manifest: Any) -> None:
        buffer = io.BytesIO()
        _ManifestPickler(buffer, type(manifest)).dump(manifest)
        self._data = buffer.getvalue()

    def thaw(self) -> Any:
        """Return a new manifest equal to the frozen parse, sharing nothing with it."""
        return pickle.loads(self._data)  # noqa: S301 - bytes this process wrote itself

    @property
    def size(self) -> int:
        """How many bytes the frozen parse holds."""
        return len(self._data)

    def __repr__(self) -> str:
        return f"FrozenManifest(size={self.size})"
