"""Register counts and compliance figures for the reports, computed in the database at province scale.

The pages compute a cadre's compliance with attendance.selectors.compliance_figures, from ORM objects. A
province's report would build a million of them, so here the same figures come from a few aggregate queries:
per posting, the register days of each counting window (a period up to a day), summed from the monthly
tallies (`MonthlyTally`, exact) for finished months and from the raw register only for a month still running,
exactly as compliance_figures and the report counted them. `cadre_figures` then fills the page's own
`CadreFigures` posting by posting with the page's rules, so there is still one formula: the minimum, the pace,
"cannot reach" and "finished" are CadreFigures' own properties.

Rows are plain tuples streamed through a server-side cursor (PostgreSQL), so memory does not grow with the
jurisdiction."""
import datetime
import operator
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from attendance.models import AttendanceDay, DaySource, DayStatus, MonthlyTally
from attendance.selectors import CadreFigures, period_bounds
from attendance.services.register import TALLY_FIELDS, month_start, next_month
from cadres.models import Cadre, DispatchingUnit, Posting
from villages.models import Region, Village

ONE_DAY = datetime.timedelta(days=1)
COUNT_FIELDS = tuple(TALLY_FIELDS.values())  # present, leave, business, training, absent
STATUSES = tuple(TALLY_FIELDS)  # the register's status codes, in the order of COUNT_FIELDS
ZERO = (0, 0, 0, 0, 0)
FETCH = 2000  # rows per round trip of a streamed query


def running_from(through: datetime.date) -> datetime.date:
    """First day read from the raw register when counting up to `through`: the month of `through` unless it is
    the month's last day (then every month up to it is finished and comes from the tallies)."""
    return next_month(through) if next_month(through) - ONE_DAY == through else month_start(through)


class Windows:
    """Counting windows [start, through] (start is a month's first day), each counted as compliance_figures
    counts it: tallies of the months from start up to running_from(through), then the raw register up to
    through. Registered first, then read per posting row as 5-tuples (present, leave, business, training,
    absent) by index."""

    def __init__(self) -> None:
        self.windows: list[tuple[datetime.date, datetime.date]] = []
        self.index: dict[tuple[datetime.date, datetime.date], int] = {}

    def add(self, start: datetime.date, through: datetime.date) -> int:
        key = (start, through)
        if key not in self.index:
            self.index[key] = len(self.windows)
            self.windows.append(key)
        return self.index[key]

    def parts(self):
        """(tally ranges [lo, hi), raw ranges [lo, hi], per window: (tally part index, raw part index))."""
        tallies, raws, layout = [], [], []
        for start, through in self.windows:
            if through < start:
                layout.append((None, None))
                continue
            rf = running_from(through)
            t = r = None
            if rf > start:
                if (start, rf) not in tallies:
                    tallies.append((start, rf))
                t = tallies.index((start, rf))
            lo = max(start, rf)
            if lo <= through:
                if (lo, through) not in raws:
                    raws.append((lo, through))
                r = raws.index((lo, through))
            layout.append((t, r))
        return tallies, raws, layout


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model) -> str:
    return _q(model._meta.db_table)


def _column(model, field: str) -> str:
    return _q(model._meta.get_field(field).column)


