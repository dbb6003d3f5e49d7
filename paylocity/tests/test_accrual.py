"""Month-end accrual: the closing month's days of a run's cost, exact to the cent, balanced, reversed on the 1st."""
import datetime
from decimal import ROUND_HALF_UP, Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paylocity.accrual import accrual_period, allocate, build_accrual, cost_accounts_of, run_period
from paylocity.cash import CashAccounts, build_entry
from paylocity.journal import JournalLine
from paylocity.tests.paybook import (ANALYTICS, CHECK_DATE, CHK, DD, IMPOUND, NET, RULES, pay, standard_lines,
                                     statement)

ACCRUED = "2500-accrued"
COSTS = cost_accounts_of(RULES)


def day(text):
    return datetime.date.fromisoformat(text)


def test_worked_example():
    period = accrual_period("2026-10-31", "2026-11-13", "2026-11-20")
    assert (period.month_end, period.reversal_date, period.days_accrued, period.days_in_period) == (
        day("2026-10-31"), day("2026-11-01"), 1, 14)
    lines = [JournalLine("6000", D("14000.00"), D(0), "sales"), JournalLine("6100", D("868.00"), D(0)),
             JournalLine("2210", D(0), D("868.00"), None, "irs"), JournalLine(NET, D(0), D("14000.00"))]
    accrual = build_accrual(lines, period, cost_accounts={"6000", "6100"}, accrued_wages_account=ACCRUED)
    assert [(l.account, l.analytic, l.debit, l.credit) for l in accrual.lines] == [
        ("6000", "sales", D("1000.00"), D(0)), ("6100", None, D("62.00"), D(0)), (ACCRUED, None, D(0), D("1062.00"))]
    assert accrual.is_balanced and accrual.total == D("1062.00") and accrual.date == day("2026-10-31")
    assert accrual.reversal_date == day("2026-11-01")
    assert [(l.account, l.debit, l.credit) for l in accrual.reversal_lines] == [
        ("6000", D(0), D("1000.00")), ("6100", D(0), D("62.00")), (ACCRUED, D("1062.00"), D(0))]
    assert accrual.lines[0].label == "Accrued payroll 2026-10-31..2026-11-13: 1/14 days to 2026-10-31"
    assert accrual.reversal_lines[0].label.startswith("Reversal of Accrued payroll")


@pytest.mark.parametrize("begin, end, check, expected", [
    ("2026-10-24", "2026-11-06", "2026-11-13", (day("2026-10-31"), 8, 14)),     # crosses the month end
    ("2026-10-17", "2026-10-30", "2026-11-06", (day("2026-10-31"), 14, 14)),    # earned in October, paid in November
    ("2026-11-01", "2026-11-14", "2026-11-20", None),                           # earned and paid in November
    ("2026-12-18", "2026-12-31", "2027-01-08", (day("2026-12-31"), 14, 14)),    # year end
    ("2028-02-16", "2028-03-01", "2028-03-08", (day("2028-02-29"), 14, 15)),    # leap year
    ("2026-11-17", "2026-11-30", "2026-12-01", (day("2026-11-30"), 14, 14)),    # paid on the 1st
    ("2026-10-31", "2026-10-31", "2026-11-01", (day("2026-10-31"), 1, 1)),
])
def test_accrual_period(begin, end, check, expected):
    period = accrual_period(begin, end, check)
    got = None if period is None else (period.month_end, period.days_accrued, period.days_in_period)
    assert got == expected
    if period is not None:
        assert period.reversal_date == period.month_end + datetime.timedelta(days=1)
        assert period.reversal_date.day == 1


def test_whole_period_false_accrues_only_periods_crossing_the_month_end():
    assert accrual_period("2026-10-17", "2026-10-30", "2026-11-06", whole_period=False) is None
    assert accrual_period("2026-10-24", "2026-11-06", "2026-11-13", whole_period=False).days_accrued == 8


def test_bad_periods_are_refused():
    with pytest.raises(ValueError, match="ends"):
        accrual_period("2026-11-14", "2026-11-01", "2026-11-20")
    with pytest.raises(ValueError, match="needs"):
        accrual_period(None, "2026-11-01", "2026-11-20")
    period = accrual_period("2026-10-31", "2026-11-13", "2026-11-20")
    with pytest.raises(ValueError):
        build_accrual([], period, cost_accounts=COSTS, accrued_wages_account=None)


def test_largest_remainder_keeps_the_total_exact():
    thirds = allocate({"a": D("100.00"), "b": D("100.00"), "c": D("100.00")}, Fraction(1, 3))
    assert sorted(thirds.values()) == [D("33.33"), D("33.33"), D("33.34")] and sum(thirds.values()) == D("100.00")
    assert thirds["a"] == D("33.34")       # ties: account order
    bigger = allocate({"a": D("0.01"), "b": D("0.02")}, Fraction(1, 2))
    assert bigger == {"a": D("0.01"), "b": D("0.01")}    # 0.005 + 0.01 = 0.015 → 0.02; the missing cent to a
    assert sum(allocate({"x": D("-100.00"), "y": D("-50.00")}, Fraction(1, 3)).values()) == D("-50.00")


