"""Journal builder: balanced by construction, mapped or held, and honest about Paylocity's totals."""
import datetime
import random
from collections import defaultdict
from decimal import Decimal as D

import pytest

from paylocity.journal import (
    NEEDS_MAPPING,
    NEEDS_REVIEW,
    READY,
    Difference,
    EmployeePay,
    GlRule,
    JournalLine,
    UnmappedCode,
    build_journal,
)
from paylocity.models import PayStatementDetail, PayStatementSummary

CHECK = "2026-01-15"
CHECK_DATE = datetime.date(2026, 1, 15)
NET = "2000-net"          # account ids are opaque: strings here, ints in the random test

# The standard mapping used by most tests.
RULES = [
    GlRule("REG", debit_account="6000", analytic="employee"),
    GlRule("OT", debit_account="6010", analytic="employee"),
    GlRule("BONUS", det="E", debit_account="6020", analytic="employee"),
    GlRule("401K", credit_account="2100", partner="fidelity"),
    GlRule("MED", credit_account="2110", partner="carrier"),
    GlRule("FITW", det="T", credit_account="2200", partner="irs"),
    GlRule("FICA", det="T", credit_account="2210", partner="irs"),
    GlRule("ERFICA", det="T", debit_account="6100", credit_account="2210", partner="irs", analytic="employee"),
    GlRule("GTL", ignore=True),
]
EMPLOYER = {"ERFICA"}
MEMO = {"GTL"}
ANALYTICS = {"100": "an-100", "200": "an-200"}


def summary(tn, gross, net, process=1, check=CHECK):
    return PayStatementSummary.model_validate({
        "year": 2026, "checkDate": check + "T00:00:00", "transactionNumber": tn, "process": process,
        "grossPay": gross, "netPay": net, "checkNumber": 0, "autoPay": True,
    })


def detail(tn, det, code, amount, check=CHECK):
    return PayStatementDetail.model_validate({
        "year": 2026, "checkDate": check + "T00:00:00", "transactionNumber": tn, "transactionType": "Regular",
        "det": det, "detCode": code, "amount": amount,
    })


def pay(employee_id, cost_center, lines, tn=1, process=1, gross=None, net=None, extra_summaries=(), extra_details=()):
    """An employee paid once in the run; the summary agrees with the lines unless told otherwise."""
    amounts = [(det, code, D(str(amount))) for det, code, amount in lines]
    earned = sum((a for det, code, a in amounts if det == "E" and code not in MEMO), D(0))
    withheld = sum((a for det, code, a in amounts if det in "DT" and code not in EMPLOYER | MEMO), D(0))
    return EmployeePay(
        employee_id=employee_id,
        cost_center=cost_center,
        summaries=[summary(tn, str(earned if gross is None else gross), str(earned - withheld if net is None else net),
                           process)] + list(extra_summaries),
        details=[detail(tn, det, code, str(a)) for det, code, a in amounts] + list(extra_details),
    )


def build(pays, rules=RULES, **kwargs):
    kwargs.setdefault("run_id", 1)
    kwargs.setdefault("check_date", CHECK)
    kwargs.setdefault("net_pay_account", NET)
    kwargs.setdefault("cost_center_analytics", ANALYTICS)
    return build_journal(pays, rules, **kwargs)


def by_key(result):
    """{(account, analytic, partner, employee): signed balance} of the built lines."""
    return {(l.account, l.analytic, l.partner, l.employee_id): l.debit - l.credit for l in result.lines}


def assert_balanced(result):
    assert result.is_balanced
    assert result.total_debit == result.total_credit
    for line in result.lines:
        assert line.debit >= 0 and line.credit >= 0
        assert (line.debit == 0) != (line.credit == 0)


ALICE = [("E", "REG", "2500.00"), ("E", "OT", "150.00"), ("D", "401K", "125.00"), ("D", "MED", "80.00"),
         ("T", "FITW", "300.00"), ("T", "FICA", "164.30"), ("T", "ERFICA", "164.30"), ("E", "GTL", "12.34")]
