"""The broken acme variants: entry-point name -> (class in acme_dbt, requirement it breaks).

Kept apart from ``acme_dbt`` so listing them does not import dbt-core.
"""

VARIANTS: dict[str, tuple[str, str]] = {
    "acme-wrong-manifest-path": ("WrongManifestPath", "contract.compile"),
    "acme-ignores-select": ("IgnoresSelect", "contract.run-select"),
    "acme-ignores-exclude": ("IgnoresExclude", "contract.run-exclude"),
    "acme-ignores-full-refresh": ("IgnoresFullRefresh", "contract.run-full-refresh"),
    "acme-wrong-counts": ("WrongCounts", "contract.test-pass"),
    "acme-hides-failed-test": ("HidesFailedTest", "contract.test-fail"),
    "acme-raises-on-sql-error": ("RaisesOnSqlError", "contract.sql-error"),
    "acme-wrong-exception": ("WrongExceptionType", "contract.unparseable"),
    "acme-no-lock": ("NoLock", "concurrency.serialised"),
    "acme-per-instance-lock": ("PerInstanceLock", "concurrency.serialised"),
    "acme-no-span": ("NoSpan", "contract.spans"),
    "acme-secret-in-metadata": ("SecretInMetadata", "contract.metadata"),
    "acme-cannot-say-parallel": ("CannotSayParallel", "concurrency.serialised"),
    "acme-secret-in-repr": ("SecretInRepr", "contract.metadata"),
    "acme-stale-latest": ("StaleLatest", "contract.latest-artifacts"),
    "acme-wrong-signature": ("WrongSignature", "contract.signatures"),
    "acme-zero-time": ("ZeroTime", "contract.result-paths"),
    "acme-stale-cache": ("StaleCache", "cache.expiry"),
    "acme-ignores-disable-cache": ("IgnoresDisableCache", "cache.disabled"),
    "acme-ignores-no-cache": ("IgnoresNoCache", "cache.no-cache"),
    "acme-secret-in-cache": ("SecretInCache", "cache.no-secret"),
    "acme-loose-cache-modes": ("LooseCacheModes", "cache.private"),
    "acme-crashes-on-corrupt-cache": ("CrashesOnCorruptCache", "cache.corrupt"),
}