def test_accrual_of_a_built_entry_counts_cost_accounts_at_both_levels():
    pays = [pay("1001", "100", statement(11, standard_lines("2500.00", k401="125.00"))),
            pay("1002", "200", statement(12, standard_lines("1800.00"))),
            pay("1003", "100", statement(13, standard_lines("3100.50"), deposit=False, check_number=10005))]
    accounts = CashAccounts(direct_deposit=DD, check=CHK, tax_impound=IMPOUND)
    begin, end, consistent = run_period(pays, run_id=1, check_date=CHECK_DATE)
    assert (begin, end, consistent) == (day("2026-10-31"), day("2026-11-13"), True)
    period = accrual_period(begin, end, CHECK_DATE)
    results = []
    for level in ("aggregate", "employee"):
        entry = build_entry(pays, RULES, run_id=1, check_date=CHECK_DATE, net_pay_account=NET, accounts=accounts,
                            detail_level=level, cost_center_analytics=ANALYTICS)
        accrual = build_accrual(entry.lines, period, cost_accounts=COSTS, accrued_wages_account=ACCRUED)
        assert accrual.is_balanced
        results.append([(l.account, l.analytic, l.debit, l.credit) for l in accrual.lines])
    assert results[0] == results[1]
    by_key = {(a, an): d - c for a, an, d, c in results[0]}
    # Independent day count: 1 of 14 days.
    reg_100 = (D("2500.00") + D("3100.50")) / 14
    assert by_key[("6000", "an-100")] == reg_100.quantize(D("0.01"), ROUND_HALF_UP)
    assert by_key[("6000", "an-200")] == (D("1800.00") / 14).quantize(D("0.01"), ROUND_HALF_UP)
    assert set(a for a, _an in by_key) == {"6000", "6100", "6110", ACCRUED}


def test_negative_cost_and_nothing_to_accrue():
    period = accrual_period("2026-10-31", "2026-11-13", "2026-11-20")
    lines = [JournalLine("6000", D(0), D("140.00")), JournalLine(NET, D("140.00"), D(0))]
    accrual = build_accrual(lines, period, cost_accounts={"6000"}, accrued_wages_account=ACCRUED)
    assert [(l.account, l.debit, l.credit) for l in accrual.lines] == [("6000", D(0), D("10.00")),
                                                                       (ACCRUED, D("10.00"), D(0))]
    netted = [JournalLine("6000", D("50.00"), D(0)), JournalLine("6000", D(0), D("50.00"))]
    empty = build_accrual(netted, period, cost_accounts={"6000"}, accrued_wages_account=ACCRUED)
    assert empty.is_empty and empty.reversal_lines == [] and empty.total == 0


def test_run_period_reports_statements_of_other_periods():
    pays = [pay("1001", "100", statement(11, standard_lines("100.00")),
                statement(12, standard_lines("50.00"), begin="2026-10-17", end="2026-10-30"))]
    assert run_period(pays, run_id=1, check_date=CHECK_DATE) == (day("2026-10-17"), day("2026-11-13"), False)
    assert run_period(pays, run_id=2, check_date=CHECK_DATE) == (None, None, True)


# --- properties --------------------------------------------------------------------------------------------

amounts = st.integers(min_value=-2_000_000, max_value=20_000_000).map(lambda n: D(n).scaleb(-2))
dates = st.dates(min_value=datetime.date(2024, 1, 1), max_value=datetime.date(2030, 12, 31))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["6000", "6010", "6100", "2200"]), st.sampled_from([None, "a1", "a2"]),
                          amounts), min_size=1, max_size=25),
       dates, st.integers(0, 40), st.integers(1, 20))
def test_property_accrual_is_exact_and_balanced(raw, begin, length, pay_lag):
    end = begin + datetime.timedelta(days=length)
    check = end + datetime.timedelta(days=pay_lag)
    period = accrual_period(begin, end, check)
    if period is None:
        assert check.replace(day=1) - datetime.timedelta(days=1) < begin
        return
    lines = [JournalLine(account, max(amount, D(0)), max(-amount, D(0)), analytic)
             for account, analytic, amount in raw]
    cost_accounts = {"6000", "6010", "6100"}
    accrual = build_accrual(lines, period, cost_accounts=cost_accounts, accrued_wages_account=ACCRUED)
    assert accrual.is_balanced
    costs = {}
    for account, analytic, amount in raw:
        if account in cost_accounts:
            costs[(account, analytic)] = costs.get((account, analytic), D(0)) + amount
    exact_total = sum((Fraction(v) * period.fraction for v in costs.values()), Fraction(0))
    cost_lines = [l for l in accrual.lines if l.account != ACCRUED]
    total = sum((l.balance for l in cost_lines), D(0))
    cents = abs(exact_total) * 100
    expected = (cents.numerator * 2 + cents.denominator) // (cents.denominator * 2)     # half away from zero
    assert total == (D(expected) if exact_total >= 0 else -D(expected)).scaleb(-2)
    assert total == accrual.total
    for line in cost_lines:
        share = Fraction(costs[(line.account, line.analytic)]) * period.fraction
        assert abs(Fraction(line.balance) - share) < Fraction(1, 100)
        assert line.balance == line.balance.quantize(D("0.01"))
    assert [(l.account, l.analytic, l.debit, l.credit) for l in accrual.reversal_lines] == [
        (l.account, l.analytic, l.credit, l.debit) for l in accrual.lines]
    assert period.days_accrued == (min(end, period.month_end) - begin).days + 1 <= period.days_in_period