BOB = [("E", "REG", "1800.00"), ("E", "BONUS", "500.00"), ("D", "401K", "92.00"),
       ("T", "FITW", "210.00"), ("T", "FICA", "142.60"), ("T", "ERFICA", "142.60")]


# --- the regular run ------------------------------------------------------------------------------------

def test_regular_run_aggregates_by_account_analytic_partner():
    result = build([pay("E1", "100", ALICE), pay("E2", "200", BOB)])
    assert_balanced(result)
    assert result.unmapped == [] and result.differences == [] and result.can_post
    assert result.employees == 2
    assert by_key(result) == {
        ("6000", "an-100", None, None): D("2500.00"),
        ("6000", "an-200", None, None): D("1800.00"),
        ("6010", "an-100", None, None): D("150.00"),
        ("6020", "an-200", None, None): D("500.00"),
        ("6100", "an-100", None, None): D("164.30"),       # employer tax: expense with the analytic...
        ("6100", "an-200", None, None): D("142.60"),
        ("2100", None, "fidelity", None): D("-217.00"),
        ("2110", None, "carrier", None): D("-80.00"),
        ("2200", None, "irs", None): D("-510.00"),
        ("2210", None, "irs", None): D("-613.80"),          # ...liability with the partner (EE + ER FICA)
        (NET, None, None, None): D("-3836.10"),
    }
    assert result.totals.gross == D("4950.00")
    assert result.totals.deductions == D("297.00")
    assert result.totals.employee_taxes == D("816.90")
    assert result.totals.employer == D("306.90")
    assert result.totals.net == D("3836.10")
    assert result.paylocity_totals.gross == D("4950.00") and result.paylocity_totals.net == result.totals.net
    # Net pay line = gross - deductions - employee taxes.
    assert by_key(result)[(NET, None, None, None)] == -(result.totals.net)
    assert result.total_debit == D("4950.00") + D("306.90")


def test_lines_carry_codes_labels_and_a_stable_order():
    rules = [r if r.code != "REG" else GlRule("REG", debit_account="6000", analytic="employee", label="Wages")
             for r in RULES]
    result = build([pay("E1", "100", ALICE), pay("E2", "200", BOB)], rules)
    again = build([pay("E2", "200", BOB), pay("E1", "100", ALICE)], rules)
    assert result.lines == again.lines
    first = result.lines[0]
    assert (first.account, first.analytic, first.label, first.codes) == ("6000", "an-100", "Wages", ("REG",))
    fica = next(l for l in result.lines if l.account == "2210")
    assert fica.codes == ("ERFICA", "FICA")
    assert result.lines[-1].account == NET and result.lines[-1].label == "Net pay"
    # Debit lines come before credit lines (net pay last).
    sides = [l.credit > 0 for l in result.lines[:-1]]
    assert sides == sorted(sides)


def test_per_employee_detail_level_balances_each_employee():
    result = build([pay("E1", "100", ALICE), pay("E2", "200", BOB)], detail_level="employee")
    assert_balanced(result)
    per_employee = defaultdict(D)
    for line in result.lines:
        assert line.employee_id in ("E1", "E2")
        per_employee[line.employee_id] += line.debit - line.credit
    assert per_employee == {"E1": 0, "E2": 0}
    lines = by_key(result)
    assert lines[(NET, None, None, "E1")] == -(D("2650.00") - D("205.00") - D("464.30"))
    assert lines[(NET, None, None, "E2")] == -(D("2300.00") - D("92.00") - D("352.60"))
    assert lines[("2210", None, "irs", "E1")] == D("-328.60")
    # Same totals per account as the aggregate entry.
    aggregate = build([pay("E1", "100", ALICE), pay("E2", "200", BOB)])
    per_account = defaultdict(D)
    for (account, analytic, partner, _), amount in lines.items():
        per_account[(account, analytic, partner)] += amount
    assert per_account == {(a, an, p): amount for (a, an, p, _), amount in by_key(aggregate).items()}


