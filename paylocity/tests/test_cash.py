"""Cash lines: the credit side split into direct deposit, checks, tax impound and garnishments; balanced always."""
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paylocity.cash import (CHECK, DIRECT_DEPOSIT, GARNISHMENT, NET_PAY, TAX_IMPOUND, CashAccounts, build_entry,
                            clearing_rules)
from paylocity.journal import GlRule, build_journal
from paylocity.payroll import StoredDetail, StoredSummary
from paylocity.journal import EmployeePay
from paylocity.tests.paybook import (ANALYTICS, CHECK_DATE, CHK, DD, EMPLOYER, GARN_CLEARING, IMPOUND, NET, RULES,
                                     pay, sandbox_entry, standard_lines, statement, void_of)

ACCOUNTS = CashAccounts(direct_deposit=DD, check=CHK, tax_impound=IMPOUND, garnishment=GARN_CLEARING,
                        partner="paylocity")


def entry(pays, accounts=ACCOUNTS, **kwargs):
    kwargs.setdefault("run_id", 1)
    kwargs.setdefault("check_date", CHECK_DATE)
    kwargs.setdefault("net_pay_account", NET)
    kwargs.setdefault("cost_center_analytics", ANALYTICS)
    return build_entry(pays, RULES, accounts=accounts, **kwargs)


def three_employees():
    a = standard_lines("2500.00", k401="125.00")
    b = standard_lines("1800.00", garnishment="150.00")
    c = standard_lines("3100.50", k401="93.02")
    return [pay("1001", "100", statement(11, a)),
            pay("1002", "200", statement(12, b)),
            pay("1003", "100", statement(13, c, deposit=False, check_number=10005))], (a, b, c)


def net_of(lines):
    return sum((a for det, code, a in lines if det == "E"), D(0)) - sum(
        (a for det, code, a in lines if det in "DT" and code not in EMPLOYER), D(0))


def of_kind(result, kind):
    return [line for line in result.lines if line.cash_kind == kind]


def test_credit_side_splits_the_way_the_money_leaves():
    pays, (a, b, c) = three_employees()
    result = entry(pays)
    assert result.can_post and result.is_balanced and not result.warnings

    [deposit] = of_kind(result, DIRECT_DEPOSIT)
    assert (deposit.account, deposit.credit, deposit.debit) == (DD, net_of(a) + net_of(b), 0)
    assert (deposit.date, deposit.bank_label, deposit.bank_words) == (CHECK_DATE, "PAYLOCITY DD 2026-11-20",
                                                                      ("PAYLOCITY",))
    assert deposit.partner == "paylocity" and deposit.analytic is None
    [check] = of_kind(result, CHECK)
    assert (check.account, check.credit, check.check_number, check.employee_id) == (CHK, net_of(c), 10005, "1003")
    assert (check.bank_label, check.bank_words, check.transaction_numbers) == ("CHECK 10005", ("10005",), (13,))
    [impound] = of_kind(result, TAX_IMPOUND)
    taxes = sum((amount for lines in (a, b, c) for det, _code, amount in lines if det == "T"), D(0))
    assert (impound.account, impound.credit, impound.analytic) == (IMPOUND, taxes, None)
    assert impound.bank_label == "PAYLOCITY TAX 2026-11-20"
    assert set(impound.codes) == {"FITW", "SITW", "FICA", "FICA-ER", "SUTA"}
    [garnishment] = of_kind(result, GARNISHMENT)
    assert (garnishment.account, garnishment.credit, garnishment.bank_label) == (
        GARN_CLEARING, D("150.00"), "PAYLOCITY GARN 2026-11-20")
    assert not of_kind(result, NET_PAY) and all(line.account != NET for line in result.lines)
    # Deductions other than garnishments stay on their liabilities; tax liabilities are gone.
    accounts = {line.account for line in result.lines}
    assert "2100" in accounts and not accounts & {"2200", "2210", "2220", "2230", "2120"}
    # The debit side is the builder's, untouched.
    plain = build_journal(pays, RULES, run_id=1, check_date=CHECK_DATE, net_pay_account=NET,
                          cost_center_analytics=ANALYTICS)
    assert sorted((l.account, l.analytic, l.debit) for l in plain.lines if l.debit) == sorted(
        (l.account, l.analytic, l.debit) for l in result.lines if l.debit)
    assert result.total_debit == plain.total_debit


