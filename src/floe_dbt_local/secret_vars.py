"""Secret vars on the local runtime: given to dbt, taken out of everything it leaves behind.

A var whose value is a ``SecretStr`` (:func:`floe_core.selectors.secret_values`)
reaches dbt in ``--vars``, as every var does. What dbt then does with it is
handled the way dbt handles its own secrets, and then some:

* for the invocation, each value is also exported as an environment variable
  ``DBT_ENV_SECRET_FLOE_VAR_<n>``: dbt masks the value of every
  ``DBT_ENV_SECRET_`` variable in its console and ``logs/dbt.log`` lines and in
  the messages of its exceptions (``*****``). The variables are set only
  while the invocation holds the process-wide lock, and removed after it;
* the runtime's own event records (``floe_dbt_local.events``) are redacted
  before they are logged (:class:`~floe_dbt_local.events.DbtEventRouter`);
* once dbt has finished, every file it wrote under ``target-path`` during the
  invocation is redacted in place: ``run_results.json`` (dbt copies ``--vars``
  into ``args``), ``manifest.json`` and the compiled and run SQL (where the
  project renders the var); a binary file (``partial_parse.msgpack``) is
  removed when it holds a secret (dbt parses afresh next time);
* the error a call raises is redacted (:func:`floe_core.redaction.redacting`),
  and spans and metadata name vars, never their values.

What dbt sends to the warehouse is the project's business: a var rendered
into SQL is in that SQL, as it must be.
"""

from __future__ import annotations

import os
import stat
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from floe_core.errors import UnreadableFile
from floe_core.files import MAX_ARTIFACT_BYTES, read_bytes
from floe_core.redaction import holds_secret, redact_json, redact_text

__all__ = ["ENVIRONMENT_PREFIX", "exported", "redact_written"]

ENVIRONMENT_PREFIX = "DBT_ENV_SECRET_FLOE_VAR_"
# A file dbt wrote a moment before the invocation's clock was read still counts.
_CLOCK_SLACK_NS = 2_000_000_000
# What dbt writes as text (JSON artifacts, compiled and run SQL ...); anything else is binary.
_TEXT_SUFFIXES = frozenset({".json", ".sql", ".py", ".txt", ".md", ".csv", ".yml", ".yaml", ".log"})


@contextmanager
def exported(secrets: Sequence[str]) -> Iterator[int]:
    """Export each secret as ``DBT_ENV_SECRET_FLOE_VAR_<n>`` while inside, for dbt to mask.

    Yields:
        The time (``time.time_ns()``) the invocation started, for :func:`redact_written`.
    """
    names = [f"{ENVIRONMENT_PREFIX}{index}" for index in range(len(secrets))]
    previous = {name: os.environ.get(name) for name in names}
    os.environ.update(zip(names, secrets, strict=True))
    try:
        yield time.time_ns()
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def redact_written(target_path: Path, since_ns: int, secrets: Sequence[str]) -> None:
    """Redact the files dbt wrote under ``target_path`` since ``since_ns``.

    JSON artifacts keep their structure (:func:`~floe_core.redaction.redact_json`),
    text files (SQL) have each secret replaced, a binary file holding a secret
    is removed. Links are not followed; a file that cannot be read or
    written is left (dbt's own masking of its logs and errors still stands).
    """
    if not secrets:
        return
    for root, _dirs, names in os.walk(target_path):
        for name in names:
            path = Path(root) / name
            try:
                info = path.lstat()
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode) and info.st_mtime_ns >= since_ns - _CLOCK_SLACK_NS:
                _redact_file(path, info, secrets)


def _redact_file(path: Path, info: os.stat_result, secrets: Sequence[str]) -> None:
    try:
        content = read_bytes(path, limit=MAX_ARTIFACT_BYTES, what="dbt artifact")
    except UnreadableFile:
        return
    if not holds_secret(content, secrets):
        return
    if path.suffix not in _TEXT_SUFFIXES:
        # A binary file (partial_parse.msgpack, graph.gpickle) cannot be edited in place.
        path.unlink(missing_ok=True)
        return
    if path.suffix == ".json":
        redacted = redact_json(content, secrets)
    else:
        text = content.decode("utf-8", errors="surrogateescape")
        redacted = redact_text(text, secrets).encode("utf-8", errors="surrogateescape")
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(redacted)
        os.chmod(temporary, stat.S_IMODE(info.st_mode))
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
