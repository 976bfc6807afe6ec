"""The two built-in secret backends: environment variables and a mounted directory.

Each declares the model of its ``plugins.secrets.config`` section, so a key
the backend does not take is refused by ``floe validate`` with its line, not
by a ``TypeError`` at ``floe run``.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from floe_core._credentials import looks_like_credential, looks_like_name, shown_reference
from floe_core.errors import DBTConfigurationError, UnreadableFile
from floe_core.files import read_text
from floe_core.plugin_interfaces import SecretsPlugin

__all__ = [
    "SECRET_REF_PATTERN",
    "EnvSecretsConfig",
    "EnvSecretsPlugin",
    "FileSecretsConfig",
    "FileSecretsPlugin",
    "validate_secret_ref",
]

logger = logging.getLogger(__name__)

# Kubernetes secret-key rules: letters, digits, '-', '_', '.', no path separators.
SECRET_REF_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")
# A secret is a token or a password, not a document.
_SECRET_FILE_LIMIT = 64 * 1024


def validate_secret_ref(ref: str) -> str:
    """Check that a reference is a name, not a path or a value.

    Args:
        ref: The reference to check.

    Returns:
        The reference, unchanged.

    Raises:
        DBTConfigurationError: The reference is empty, too long, holds
            characters a secret name cannot have, or looks like a credential
            itself (the message then does not repeat it).
    """
    if looks_like_credential(ref):
        raise DBTConfigurationError(
            "a secret reference looks like a credential, not a name (not shown); store the "
            "value in the secrets backend and refer to it by name, e.g. 'warehouse-password'"
        )
    if not SECRET_REF_PATTERN.fullmatch(ref) or ref in {".", ".."}:
        raise DBTConfigurationError(
            f"secret reference {shown_reference(ref[:40])} is not a valid name: use letters, "
            "digits, '-', '_' or '.' (at most 253 characters), e.g. 'warehouse-password'"
        )
    return ref


class _BackendConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EnvSecretsConfig(_BackendConfig):
    """``plugins.secrets.config`` of the ``env`` backend."""

    prefix: str = Field(
        "FLOE_SECRET_",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$",
        description="Prefix of the variable names.",
    )


class FileSecretsConfig(_BackendConfig):
    """``plugins.secrets.config`` of the ``file`` backend."""

    directory: Path = Field(
        Path("/var/run/secrets/floe"), description="The directory the secrets are mounted in."
    )


class EnvSecretsPlugin(SecretsPlugin):
    """Reads ``FLOE_SECRET_<REF>`` (``warehouse-password`` -> ``FLOE_SECRET_WAREHOUSE_PASSWORD``).

    Args:
        prefix: Prefix of the variable names.
        environ: The environment to read; the process environment by default.
    """

    config_model: ClassVar[type[BaseModel] | None] = EnvSecretsConfig

    def __init__(
        self, prefix: str = "FLOE_SECRET_", environ: Mapping[str, str] | None = None
    ) -> None:
        self._prefix = prefix
        self._environ = environ

    def variable_name(self, ref: str) -> str:
        """Return the environment variable that holds ``ref``."""
        validate_secret_ref(ref)
        return self._prefix + re.sub(r"[^A-Za-z0-9]", "_", ref).upper()

    def get_secret(self, ref: str) -> SecretStr:
        """Return the secret from the environment.

        Args:
            ref: The reference, e.g. ``warehouse-password``.

        Returns:
            The value.

        Raises:
            DBTConfigurationError: The variable is unset or empty.
        """
        name = self.variable_name(ref)
        # Looked up without binding the environment to a local: a traceback with
        # locals (pytest -l, Sentry) must not show every FLOE_SECRET_* of the process.
        value = self._lookup(name)
        if not value:
            if not looks_like_name(ref):
                # Its variable name would spell the token out too.
                raise DBTConfigurationError(
                    f"secret {shown_reference(ref)} not found: its environment variable is not "
                    f"set (set {self._prefix}<REFERENCE>, or configure another secrets backend)"
                )
            raise DBTConfigurationError(
                f"secret {ref!r} not found: environment variable {name} is not set "
                "(set it, or configure another secrets backend)"
            )
        return SecretStr(value)

    def _lookup(self, name: str) -> str | None:
        return (os.environ if self._environ is None else self._environ).get(name)

    def __repr__(self) -> str:
        return f"EnvSecretsPlugin(prefix={self._prefix!r})"


class FileSecretsPlugin(SecretsPlugin):
    """Reads one file per reference from a directory, as Kubernetes mounts secrets.

    A file that other users can read is used, with a warning: mount secrets
    with ``defaultMode: 0400`` (or ``chmod 600`` them).

    Args:
        directory: The mounted directory; ``/var/run/secrets/floe`` by default.
    """

    DEFAULT_DIRECTORY = Path("/var/run/secrets/floe")
    config_model: ClassVar[type[BaseModel] | None] = FileSecretsConfig

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory is not None else self.DEFAULT_DIRECTORY

    def get_secret(self, ref: str) -> SecretStr:
        """Return the content of ``<directory>/<ref>``, trailing newlines removed.

        Args:
            ref: The reference, e.g. ``warehouse-password``.

        Returns:
            The value.

        Raises:
            DBTConfigurationError: The file is missing, unreadable, not a
                regular file, larger than 64 KiB, not UTF-8, or empty.
        """
        path = self.directory / validate_secret_ref(ref)
        # A reference that does not look like a name is not shown, in the path either.
        shown, where = (
            (repr(ref), path)
            if looks_like_name(ref)
            else (shown_reference(ref), self.directory / "<reference>")
        )
        try:
            value = read_text(path, limit=_SECRET_FILE_LIMIT, what="secret").rstrip("\r\n")
        except UnreadableFile as exc:
            if exc.os_error is not None:
                raise DBTConfigurationError(
                    f"secret {shown} not found: cannot read {where} ({exc.os_error}); "
                    "mount the secret there or configure another secrets backend"
                ) from None
            raise DBTConfigurationError(
                f"secret {shown} is unusable: {where} {exc.reason}"
            ) from None
        if not value:
            raise DBTConfigurationError(f"secret {shown} is empty: {where} has no content")
        _warn_if_shared(path)
        return SecretStr(value)

    def __repr__(self) -> str:
        return f"FileSecretsPlugin(directory={str(self.directory)!r})"


def _warn_if_shared(path: Path) -> None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:  # pragma: no cover - it was read a moment ago
        return
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        logger.warning(
            "secret file %s can be read by other users (mode %04o); restrict it to its "
            "owner: chmod 600, or defaultMode: 0400 on a Kubernetes Secret volume",
            path,
            mode,
        )