def test_per_employee_level_keeps_cash_lines_per_employee():
    pays, (a, b, c) = three_employees()
    result = entry(pays, detail_level="employee")
    assert result.is_balanced and result.can_post
    deposits = {line.employee_id: line.credit for line in of_kind(result, DIRECT_DEPOSIT)}
    assert deposits == {"1001": net_of(a), "1002": net_of(b)}
    assert {l.match_key for l in of_kind(result, DIRECT_DEPOSIT)} == {(DIRECT_DEPOSIT, "2026-11-20", 1)}
    impounds = {line.employee_id: line.credit for line in of_kind(result, TAX_IMPOUND)}
    assert impounds["1003"] == sum((amount for det, _c, amount in c if det == "T"), D(0))
    for employee in ("1001", "1002", "1003"):
        mine = [line for line in result.lines if line.employee_id == employee]
        assert sum((l.debit - l.credit for l in mine), D(0)) == 0


def test_without_clearing_accounts_taxes_stay_as_mapped():
    pays, (a, b, c) = three_employees()
    result = entry(pays, CashAccounts(direct_deposit=DD, check=CHK))
    assert result.is_balanced and not of_kind(result, TAX_IMPOUND) and not of_kind(result, GARNISHMENT)
    fitw = sum((amount for lines in (a, b, c) for det, code, amount in lines if code == "FITW"), D(0))
    assert sum((l.credit for l in result.lines if l.account == "2200"), D(0)) == fitw
    assert of_kind(result, DIRECT_DEPOSIT) and of_kind(result, CHECK)


def test_no_accounts_gives_the_builders_lines():
    pays, _ = three_employees()
    result = entry(pays, None)
    plain = build_journal(pays, RULES, run_id=1, check_date=CHECK_DATE, net_pay_account=NET,
                          cost_center_analytics=ANALYTICS)
    assert result.lines == plain.lines


def test_a_voided_check_in_the_run_leaves_no_check_line():
    lines = standard_lines("1000.00")
    pays = [pay("1001", "100", statement(21, lines, deposit=False, check_number=10010),
                void_of(22, lines, deposit=False, check_number=10010)),
            pay("1002", "100", statement(23, standard_lines("900.00")))]
    result = entry(pays)
    assert result.is_balanced and not of_kind(result, CHECK)
    [deposit] = of_kind(result, DIRECT_DEPOSIT)
    assert deposit.credit == net_of(standard_lines("900.00"))


def test_what_the_summaries_do_not_split_stays_on_net_pay_with_a_warning():
    lines = standard_lines("1000.00")
    (s, details) = statement(31, lines)
    bare = EmployeePay("1001", "100", [StoredSummary(CHECK_DATE, 1, 31, s.gross_pay, s.net_pay)],
                       [StoredDetail(d.check_date, d.transaction_number, d.det, d.det_code, d.amount)
                        for d in details])
    result = entry([bare])
    assert result.is_balanced and not of_kind(result, DIRECT_DEPOSIT)
    [rest] = of_kind(result, NET_PAY)
    assert (rest.account, rest.credit) == (NET, net_of(lines))
    assert "not split" in result.warnings[0]

    # A summary whose split disagrees with the details: the difference stays on net pay, still balanced.
    wrong = s.model_copy(update={"direct_deposit_amount": s.net_pay - D("10.00")})
    result = entry([pay("1001", "100", (wrong, details))])
    assert result.is_balanced
    assert [l.credit for l in of_kind(result, NET_PAY)] == [D("10.00")]


def test_unmapped_code_builds_no_lines():
    pays = [pay("1001", "100", statement(41, standard_lines("100.00") + [("E", "TIPS", "20.00")]))]
    result = entry(pays)
    assert result.lines == [] and not result.can_post and result.journal.unmapped[0].code == "TIPS"