# --- rules ------------------------------------------------------------------------------------------------

def test_most_specific_rule_wins():
    rules = [
        GlRule("REG", debit_account="code"),
        GlRule("REG", cost_center="200", debit_account="code+cc"),
        GlRule("REG", det="E", debit_account="det+code"),
        GlRule("REG", det="E", cost_center="200", debit_account="det+code+cc"),
    ]
    pays = [pay("E1", "100", [("E", "REG", "10")]), pay("E2", "200", [("E", "REG", "20")]),
            pay("E3", None, [("E", "REG", "40")])]

    def debit_accounts(rule_set):
        result = build(pays, rule_set, detail_level="employee")
        assert_balanced(result)
        return {l.employee_id: l.account for l in result.lines if l.debit}

    assert debit_accounts(rules) == {"E1": "det+code", "E2": "det+code+cc", "E3": "det+code"}
    assert debit_accounts(rules[:3]) == {"E1": "det+code", "E2": "det+code", "E3": "det+code"}
    assert debit_accounts(rules[:2]) == {"E1": "code", "E2": "code+cc", "E3": "code"}
    assert debit_accounts(rules[:1]) == {"E1": "code", "E2": "code", "E3": "code"}


def test_cost_center_rule_overrides_the_code_rule_and_codes_match_loosely():
    override = GlRule("reg ", cost_center=" 200", debit_account="6500", analytic="fixed", analytic_account="an-x")
    rules = RULES + [override]
    result = build([pay("E1", "100", ALICE), pay("E2", "200", BOB)], rules)
    lines = by_key(result)
    assert lines[("6500", "an-x", None, None)] == D("1800.00")
    assert ("6000", "an-200", None, None) not in lines
    assert lines[("6000", "an-100", None, None)] == D("2500.00")


def test_rule_det_restricts_matching():
    # A tax code and a deduction code spelled alike map separately by det.
    rules = RULES + [GlRule("HSA", det="D", credit_account="2300"), GlRule("HSA", det="E", debit_account="6300")]
    result = build([pay("E1", "100", [("E", "REG", "100"), ("D", "HSA", "10"), ("E", "HSA", "5")])], rules)
    lines = by_key(result)
    assert lines[("2300", None, None, None)] == D("-10")
    assert lines[("6300", None, None, None)] == D("5")


def test_ignored_memo_lines_post_nothing_and_count_nowhere():
    result = build([pay("E1", "100", ALICE)])
    assert all("GTL" not in line.codes for line in result.lines)
    assert result.totals.gross == D("2650.00")
    assert result.differences == []


def test_employer_side_rule_posts_both_sides_and_leaves_net_pay_alone():
    with_er = build([pay("E1", "100", ALICE)])
    without_er = build([pay("E1", "100", [l for l in ALICE if l[1] != "ERFICA"])])
    assert by_key(with_er)[(NET, None, None, None)] == by_key(without_er)[(NET, None, None, None)]
    assert with_er.totals.employer == D("164.30") and without_er.totals.employer == 0
    assert with_er.total_debit - without_er.total_debit == D("164.30")


def test_analytic_sits_on_the_expense_side_and_partner_on_the_liability_side():
    rules = [
        GlRule("REG", debit_account="6000", analytic="fixed", analytic_account="an-f", partner="p-reg"),
        GlRule("LOAN", credit_account="1400", analytic="employee", partner="p-loan"),
        GlRule("ERMED", debit_account="6200", credit_account="2110", analytic="employee", partner="carrier"),
    ]
    result = build([pay("E1", "100", [("E", "REG", "100"), ("D", "LOAN", "10"), ("D", "ERMED", "30")])], rules)
    assert by_key(result) == {
        ("6000", "an-f", "p-reg", None): D("100"),
        ("1400", "an-100", "p-loan", None): D("-10"),
        ("6200", "an-100", None, None): D("30"),
        ("2110", None, "carrier", None): D("-30"),
        (NET, None, None, None): D("-90"),
    }


