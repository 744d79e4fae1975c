"""The review period of a record and the norms that scale with it (diagnostics.md "How to read")."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Period:
    """A closed date interval [start, end] with the derived values rules may use."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        """Number of days in the period, both ends included."""
        return (self.end - self.start).days + 1

    @property
    def months(self) -> int:
        """Calendar months the period touches (a monthly norm)."""
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    @property
    def quarters(self) -> int:
        """Calendar quarters the period touches (a quarterly norm)."""
        q0 = self.start.year * 4 + (self.start.month - 1) // 3
        q1 = self.end.year * 4 + (self.end.month - 1) // 3
        return q1 - q0 + 1

    @property
    def year_long(self) -> bool:
        """True when the period covers at least 365 days (rules 'in a year' apply only then)."""
        return self.days >= 365

    def contains(self, day: dt.date) -> bool:
        """True when `day` lies inside the period (ends included)."""
        return self.start <= day <= self.end

    def label(self) -> str:
        """`YYYY-MM-DD/YYYY-MM-DD` as findings.json writes it."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def as_dict(self) -> dict:
        """The values the condition language exposes under `period.`."""
        return {"start": self.start, "end": self.end, "days": self.days, "months": self.months,
                "quarters": self.quarters, "year_long": self.year_long}


def add_years(day: dt.date, years: int) -> dt.date:
    """Calendar arithmetic: the same day `years` later; 29 Feb becomes 28 Feb in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
