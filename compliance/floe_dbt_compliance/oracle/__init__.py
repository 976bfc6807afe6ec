"""The kit's oracle: what plain dbt-core (or a named reference runtime) does with a scenario.

* :mod:`~floe_dbt_compliance.oracle.dbt_outcome`: the contract's reading of
  what ``dbtRunner`` reported (which error class, if any);
* :mod:`~floe_dbt_compliance.oracle.worker`: plain dbt-core in a subprocess;
* :mod:`~floe_dbt_compliance.oracle.store`: outcomes memoised per scenario and
  project fingerprint, shared by xdist workers through a file lock;
* :mod:`~floe_dbt_compliance.oracle.reference`: the references and the
  :class:`~floe_dbt_compliance.oracle.reference.Oracle` the suites ask.
"""
