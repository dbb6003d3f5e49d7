"""Property-based attack on the journal builder: any mix of earnings, deductions, employee and employer taxes,
memo lines, cost centers, zero and negative amounts, fractions of a cent and many employees gives an entry that
balances, keeps every sum to the cent (rounded once per line), posts each employer line's debit against its
credit, and holds (never posts silently) when an employer line is repeated or missing."""
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

import datetime

from paylocity.journal import DETAIL_AGGREGATE, DETAIL_EMPLOYEE, EmployeePay, GlRule, build_journal
from paylocity.payroll import StoredDetail, StoredSummary

CHECK = datetime.date(2026, 1, 15)
NET = "net"
CENT = Decimal("0.01")
# Every rule books to accounts of its own, so each account's balance can be checked against its code's lines.
EARNINGS = {"REG": "6000", "OT": "6010", "BONUS": "6020"}
DEDUCTIONS = {"401K": "2100", "MED": "2110"}
EMPLOYEE_TAXES = {"FITW": "2200", "FICA": "2210", "MEDI": "2220"}
EMPLOYER_TAXES = {"FICA-ER": ("6100", "2310"), "MEDI-ER": ("6110", "2320"), "FUTA": ("6120", "2330")}
TWINS = {"FICA": "FICA-ER", "MEDI": "MEDI-ER"}
MEMO = "GTL"
COST_CENTERS = (None, "100", "200", "300")
RULES = (
    [GlRule(code, det="E", debit_account=account, analytic="employee") for code, account in EARNINGS.items()]
    # A cost center with its own wage account: the override must take REG of that cost center only.
    + [GlRule("REG", det="E", cost_center="300", debit_account="5000", analytic="employee")]
    + [GlRule(code, det="D", credit_account=account, partner="fund") for code, account in DEDUCTIONS.items()]
    + [GlRule(code, det="T", credit_account=account, partner="irs") for code, account in EMPLOYEE_TAXES.items()]
    + [GlRule(code, det="T", debit_account=debit, credit_account=credit, partner="irs", analytic="employee")
       for code, (debit, credit) in EMPLOYER_TAXES.items()]
    + [GlRule(MEMO, ignore=True)]
)
ANALYTICS = {"100": "an-100", "200": "an-200"}   # 300 has none: its lines carry no analytic (a warning says so)


def amounts(places):
    """Amounts with ``places`` decimals, zero and negative (adjustments) included."""
    return st.integers(min_value=-500_000 * 10 ** places, max_value=5_000_000 * 10 ** places).map(
        lambda n: Decimal(n).scaleb(-places))


@st.composite
def statements(draw, places):
    """One statement's lines: (det, code, amount, detType); every non-zero FICA/MEDI has its employer twin."""
    money = amounts(places)
    lines = [("E", code, draw(money), "EE") for code in draw(st.lists(st.sampled_from(sorted(EARNINGS)), max_size=4))]
    lines += [("D", code, draw(money), "EE") for code in draw(st.lists(st.sampled_from(sorted(DEDUCTIONS)),
                                                                        max_size=2))]
    for code in draw(st.lists(st.sampled_from(sorted(EMPLOYEE_TAXES)), max_size=3, unique=True)):
        amount = draw(money)
        lines.append(("T", code, amount, "EE"))
        if code in TWINS and amount:
            lines.append(("T", TWINS[code], draw(money.filter(bool)), "ER"))
    if draw(st.booleans()):
        lines.append(("T", "FUTA", draw(money), "ER"))
    if draw(st.booleans()):
        lines.append(("E", MEMO, draw(money), "EE"))
    return draw(st.permutations(lines))


@st.composite
def runs(draw):
    places = draw(st.sampled_from((0, 2, 2, 2, 3, 4)))
    count = draw(st.integers(min_value=1, max_value=12) | st.integers(min_value=13, max_value=60))
    pays, transaction = [], 0
    for number in range(count):
        summaries, details = [], []
        for process in [1] * draw(st.integers(1, 2)) + [2] * draw(st.integers(0, 1)):   # run 2 must be ignored
            transaction += 1
            lines = draw(statements(places))
            gross = sum((a for det, code, a, _ in lines if det == "E" and code != MEMO), Decimal(0))
            withheld = sum((a for det, code, a, side in lines if det in "DT" and side == "EE"), Decimal(0))
            # The shapes the Odoo side hands the builder (the API's models behave the same: test_payroll).
            summaries.append(StoredSummary(CHECK, process, transaction, gross, gross - withheld))
            details += [StoredDetail(CHECK, transaction, det, code, amount, det_type=side)
                        for det, code, amount, side in lines]
        pays.append(EmployeePay("E%03d" % number, draw(st.sampled_from(COST_CENTERS)), summaries, details))
    return places, pays


def build(pays, detail_level):
    return build_journal(pays, RULES, run_id=1, check_date=CHECK, net_pay_account=NET, detail_level=detail_level,
                         cost_center_analytics=ANALYTICS)


def exact_by_account(pays):
    """Σ exact signed amounts per account, straight from the rule table (not from the builder)."""
    balances = defaultdict(Decimal)
    run_transactions = {s.transaction_number for pay in pays for s in pay.summaries if s.process == 1}
    for pay in pays:
        for line in pay.details:
            if line.transaction_number not in run_transactions or line.det_code == MEMO:
                continue
            code, amount = line.det_code, line.amount
            if code in EARNINGS:
                account = "5000" if code == "REG" and pay.cost_center == "300" else EARNINGS[code]
                balances[account] += amount
                balances[NET] -= amount
            elif code in DEDUCTIONS or code in EMPLOYEE_TAXES:
                account = DEDUCTIONS.get(code) or EMPLOYEE_TAXES[code]
                balances[account] -= amount
                balances[NET] += amount
            else:
                debit, credit = EMPLOYER_TAXES[code]
                balances[debit] += amount
                balances[credit] -= amount
    return balances


