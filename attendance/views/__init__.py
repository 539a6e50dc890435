"""Attendance pages, one module per area: leave.py, register.py, compliance.py, checkin.py, imports.py."""
