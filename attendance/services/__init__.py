"""Attendance writes: the register (register.py), leave (leave.py), check-in and import (evidence.py)."""
from .leave import (
    leave_approve,
    leave_reject,
    leave_request,
    leave_return,
    leave_withdraw,
)
from .register import (
    Entry,
    correction_decide,
    correction_request,
    month_days,
    month_start,
    next_month,
    recompute_tallies,
    register_confirm_month,
    register_write,
    tally_differences,
)

__all__ = [
    "Entry", "correction_decide", "correction_request", "leave_approve", "leave_reject", "leave_request",
    "leave_return", "leave_withdraw", "month_days", "month_start", "next_month", "recompute_tallies",
    "register_confirm_month", "register_write", "tally_differences",
]