def test_missing_cost_center_analytics_are_warned_not_guessed():
    result = build([pay("E1", "300", [("E", "REG", "100")]), pay("E2", None, [("E", "REG", "50")]),
                    pay("E3", "100", [("E", "REG", "10")])])
    assert_balanced(result)
    assert by_key(result)[("6000", None, None, None)] == D("150")
    assert by_key(result)[("6000", "an-100", None, None)] == D("10")
    assert any("cost center 300 has no analytic account" in w for w in result.warnings)
    assert any("1 employee(s) without a cost center" in w for w in result.warnings)


def test_rule_validation():
    with pytest.raises(ValueError):
        GlRule("")
    with pytest.raises(ValueError):
        GlRule("REG", analytic="department")
    with pytest.raises(ValueError):
        GlRule("REG", debit_account="6000", analytic="fixed")
    assert GlRule("REG").kind == "unmapped"
    assert GlRule("REG", debit_account=1, ignore=True).kind == "ignore"
    with pytest.raises(ValueError, match="two GL rules"):
        build([], [GlRule("REG", debit_account="1"), GlRule("reg", debit_account="2")])


# --- unmapped -------------------------------------------------------------------------------------------------

def test_unmapped_codes_hold_the_run_with_exact_amounts():
    rules = [r for r in RULES if r.code not in ("MED", "BONUS")]
    pays = [pay("E1", "100", ALICE + [("E", "BONUS", "0.10")]), pay("E2", "200", BOB),
            pay("E3", "200", [("E", "REG", "100"), ("D", "MED", "20.005")])]
    result = build(pays, rules)
    assert result.lines == [] and not result.can_post
    assert result.unmapped == [
        UnmappedCode("D", "MED", None, D("100.005"), 2),
        UnmappedCode("E", "BONUS", None, D("500.10"), 2),
    ]
    assert result.unmapped[0].amount == D("100.005")       # exact, not rounded
    # Totals are still computed (unmapped lines counted by det), so differences stay meaningful.
    assert result.totals.gross == D("4950.10") + D("100")
    assert all(d.kind != "net_pay_line" for d in result.differences)


def test_unmapped_names_the_cost_center_when_only_other_cost_centers_are_mapped():
    rules = RULES + [GlRule("SHIFT", cost_center="100", debit_account="6050"), GlRule("DRAFT", cost_center="200")]
    pays = [pay("E1", "100", [("E", "SHIFT", "5")]), pay("E2", "200", [("E", "SHIFT", "7"), ("E", "DRAFT", "1")]),
            pay("E3", "300", [("E", "SHIFT", "9"), ("E", "NEW", "2")])]
    result = build(pays, rules)
    assert result.unmapped == [
        UnmappedCode("E", "DRAFT", "200", D("1"), 1),     # a draft rule with no account yet
        UnmappedCode("E", "NEW", None, D("2"), 1),        # no rule at all
        UnmappedCode("E", "SHIFT", "200", D("7"), 1),
        UnmappedCode("E", "SHIFT", "300", D("9"), 1),
    ]


def test_unmapped_code_netting_to_zero_is_a_warning_not_a_hold():
    result = build([pay("E1", "100", [("E", "REG", "100"), ("E", "NEWCODE", "25"), ("E", "NEWCODE", "-25")])])
    assert result.unmapped == [] and result.lines
    assert any("NEWCODE" in w and "net to zero" in w for w in result.warnings)


# --- signs, runs, totals ---------------------------------------------------------------------------------------

def test_negative_adjustment_flips_sides():
    # E2's bonus is reversed: the aggregate BONUS expense becomes a credit.
    pays = [pay("E1", "100", [("E", "REG", "1000"), ("E", "BONUS", "-300"), ("D", "401K", "50")]),
            pay("E2", "100", [("E", "REG", "500"), ("D", "401K", "-20")])]
    result = build(pays)
    assert_balanced(result)
    lines = {l.account: l for l in result.lines}
    assert (lines["6020"].debit, lines["6020"].credit) == (D("0.00"), D("300.00"))
    assert (lines["2100"].debit, lines["2100"].credit) == (D("0.00"), D("30.00"))
    assert lines[NET].credit == D("1500") - D("300") - D("30")
    assert result.totals.gross == D("1200") and result.differences == []