def test_clearing_rules_route_only_taxes_and_garnishments():
    rules = [GlRule("X1", credit_account="2500"), GlRule("FITW", credit_account="2200"),
             GlRule("401K", credit_account="2100"), GlRule("GARN", credit_account="2120"),
             GlRule("REG", debit_account="6000"), GlRule("SUTA", det="T", debit_account="6120", credit_account="2240"),
             GlRule("GTL", ignore=True)]
    pays = [pay("1", None, statement(1, [("E", "REG", "10"), ("D", "X1", "1"), ("T", "X1", "1"), ("T", "FITW", "1"),
                                         ("D", "GARN", "1"), ("T", "SUTA", "1"), ("D", "401K", "1")]))]
    out = {(r.det, r.code): r.credit_account for r in clearing_rules(rules, pays, ACCOUNTS)}
    assert out == {(None, "X1"): "2500", ("T", "X1"): IMPOUND, (None, "FITW"): IMPOUND, (None, "401K"): "2100",
                   (None, "GARN"): GARN_CLEARING, (None, "REG"): None, ("T", "SUTA"): IMPOUND, (None, "GTL"): None}
    result = build_entry(pays, rules, run_id=1, check_date=CHECK_DATE, net_pay_account=NET, accounts=ACCOUNTS)
    assert result.can_post
    assert {l.cash_kind for l in result.lines if l.account == IMPOUND} == {TAX_IMPOUND}
    assert sum((l.credit for l in result.lines if l.account == IMPOUND), D(0)) == 3    # T X1, FITW, SUTA


def test_clearing_rules_keep_which_rule_each_line_resolves_to():
    rules = [GlRule("X1", debit_account="6300", credit_account="2500"),
             GlRule("X1", cost_center="100", debit_account="6301", credit_account="2501"),
             GlRule("X1", det="T", debit_account="6200", credit_account="2600"),
             GlRule("Y1", debit_account="6400", credit_account="2700"),
             GlRule("Y1", cost_center="200", debit_account="6401", credit_account="2701"),
             GlRule("REG", debit_account="6000")]
    lines = [("E", "REG", "100"), ("T", "X1", "3"), ("D", "X1", "2"), ("T", "Y1", "5"), ("D", "Y1", "4")]
    pays = [pay("1", "100", statement(1, lines)), pay("2", "200", statement(2, lines)),
            pay("3", "300", statement(3, lines))]
    plain = build_journal(pays, rules, run_id=1, check_date=CHECK_DATE, net_pay_account=NET)
    result = build_entry(pays, rules, run_id=1, check_date=CHECK_DATE, net_pay_account=NET, accounts=ACCOUNTS)
    assert result.is_balanced
    debits = sorted((l.account, l.debit) for l in plain.lines if l.debit)
    assert sorted((l.account, l.debit) for l in result.lines if l.debit) == debits
    assert ("6200", D("9")) in debits and ("6401", D("9")) in debits     # T X1: its det rule; Y1 in 200: its own
    credits = {l.account: l.credit for l in result.lines if l.credit and l.cash_kind is None}
    assert credits == {"2500": D("4"), "2501": D("2"), "2700": D("8"), "2701": D("4")}   # only the D lines stay
    assert of_kind(result, TAX_IMPOUND)[0].credit == D("24")


def test_cash_accounts_need_both_net_pay_accounts():
    with pytest.raises(ValueError):
        CashAccounts(direct_deposit=None, check=CHK)
    with pytest.raises(ValueError):
        CashAccounts(direct_deposit=DD, check=None)
    assert CashAccounts(DD, CHK, bank_words=("PAYLOCITY", "DES")).words == ("PAYLOCITY", "DES")


