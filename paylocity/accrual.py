"""Month-end accrual of a pay run's cost: the days of its pay period that belong to the closing month. Pure.

Rule. Let ``month_end`` be the last day of the month before the run's check date. When the pay period
(``beginDate``–``endDate`` of the run's summaries) starts on or before ``month_end`` and the check date is after
it, the wages and employer cost of the days ``beginDate``..``min(endDate, month_end)`` were earned in the closing
month but are paid (and posted) in the next one. That part is accrued on ``month_end``:

    accrued(account, analytic) = cost(account, analytic) × days in the closing month / days in the period

per expense account and analytic account (earnings and employer taxes and benefits: every line on a
``cost_accounts`` account, corrections included when they are given), debited to the cost account against one
credit on the accrued-wages liability, and reversed on the first day of the next month (the check date's
month), so the cost lands in the month it was earned and the run's own entry nets it out.

Example: period 2026-10-31..2026-11-13 (14 days), check date 2026-11-20, REG 6000 analytic Sales 14,000.00 and
FICA-ER 6100 868.00: 1 of 14 days is October's, so on 2026-10-31 Dr 6000 Sales 1,000.00, Dr 6100 62.00,
Cr accrued wages 1,062.00; on 2026-11-01 the reverse.

A period entirely inside the closing month (it ended before ``month_end``, the check comes after) accrues in
full; ``whole_period=False`` restricts accruals to periods that cross ``month_end``.

Exact to the cent: each line's exact share is rounded down to the cent, then the cents still missing to reach
the exactly rounded total (ROUND_HALF_UP of Σ exact shares) go one by one to the largest remainders (ties: the
larger cost first, then account order). Every line is within one cent of its exact share and the lines add up to
the rounded total exactly; the liability line is that total, so the accrual balances by construction.
"""
import dataclasses
import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, List, NamedTuple, Optional

from .journal import BalancedLines
from .models import parse_date

ACCRUAL_LABEL = "Accrued payroll"
_ZERO = Decimal(0)


class AccrualPeriod(NamedTuple):
    begin_date: datetime.date
    end_date: datetime.date
    check_date: datetime.date
    month_end: datetime.date          # the accrual's date
    reversal_date: datetime.date      # the first day of the next month
    days_accrued: int                 # days of the period on or before month_end
    days_in_period: int

    @property
    def fraction(self):
        return Fraction(self.days_accrued, self.days_in_period)


class AccrualLine(NamedTuple):
    account: Any
    debit: Decimal
    credit: Decimal
    analytic: Any = None
    label: Optional[str] = None
    exact: Optional[Decimal] = None   # the unrounded share (None on the liability line)

    @property
    def balance(self):
        return self.debit - self.credit


@dataclasses.dataclass(frozen=True)
class Accrual(BalancedLines):
    period: AccrualPeriod
    lines: List[AccrualLine]              # dated period.month_end
    reversal_lines: List[AccrualLine]     # dated period.reversal_date
    total: Decimal                        # Σ accrued cost (the liability line's amount, signed as cost)

    @property
    def date(self):
        return self.period.month_end

    @property
    def reversal_date(self):
        return self.period.reversal_date



def accrual_period(begin_date, end_date, check_date, *, whole_period=True):
    """The ``AccrualPeriod`` of a run, or None when nothing is to accrue (the period starts after the last month end
    before the check date, or, with ``whole_period=False``, ends on or before it). ValueError for a missing date or
    a period ending before it begins."""
    begin, end, check = parse_date(begin_date), parse_date(end_date), parse_date(check_date)
    if begin is None or end is None or check is None:
        raise ValueError("an accrual needs the pay period's begin and end dates and the check date")
    if end < begin:
        raise ValueError("the pay period ends (%s) before it begins (%s)" % (end, begin))
    month_end = check.replace(day=1) - datetime.timedelta(days=1)
    if begin > month_end:
        return None
    if end <= month_end and not whole_period:
        return None
    days = (min(end, month_end) - begin).days + 1
    return AccrualPeriod(begin, end, check, month_end, month_end + datetime.timedelta(days=1), days,
                         (end - begin).days + 1)