def test_negative_net_pay_becomes_a_debit():
    result = build([pay("E1", "100", [("E", "REG", "-100"), ("D", "401K", "10")])])
    assert_balanced(result)
    assert {l.account: (l.debit, l.credit) for l in result.lines} == {
        "6000": (D("0.00"), D("100.00")), "2100": (D("0.00"), D("10.00")), NET: (D("110.00"), D("0.00")),
    }


def test_off_cycle_run_on_the_same_check_date_takes_only_its_transactions():
    regular = [("E", "REG", "2000"), ("T", "FITW", "200")]
    bonus = [("E", "BONUS", "1000"), ("T", "FITW", "220")]
    employee = EmployeePay(
        "E1", "100",
        summaries=[summary(11, "2000", "1800", process=1), summary(12, "1000", "780", process=2),
                   summary(5, "999", "999", process=1, check="2026-01-01")],      # process 1 of another date
        details=[detail(11, *line) for line in regular] + [detail(12, *line) for line in bonus]
        + [detail(5, "E", "REG", "999", check="2026-01-01")],
    )
    run1, run2 = build([employee], run_id=1), build([employee], run_id=2)
    assert {l.account: l.debit - l.credit for l in run1.lines} == {
        "6000": D("2000"), "2200": D("-200"), NET: D("-1800")}
    assert {l.account: l.debit - l.credit for l in run2.lines} == {
        "6020": D("1000"), "2200": D("-220"), NET: D("-780")}
    assert run1.differences == [] and run2.differences == []
    assert run1.paylocity_totals.gross == D("2000") and run2.paylocity_totals.gross == D("1000")
    assert build([employee], run_id=3).employees == 0


def test_details_outside_the_runs_transactions_or_date_are_left_out():
    employee = pay("E1", "100", [("E", "REG", "100")], tn=7,
                   extra_details=[detail(8, "E", "REG", "5000"), detail(7, "E", "REG", "1", check="2026-01-16")])
    result = build([employee])
    assert by_key(result)[("6000", "an-100", None, None)] == D("100")


def test_duplicate_summary_is_counted_once_and_duplicate_employee_refused():
    employee = pay("E1", "100", [("E", "REG", "100")], extra_summaries=[summary(1, "100", "100")])
    result = build([employee])
    assert result.paylocity_totals.gross == D("100") and result.differences == []
    assert any("transaction 1 was given twice" in w for w in result.warnings)
    with pytest.raises(ValueError, match="given twice"):
        build([pay("E1", "100", []), pay("E1", "100", [])])


def test_differences_with_paylocity_totals_are_reported_not_hidden():
    pays = [pay("E1", "100", ALICE, gross="2660.00"),            # Paylocity says 10.00 more gross (and net)
            pay("E2", "200", BOB, net="1854.40")]                 # Paylocity's net is 1.00 lower
    result = build(pays)
    assert_balanced(result)
    assert result.lines                                         # still built: the caller decides to hold
    assert not result.can_post
    run = [d for d in result.differences if d.employee_id is None]
    assert run == [
        Difference("gross", D("4960.00"), D("4950.00"), D("-10.00"), None),
        Difference("net", D("3835.10"), D("3836.10"), D("1.00"), None),
    ]
    per_employee = [(d.kind, d.employee_id, d.difference) for d in result.differences if d.employee_id]
    assert per_employee == [("gross", "E1", D("-10.00")), ("net", "E2", D("1.00"))]


def test_a_rule_that_contradicts_its_det_shows_as_a_net_pay_line_difference():
    rules = [r for r in RULES if r.code != "OT"] + [GlRule("OT", credit_account="2999")]
    result = build([pay("E1", "100", ALICE)], rules)
    assert_balanced(result)
    assert [(d.kind, d.difference) for d in result.differences if d.employee_id is None] == [
        ("net_pay_line", D("-300.00"))]


