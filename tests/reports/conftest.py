import datetime

import pytest

TODAY = datetime.date(2026, 11, 22)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Report files go to a temporary MEDIA_ROOT, never the project's media/ folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def freeze(monkeypatch):
    """Freeze "today" (django.utils.timezone.localdate) at 2026-11-22 unless a test sets another day."""

    def set_today(day: datetime.date) -> None:
        monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: day)

    set_today(TODAY)
    return set_today
