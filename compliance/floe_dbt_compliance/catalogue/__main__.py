"""``python -m floe_dbt_compliance.catalogue`` prints the promise page."""

from floe_dbt_compliance.catalogue import markdown

print(markdown(), end="")