def test_employee_differences_are_capped():
    pays = [pay("E%d" % i, "100", [("E", "REG", "100")], gross="101") for i in range(5)]
    result = build(pays, max_employee_differences=2)
    listed = {d.employee_id for d in result.differences if d.employee_id}
    assert listed == {"E0", "E1"}
    assert any("3 more employees differ" in w for w in result.warnings)
    assert [d.kind for d in result.differences if d.employee_id is None] == ["gross"]


def test_rounding_residue_goes_to_the_net_pay_line_with_a_warning():
    rules = [GlRule("A", debit_account="6001"), GlRule("B", debit_account="6002"), GlRule("C", debit_account="6003")]
    result = build([pay("E1", None, [("E", "A", "0.005"), ("E", "B", "0.005"), ("E", "C", "0.005")])], rules)
    assert_balanced(result)
    lines = {l.account: l for l in result.lines}
    # Each expense rounds up to 0.01; the unrounded net 0.015 would round to 0.02, but balance needs 0.03.
    assert [lines[a].debit for a in ("6001", "6002", "6003")] == [D("0.01")] * 3
    assert lines[NET].credit == D("0.03")
    assert any("rounding residue of 0.01" in w for w in result.warnings)
    whole = build([pay("E1", None, [("E", "A", "10.40"), ("E", "B", "10.40")])], rules, precision=0)
    assert {l.account: l.debit - l.credit for l in whole.lines} == {"6001": D("10"), "6002": D("10"), NET: D("-20")}
    assert whole.is_balanced


def test_no_residue_no_warning_with_cent_amounts():
    result = build([pay("E1", "100", ALICE)])
    assert not any("residue" in w for w in result.warnings)


def test_empty_run():
    for pays in ([], [pay("E1", "100", ALICE, process=2)]):
        result = build(pays)
        assert result.lines == [] and result.unmapped == [] and result.differences == []
        assert result.employees == 0 and result.is_balanced and not result.can_post
        assert result.totals.gross == 0 and result.paylocity_totals.net == 0
        assert any("no pay statement belongs to check date 2026-01-15, run 1" in w for w in result.warnings)


def test_argument_validation():
    with pytest.raises(ValueError):
        build([], detail_level="department")
    with pytest.raises(ValueError):
        build([], precision=-1)
    with pytest.raises(ValueError):
        build([], net_pay_account=None)
    with pytest.raises(ValueError):
        build([], check_date=None)
    assert build([], check_date=CHECK_DATE).employees == 0


# --- property style: random runs always balance and match an independent computation -------------------------------

def _random_run(rng):
    codes = [("E", "REG"), ("E", "OT"), ("E", "BONUS"), ("D", "401K"), ("D", "MED"), ("T", "FITW"), ("T", "FICA"),
             ("T", "ERFICA"), ("T", "FUTA"), ("E", "GTL")]
    rules = []
    for det, code in codes:
        det_specific = rng.random() < 0.5
        if det == "E":
            accounts = dict(debit_account=rng.randint(6000, 6005))
        else:
            accounts = dict(credit_account=rng.randint(2000, 2005))
        if code in ("ERFICA", "FUTA"):
            accounts = dict(debit_account=rng.randint(6000, 6005), credit_account=rng.randint(2000, 2005))
        rules.append(GlRule(code, det=det if det_specific else None, ignore=code == "GTL",
                            analytic=rng.choice([None, "employee"]), partner=rng.choice([None, 1, 2]), **accounts))
        if rng.random() < 0.3:
            rules.append(GlRule(code, cost_center=str(rng.randint(1, 3)), **accounts))
    pays = []
    for number in range(rng.randint(0, 25)):
        lines = []
        for _ in range(rng.randint(0, 12)):
            det, code = rng.choice(codes)
            cents = rng.randint(-5000, 500000)
            amount = D(cents).scaleb(-2) if rng.random() < 0.8 else D(rng.randint(-5000, 500000)).scaleb(-3)
            lines.append((det, code, amount))
        process = 1 if rng.random() < 0.8 else 2
        cost_center = rng.choice([None, "1", "2", "3", "9"])
        pays.append(pay("E%03d" % number, cost_center, lines, tn=number + 1, process=process))
    return pays, rules