def test_cash_lines_equal_the_sandbox_bank_debits(fresh_sandbox, make_client):
    """Independent reading: the sandbox's own bank debits for its latest run, from the client's statements."""
    srv = fresh_sandbox(employees=40)
    company = srv.company("C1001")
    run = company.pay_runs[-2] if company.pay_runs[-1].off_cycle else company.pay_runs[-1]
    voided = next(s for s in run.statements if not s.direct_deposit)
    srv.void_check("C1001", run.process_id, voided.employee_id)
    srv.manual_check("C1001", run.process_id, run.statements[0].employee_id, "400.00")
    result = sandbox_entry(make_client(srv), run, ACCOUNTS)
    assert result.can_post, (result.journal.unmapped, result.journal.differences)
    debits = srv.bank_debits("C1001", run.process_id)
    by_kind = {d["kind"]: -d["amount"] for d in debits if d["kind"] != "check"}
    [deposit] = of_kind(result, DIRECT_DEPOSIT)
    [impound] = of_kind(result, TAX_IMPOUND)
    assert deposit.credit == by_kind["direct_deposit"] and impound.credit == by_kind["tax_impound"]
    checks = {d["checkNumber"]: -d["amount"] for d in debits if d["kind"] == "check"}
    assert {l.check_number: l.credit for l in of_kind(result, CHECK)} == checks
    assert voided.check_number not in checks and len(checks) >= 1


# --- properties --------------------------------------------------------------------------------------------

cents = st.integers(min_value=-50_000, max_value=500_000).map(lambda n: D(n).scaleb(-2))


@st.composite
def runs(draw):
    pays = []
    number = 100
    for index in range(draw(st.integers(1, 8))):
        statements = []
        for _ in range(draw(st.integers(1, 3))):
            number += 1
            lines = [("E", "REG", draw(cents)), ("E", "OT", draw(cents)), ("D", "401K", draw(cents)),
                     ("D", "GARN", draw(cents)), ("T", "FITW", draw(cents)), ("T", "FICA", draw(cents)),
                     ("T", "FICA-ER", draw(cents)), ("T", "SUTA", draw(cents))]
            deposit = draw(st.booleans())
            check_number = 0 if deposit else draw(st.sampled_from([0, 10001, 10002, 10003 + index]))
            statements.append(statement(number, lines, deposit=deposit, check_number=check_number))
            if draw(st.booleans()):
                number += 1
                statements.append(void_of(number, lines, deposit=deposit, check_number=check_number))
        pays.append(pay(str(1000 + index), draw(st.sampled_from([None, "100", "200", "300"])), *statements))
    return pays


@settings(max_examples=150, deadline=None)
@given(runs(), st.sampled_from(["aggregate", "employee"]), st.booleans())
def test_property_balanced_and_each_cash_kind_equals_its_source(pays, level, clearing):
    accounts = ACCOUNTS if clearing else CashAccounts(direct_deposit=DD, check=CHK)
    result = entry(pays, accounts, detail_level=level)
    assert result.is_balanced and not result.journal.unmapped
    summaries = [s for p in pays for s in p.summaries]
    details = [d for p in pays for d in p.details]
    assert sum((l.credit - l.debit for l in of_kind(result, DIRECT_DEPOSIT)), D(0)) == sum(
        (s.direct_deposit_amount for s in summaries), D(0))
    assert sum((l.credit - l.debit for l in of_kind(result, CHECK)), D(0)) == sum(
        (s.net_check for s in summaries), D(0))
    assert not of_kind(result, NET_PAY) and all(l.account != NET for l in result.lines)
    if clearing:
        assert sum((l.credit - l.debit for l in of_kind(result, TAX_IMPOUND)), D(0)) == sum(
            (d.amount for d in details if d.det == "T"), D(0))
        assert sum((l.credit - l.debit for l in of_kind(result, GARNISHMENT)), D(0)) == sum(
            (d.amount for d in details if d.det_code == "GARN"), D(0))
    if level == "employee":
        for employee in {p.employee_id for p in pays}:
            assert sum((l.balance for l in result.lines if l.employee_id == employee), D(0)) == 0
    for line in result.lines:
        assert line.debit >= 0 and line.credit >= 0 and not (line.debit and line.credit)
        assert line.debit == line.debit.quantize(D("0.01")) and line.credit == line.credit.quantize(D("0.01"))