def posted_by_account(result):
    balances = defaultdict(Decimal)
    for line in result.lines:
        balances[line.account] += line.debit - line.credit
    return balances


@settings(max_examples=80)
@given(runs(), st.sampled_from((DETAIL_AGGREGATE, DETAIL_EMPLOYEE)))
def test_any_run_balances_keeps_its_sums_and_matches_the_employer_side(run, detail_level):
    places, pays = run
    result = build(pays, detail_level)

    # Balanced, each line one-sided, in cents.
    assert result.is_balanced and result.total_debit == result.total_credit
    for line in result.lines:
        assert (line.debit > 0) != (line.credit > 0)
        assert line.debit == line.debit.quantize(CENT) and line.credit == line.credit.quantize(CENT)

    # Paylocity's totals agree with the lines and every employer twin is there: nothing to review.
    assert result.unmapped == [] and result.differences == []
    assert result.can_post

    # Totals are the exact (unrounded) sums of the run's lines.
    in_run = [(pay, line) for pay in pays for line in pay.details
              if line.transaction_number in {s.transaction_number for s in pay.summaries if s.process == 1}]
    assert result.totals.gross == sum((l.amount for _, l in in_run if l.det == "E" and l.det_code != MEMO),
                                      Decimal(0))
    assert result.totals.employer == sum((l.amount for _, l in in_run if l.det_code in EMPLOYER_TAXES), Decimal(0))
    assert result.totals.net == result.paylocity_totals.net

    # Every account keeps its sum to the cent: each line is rounded once, so an account is off by at most half a
    # cent per line it has; amounts in whole cents are kept exactly. Net pay takes the rounding residue.
    exact, posted = exact_by_account(pays), posted_by_account(result)
    lines_on = defaultdict(int)
    for line in result.lines:
        lines_on[line.account] += 1
    # Lines rounded to nothing are not made but were rounded too: count the lines an account can have (one per
    # employee, or one per cost center when aggregated), whichever is more.
    made = len(pays) if detail_level == DETAIL_EMPLOYEE else len({pay.cost_center for pay in pays})
    for account in set(exact) | set(posted):
        if account == NET:
            continue
        if places <= 2:
            assert posted[account] == exact[account], account
        else:
            assert abs(posted[account] - exact[account]) <= Decimal("0.005") * max(lines_on[account], made, 1), account
    if places <= 2:
        assert posted[NET] == exact[NET]

    # The employer side: each employer tax's expense equals its liability (to the cent when rounding allows).
    for debit, credit in EMPLOYER_TAXES.values():
        if places <= 2:
            assert posted[debit] == -posted[credit]
        else:
            slack = Decimal("0.005") * max(lines_on[debit] + lines_on[credit], 1)
            assert abs(posted[debit] + posted[credit]) <= slack

    # Rounding happens once: the entry's lines equal the exact sums rounded half-up, at aggregate level by account.
    if detail_level == DETAIL_AGGREGATE and places <= 2:
        for line in result.lines:
            assert line.debit - line.credit == (line.debit - line.credit).quantize(CENT, rounding=ROUND_HALF_UP)


@st.composite
def run_with_a_broken_employer_line(draw):
    _places, pays = draw(runs())
    candidates = [(i, line) for i, pay in enumerate(pays) for line in pay.details
                  if line.det_type == "ER" and line.det_code in TWINS.values()
                  and line.transaction_number in {s.transaction_number for s in pay.summaries if s.process == 1}]
    if not candidates:
        return None
    return pays, draw(st.sampled_from(candidates)), draw(st.sampled_from(("duplicate", "remove")))


@settings(max_examples=50)
@given(run_with_a_broken_employer_line())
def test_a_repeated_or_missing_employer_line_never_posts(case):
    if case is None:
        return
    pays, (index, line), change = case
    pay = pays[index]
    if change == "duplicate":
        details = pay.details + [line]
    else:
        details = [d for d in pay.details if d is not line]
    pays = pays[:index] + [EmployeePay(pay.employee_id, pay.cost_center, pay.summaries, details)] + pays[index + 1:]
    result = build(pays, DETAIL_AGGREGATE)
    kind = "employer_duplicate" if change == "duplicate" else "employer_missing"
    assert [(d.kind, d.employee_id, d.code) for d in result.differences] == [(kind, pay.employee_id, line.det_code)]
    assert not result.can_post
    assert result.is_balanced


def test_fractional_cents_are_summed_exactly_then_rounded_once():
    """10,000 lines of a tenth of a cent are 10.00; rounded line by line they would be nothing."""
    tenth = Decimal("0.001")
    details = [StoredDetail(CHECK, 1, "E", "REG", Decimal("100.00"), det_type="EE")]
    details += [StoredDetail(CHECK, 1, "E", "OT", tenth, det_type="EE")] * 10_000
    details += [StoredDetail(CHECK, 1, "T", "FUTA", Decimal("0.0015"), det_type="ER")]   # rounds to nothing: no line
    pays = [EmployeePay("E1", "100", [StoredSummary(CHECK, 1, 1, Decimal("110.000"), Decimal("110.000"))], details)]
    result = build(pays, DETAIL_AGGREGATE)
    assert result.differences == [] and result.can_post
    assert posted_by_account(result) == {"6000": Decimal("100.00"), "6010": Decimal("10.00"), NET: Decimal("-110.00")}
    assert result.totals.employer == Decimal("0.0015")