def _counts_sql(windows: Windows, ids_sql: str, ids_params: list) -> tuple[list[str], str, list, object]:
    """Select expressions, LEFT JOINs and parameters adding every window's counts to a query over postings
    aliased `p`, and a function turning the selected values into one 5-tuple per window."""
    tallies, raws, layout = windows.parts()
    selects, joins, params = [], "", []
    if tallies:
        lo, hi = min(t[0] for t in tallies), max(t[1] for t in tallies)
        sums = []
        for a, b in tallies:
            for name in COUNT_FIELDS:
                sums.append(f"SUM(CASE WHEN {_q('month')} >= %s AND {_q('month')} < %s THEN {_q(name)} ELSE 0 END)")
                params += [a, b]
        names = [f"t{i}" for i in range(len(sums))]
        joins += (
            f" LEFT JOIN (SELECT {_q('posting_id')} AS pid, "  # noqa: S608 - names from _meta, values as parameters
            + ", ".join(f"{s} AS {n}" for s, n in zip(sums, names, strict=True))
            + f" FROM {_table(MonthlyTally)} WHERE {_q('posting_id')} IN ({ids_sql})"
            f" AND {_q('month')} >= %s AND {_q('month')} < %s GROUP BY {_q('posting_id')}) t ON t.pid = p.{_q('id')}"
        )
        params += [*ids_params, lo, hi]
        selects += [f"COALESCE(t.{n}, 0)" for n in names]  # 0 for a posting without tallies
    if raws:
        lo, hi = min(r[0] for r in raws), max(r[1] for r in raws)
        sums, raw_params = [], []
        day, status = _column(AttendanceDay, "day"), _column(AttendanceDay, "status")
        for a, b in raws:
            for code in STATUSES:
                sums.append(f"SUM(CASE WHEN {status} = %s AND {day} >= %s AND {day} <= %s THEN 1 ELSE 0 END)")
                raw_params += [code, a, b]
        names = [f"r{i}" for i in range(len(sums))]
        joins += (
            f" LEFT JOIN (SELECT {_q('posting_id')} AS pid, "  # noqa: S608 - names from _meta, values as parameters
            + ", ".join(f"{s} AS {n}" for s, n in zip(sums, names, strict=True))
            + f" FROM {_table(AttendanceDay)} WHERE {_q('posting_id')} IN ({ids_sql})"
            f" AND {day} >= %s AND {day} <= %s GROUP BY {_q('posting_id')}) r ON r.pid = p.{_q('id')}"
        )
        params += [*raw_params, *ids_params, lo, hi]
        selects += [f"COALESCE(r.{n}, 0)" for n in names]  # 0 for a posting without register days
    n_tally = 5 * len(tallies)
    # Where each window's five counts start among the selected values: in its tally part, its register part,
    # both (added up) or neither.
    starts = [tuple(offset + 5 * part for part, offset in ((t, 0), (r, n_tally)) if part is not None)
              for t, r in layout]

    def unpack(values: tuple) -> list[tuple]:
        # Once per posting row of a province's report: slices of the row rather than a loop per count.
        out = []
        for window in starts:
            if len(window) == 1:
                out.append(values[window[0]:window[0] + 5])
            elif window:
                a, b = window
                out.append(tuple(map(operator.add, values[a:a + 5], values[b:b + 5])))
            else:
                out.append(ZERO)
        return out

    return selects, joins, params, unpack


@dataclass(slots=True)
class PostingFacts:
    """One posting as the reports read it: dates, place, people, and its counts per window."""

    pk: int
    cadre_id: int
    role: str
    start_date: datetime.date
    end_date: datetime.date | None
    village_id: int
    village_code: str
    village: str
    township_id: int
    township: str
    county: str
    name: str
    unit: str
    counts: list  # one 5-tuple per window
    extra: tuple  # the caller's extra columns


def _date(value):
    # SQLite returns dates selected through a join as text in some cases; PostgreSQL as dates.
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def posting_facts(*, postings: QuerySet, windows: Windows, order_by: str, extra: list[tuple[str, str, list]] = (),
                  ) -> Iterator[PostingFacts]:
    """The postings of a queryset with names and per-window counts, in `order_by` (SQL over the aliases p
    posting, v village, tw township, co county, c cadre, u unit), streamed. `extra`: (select expression, join,
    params) added to the row as PostingFacts.extra."""
    # Without the model's default ordering: it means nothing in IN (...) and PostgreSQL would sort for it.
    ids_sql, ids_params = postings.order_by().values("pk").query.sql_with_params()
    selects, joins, params, unpack = _counts_sql(windows, ids_sql, list(ids_params))
    extra_selects = [e[0] for e in extra]
    extra_joins = "".join(e[1] for e in extra)
    extra_params = [p for e in extra for p in e[2]]
    col = _column
    base = [
        f"p.{_q('id')}", f"p.{col(Posting, 'cadre')}", f"p.{col(Posting, 'role')}", f"p.{col(Posting, 'start_date')}",
        f"p.{col(Posting, 'end_date')}", f"v.{_q('id')}", f"v.{col(Village, 'code')}", f"v.{col(Village, 'name')}",
        f"tw.{_q('id')}", f"tw.{col(Region, 'name')}", f"co.{col(Region, 'name')}", f"c.{col(Cadre, 'name')}",
        f"u.{col(DispatchingUnit, 'name')}",
    ]
    sql = (
        f"SELECT {', '.join(base + extra_selects + selects)} FROM {_table(Posting)} p"  # noqa: S608 - names from _meta, values as parameters
        f" JOIN {_table(Village)} v ON v.{_q('id')} = p.{col(Posting, 'village')}"
        f" JOIN {_table(Region)} tw ON tw.{_q('id')} = v.{col(Village, 'township')}"
        f" LEFT JOIN {_table(Region)} co ON co.{_q('id')} = tw.{col(Region, 'parent')}"
        f" JOIN {_table(Cadre)} c ON c.{_q('id')} = p.{col(Posting, 'cadre')}"
        f" JOIN {_table(DispatchingUnit)} u ON u.{_q('id')} = p.{col(Posting, 'unit')}"
        f"{extra_joins}{joins} WHERE p.{_q('id')} IN ({ids_sql}) ORDER BY {order_by}"
    )
    all_params = [*extra_params, *params, *ids_params]
    n_base, n_extra = len(base), len(extra_selects)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, all_params)
        while True:
            rows = cursor.fetchmany(FETCH)
            if not rows:
                break
            for row in rows:
                yield PostingFacts(
                    row[0], row[1], row[2], _date(row[3]), _date(row[4]), row[5], row[6], row[7], row[8], row[9],
                    row[10] or "", row[11], row[12], unpack(row[n_base + n_extra:]),
                    row[n_base:n_base + n_extra],
                )


