"""Where promises are written, as the rows of every area cite them."""

from __future__ import annotations

SPEC = "REQ-086 (DBTPlugin)"
RUN = "DBTPlugin.run_models"
TEST = "DBTPlugin.run_tests"
LIFE = "floe_core.lifecycle.DBTLifecycle"
CONTRACT_PAGE = "plugin architecture, the DBTPlugin contract"
FAIL_FAST = "floe_core.run_flags.DBTFailFast"
STATE = "floe_core.run_flags.DBTStateSelection"
