"""What the kit raises about itself, a harness or its reference: one hierarchy, :class:`KitError`.

A runtime's own failures are never these: they are the contract's
``floe_core.errors`` (``DBTError`` ...), which the kit compares with the
reference's. These are the kit's::

    KitError
    ├── KitNotActive           a kit fixture used without --floe-dbt-compliance
    ├── SpansUnobservable      the process's tracer provider is not the SDK's
    ├── CatalogueError         a row declared inconsistently
    │   └── UnknownRow             a key that is no row of the catalogue
    ├── ScenarioError          a step a method does not take, or a step no scenario has
    ├── HarnessError           a harness answered something the kit cannot use
    │   ├── RuntimeNotBuildable    nothing can build the runtime here
    │   └── RetiredHook            a plugin implements a hook the kit no longer calls
    ├── ReferenceUnavailable   the reference could not run a scenario
    ├── WarehouseUnavailable   the warehouse cannot be reached, or not used as the kit needs
    └── CheckFailed            a check refused the runtime (an ``AssertionError``)
        └── Disagreement           the runtime ended differently from the reference
                                   (:mod:`floe_dbt_compliance.runs`, with its findings)

Where a class also derives from a builtin (``RuntimeError``, ``ValueError``,
``KeyError``, ``AssertionError``), it is the one the kit raised there before
this hierarchy, so ``except`` clauses written for it keep working.

A row that does not apply or cannot run is not an error:
:class:`~floe_dbt_compliance.status.KitSkip` is an *outcome* (a pytest skip,
which ``except Exception`` never swallows), beside the statuses it carries.
"""

from __future__ import annotations

__all__ = [
    "CatalogueError",
    "CheckFailed",
    "HarnessError",
    "KitError",
    "KitNotActive",
    "ReferenceUnavailable",
    "RetiredHook",
    "RuntimeNotBuildable",
    "ScenarioError",
    "SpansUnobservable",
    "UnknownRow",
    "WarehouseUnavailable",
]


class KitError(Exception):
    """Base of everything the kit raises about itself, a harness or its reference."""


class KitNotActive(KitError, RuntimeError):
    """A kit fixture was asked for in a session without ``--floe-dbt-compliance``."""


class SpansUnobservable(KitError, RuntimeError):
    """The process's tracer provider is not the OpenTelemetry SDK's: no span can be seen."""


class CatalogueError(KitError, ValueError):
    """A row is declared inconsistently (steps it cannot read, a capability it lacks)."""


class UnknownRow(CatalogueError, KeyError):
    """A key that is not a row of the catalogue (a typo would otherwise lose a row)."""

    def __str__(self) -> str:
        # KeyError quotes its argument; the message is a sentence.
        return str(self.args[0]) if self.args else ""


class ScenarioError(KitError, ValueError):
    """A step a method does not take, or a step the scenario does not have."""


class HarnessError(KitError):
    """A harness answered something the kit cannot use."""


class RuntimeNotBuildable(HarnessError):
    """Nothing can build the runtime here: no hook answered and its class needs arguments.

    Attributes:
        summary: One line, for a certificate row.
    """

    def __init__(self, summary: str, detail: str = "") -> None:
        super().__init__(f"{summary}{detail}")
        self.summary = summary


class RetiredHook(HarnessError):
    """A plugin implements a hook the kit no longer calls; the message says what replaces it."""


class ReferenceUnavailable(KitError, RuntimeError):
    """The reference could not run a scenario: the row cannot be decided."""


class WarehouseUnavailable(KitError, RuntimeError):
    """The warehouse cannot be reached or used (a driver missing, a server down, no rights).

    The message names where the kit looked (host, port, user, database) and
    what to set; it never holds a password.
    """


class CheckFailed(KitError, AssertionError):
    """A check refused the runtime; pytest reports it as the row's failure."""