def inspection_absences(*, postings: QuerySet, start: datetime.date, end: datetime.date, key: str) -> dict[int, int]:
    """Register days marked absent by an inspection between start and end, per `key` (posting_id or cadre_id):
    a few per cent of the cadres at most."""
    from django.db.models import Count

    return dict(
        AttendanceDay.objects.filter(
            posting__in=postings, source=DaySource.INSPECTION, status=DayStatus.ABSENT, day__gte=start, day__lte=end,
        ).values(key).annotate(n=Count("pk")).values_list(key, "n").order_by()
    )


def overlap(first: datetime.date, last: datetime.date | None, start: datetime.date, end: datetime.date) -> int:
    a = max(first, start)
    b = min(last or end, end)
    return max(0, (b - a).days + 1)


def register_windows(windows: Windows, *, kinds, ref: datetime.date, as_of: datetime.date) -> None:
    """The windows cadre_figures reads for a reference day: one per policy period kind in use."""
    for kind in kinds:
        start, end = period_bounds(kind, ref)
        windows.add(start, min(end, as_of))


def cadre_figures(postings: list[PostingFacts], *, ref: datetime.date, as_of: datetime.date, policies: dict,
                  windows: Windows) -> CadreFigures | None:
    """compliance_figures for one cadre, from the cadre's postings oldest first (start date, id) with their
    window counts: each posting under its township's policy, the period containing `ref`; the latest posting in
    the period names the row; counts of each posting over its own period up to as_of."""
    fig = None
    for p in postings:
        policy = policies[p.township_id]
        start, end = period_bounds(policy.min_days_period, ref)  # cached
        # overlap() of the posting with the period and with the period up to as_of, written out: this runs a
        # quarter of a million times for a province's annual report.
        first = max(p.start_date, start)
        in_post = (min(p.end_date or end, end) - first).days + 1
        if in_post <= 0:
            continue
        if fig is None:
            fig = CadreFigures(
                cadre_id=p.cadre_id, name=p.name, village=p.village, township=p.township, township_id=p.township_id,
                period_start=start, period_end=end, period_kind=policy.min_days_period, as_of=as_of,
                policy_minimum=policy.min_days, period_days=(end - start).days + 1,
                counts_business=policy.count_business, counts_training=policy.count_training,
            )
        else:
            fig.village, fig.township, fig.township_id = p.village, p.township, p.township_id
        fig.days_in_post += in_post
        through = min(end, as_of)
        if through >= first:
            fig.elapsed_in_post += (min(p.end_date or through, through) - first).days + 1
        if through >= start:
            present, leave, business, training, absent = p.counts[windows.index[(start, through)]]
            fig.present += present
            fig.leave += leave
            fig.business += business
            fig.training += training
            fig.absent += absent
    if fig is not None:
        fig.settle()
    return fig


def by_cadre(rows: Iterator[PostingFacts]) -> Iterator[list[PostingFacts]]:
    """Consecutive rows of one cadre (the query orders by cadre first)."""
    group: list[PostingFacts] = []
    for row in rows:
        if group and row.cadre_id != group[0].cadre_id:
            yield group
            group = []
        group.append(row)
    if group:
        yield group


def outcome_sums(*, region_prefix: str, start: datetime.date, end: datetime.date, digits: int) -> dict[str, dict]:
    """The diary outcomes the monthly report prints (attendance.selectors_management.outcome_totals' sums and
    major events) per first `digits` digits of the village code, grouped in the database: outcome_totals groups
    per village and cadre and fetches tens of thousands of rows at province scale, for the same sums."""
    from django.db.models import Count, Q, Sum
    from django.db.models.functions import Substr

    from attendance.models import DiaryEntry

    rows = (
        DiaryEntry.objects.filter(posting__village__code__startswith=region_prefix, day__gte=start, day__lte=end)
        .annotate(key=Substr("posting__village__code", 1, digits)).values("key")
        .annotate(major_events=Count("pk", filter=Q(major_event=True)),
                  **{name: Sum(name) for name in DiaryEntry.OUTCOME_FIELDS})
        .order_by()
    )
    return {row.pop("key"): {k: v or 0 for k, v in row.items()} for row in rows}
