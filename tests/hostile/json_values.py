"""Shared by the hostile tests: the JSON values a var (or an artifact) may hold, for hypothesis."""

from __future__ import annotations

from hypothesis import strategies as st

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)


def json_values(*, max_size: int = 4, max_leaves: int = 12) -> st.SearchStrategy[object]:
    """Scalars, and lists and string-keyed mappings of them, nested."""
    return st.recursive(
        SCALARS,
        lambda inner: (
            st.lists(inner, max_size=max_size)
            | st.dictionaries(st.text(), inner, max_size=max_size)
        ),
        max_leaves=max_leaves,
    )
