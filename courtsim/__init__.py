"""Local court simulator: PACER login and CM/ECF secondary noticing addresses.

Run it with ``python -m courtsim``. Tests start it in-process with
``create_app`` and drive it through ``SimulatorState`` or the ``/_sim/`` API.
"""

from courtsim.app import (
    MAX_SECONDARY_EMAILS,
    FaultRule,
    SecondaryEmailLimitError,
    SimulatedAccount,
    SimulatorState,
    create_app,
)

__all__ = [
    "MAX_SECONDARY_EMAILS",
    "FaultRule",
    "SecondaryEmailLimitError",
    "SimulatedAccount",
    "SimulatorState",
    "create_app",
]