def run_period(pays, *, run_id, check_date):
    """(begin, end, consistent) of run (``check_date``, ``run_id``) from its summaries' ``begin_date``/``end_date``:
    the earliest begin and the latest end; ``consistent`` is False when statements name different periods (e.g. a
    manual check for an earlier period). (None, None, True) when no summary carries both dates."""
    check_date = parse_date(check_date)
    run_id = int(run_id)
    periods = set()
    for pay in pays:
        for summary in pay.summaries:
            if summary.process != run_id or (summary.check_date is not None and summary.check_date != check_date):
                continue
            begin, end = getattr(summary, "begin_date", None), getattr(summary, "end_date", None)
            if begin is not None and end is not None:
                periods.add((begin, end))
    if not periods:
        return None, None, True
    return min(p[0] for p in periods), max(p[1] for p in periods), len(periods) == 1


def cost_accounts_of(rules):
    """The accounts GL rules debit (earnings, employer taxes and benefits): the run's cost accounts."""
    return {rule.debit_account for rule in rules if rule.debit_account is not None and not rule.ignore}


def build_accrual(lines, period, *, cost_accounts, accrued_wages_account, precision=2, label=None):
    """The ``Accrual`` of ``period`` (an ``AccrualPeriod``) for the run's posted ``lines`` (objects with
    ``account``, ``analytic``, ``debit``, ``credit``: the entry's lines, plus its corrections' if any). Only lines
    on ``cost_accounts`` count; an empty accrual when their cost nets to zero."""
    if accrued_wages_account is None:
        raise ValueError("an accrual needs an accrued wages account")
    if not isinstance(precision, int) or isinstance(precision, bool) or precision < 0:
        raise ValueError("precision must be a non-negative number of decimal places")
    cost_accounts = set(cost_accounts)
    costs = {}
    for line in lines:
        if line.account in cost_accounts:
            key = (line.account, line.analytic)
            costs[key] = costs.get(key, _ZERO) + Decimal(line.debit) - Decimal(line.credit)
    costs = {key: value for key, value in costs.items() if value}
    text = label or "%s %s..%s: %d/%d days to %s" % (ACCRUAL_LABEL, period.begin_date.isoformat(),
                                                     period.end_date.isoformat(), period.days_accrued,
                                                     period.days_in_period, period.month_end.isoformat())
    shares = allocate(costs, period.fraction, precision)
    quantum = Decimal(1).scaleb(-precision)
    out = []
    for key in sorted(shares, key=lambda k: (_token(k[0]), _token(k[1]))):
        amount = shares[key]
        if not amount:
            continue
        exact = (costs[key] * period.days_accrued / period.days_in_period)
        out.append(AccrualLine(key[0], max(amount, _ZERO), max(-amount, _ZERO), key[1], text, exact))
    total = sum((l.debit - l.credit for l in out), _ZERO).quantize(quantum)
    if out:
        out.append(AccrualLine(accrued_wages_account, max(-total, _ZERO), max(total, _ZERO), None, text, None))
    reversal = [AccrualLine(l.account, l.credit, l.debit, l.analytic, "Reversal of " + text, l.exact) for l in out]
    return Accrual(period, out, reversal, total)


def allocate(amounts, fraction, precision=2):
    """{key: amount × fraction} rounded to ``precision`` so that the results add up to ROUND_HALF_UP(Σ amount ×
    fraction) exactly (largest remainder; see the module docstring). ``fraction``: a ``Fraction`` or ``Decimal``."""
    fraction = Fraction(fraction)
    scale = 10 ** precision
    exact = {key: Fraction(Decimal(value)) * scale * fraction for key, value in amounts.items()}
    floors = {key: value.numerator // value.denominator for key, value in exact.items()}
    total = sum(exact.values(), Fraction(0))
    target = _round_half_up(total)
    missing = target - sum(floors.values())
    order = sorted(exact, key=lambda k: (-(exact[k] - floors[k]), -abs(Decimal(amounts[k])), _token(k)))
    result = dict(floors)
    for key in order[:missing]:
        result[key] += 1
    quantum = Decimal(1).scaleb(-precision)
    return {key: (Decimal(units) / scale).quantize(quantum) for key, units in result.items()}


def _round_half_up(value):
    """Fraction → nearest integer, halves away from zero (Decimal's ROUND_HALF_UP)."""
    magnitude = abs(value)
    rounded = (2 * magnitude.numerator + magnitude.denominator) // (2 * magnitude.denominator)
    return rounded if value >= 0 else -rounded


def _token(value):
    if isinstance(value, tuple):
        return tuple(_token(v) for v in value)
    if value is None:
        return (0, 0, "")
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return (1, value, "")
    return (2, 0, str(value))