@pytest.mark.parametrize("seed", range(150))
def test_random_runs_balance_and_match_independent_totals(seed):
    rng = random.Random(seed)
    pays, rules = _random_run(rng)
    detail_level = rng.choice(["aggregate", "employee"])
    precision = rng.choice([2, 2, 2, 1, 0, 3])
    result = build(pays, rules, detail_level=detail_level, precision=precision,
                   cost_center_analytics={"1": "a1", "2": "a2"})
    assert_balanced(result)
    assert result.unmapped == []
    quantum = D(1).scaleb(-precision)
    for line in result.lines:
        assert line.debit == line.debit.quantize(quantum) and line.credit == line.credit.quantize(quantum)
    if detail_level == "employee":
        per_employee = defaultdict(D)
        for line in result.lines:
            per_employee[line.employee_id] += line.debit - line.credit
        assert all(total == 0 for total in per_employee.values())

    # Independent computation of the expense and liability sides (signed, unrounded) by rule kind.
    by_key_rules = {(r.det, r.code, r.cost_center): r for r in rules}

    def rule_for(det, code, cost_center):
        for key in ((det, code, cost_center), (det, code, None), (None, code, cost_center), (None, code, None)):
            if key in by_key_rules:
                return by_key_rules[key]

    expected_accounts = defaultdict(D)
    expected_gross = D(0)
    for employee in pays:
        if employee.summaries[0].process != 1:
            continue
        for line in employee.details:
            rule = rule_for(line.det, line.det_code, employee.cost_center)
            if rule.ignore:
                continue
            if rule.debit_account is not None:
                expected_accounts[rule.debit_account] += line.amount
            if rule.credit_account is not None:
                expected_accounts[rule.credit_account] -= line.amount
            if line.det == "E" and rule.kind != "debit_credit":
                expected_gross += line.amount
    assert result.totals.gross == expected_gross
    if precision >= 3:
        # No rounding at all: the entry's accounts equal the independent sums exactly.
        actual_accounts = defaultdict(D)
        for line in result.lines:
            if line.account != NET:
                actual_accounts[line.account] += line.debit - line.credit
        assert {k: v for k, v in actual_accounts.items() if v} == {k: v for k, v in expected_accounts.items() if v}
        net_line = sum((l.debit - l.credit for l in result.lines if l.account == NET), D(0))
        assert net_line == -sum(expected_accounts.values(), D(0))


def test_journal_line_is_immutable():
    line = JournalLine("6000", D("1.00"), D("0.00"))
    with pytest.raises(Exception):
        line.debit = D("2.00")


# --- verdict ----------------------------------------------------------------------------------------------------------

def test_verdict_mapping_first_then_review_then_ready():
    ready = build([pay("E1", "100", ALICE), pay("E2", "200", BOB)])
    assert ready.verdict() == READY and ready.can_post
    assert ready.verdict(setup_complete=False) == NEEDS_MAPPING       # e.g. no journal on the connection yet

    unmapped = build([pay("E1", "100", ALICE)], [r for r in RULES if r.code != "MED"])
    assert unmapped.verdict(review_accepted=True) == NEEDS_MAPPING and not unmapped.can_post

    differing = build([pay("E1", "100", ALICE, gross="2660.00")])
    assert differing.verdict() == NEEDS_REVIEW and not differing.can_post
    assert differing.verdict(review_accepted=True) == READY
    assert differing.verdict(setup_complete=False, review_accepted=True) == NEEDS_MAPPING

    nothing = build([pay("E1", "100", ALICE, process=2)])             # no statement of run 1
    assert nothing.review_needed and nothing.verdict() == NEEDS_REVIEW
    assert not ready.review_needed and not unmapped.review_needed
