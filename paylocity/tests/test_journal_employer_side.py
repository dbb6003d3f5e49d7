"""Employer-side lines are checked against their own statement: a repeated employer line or an employee tax
without its employer twin holds the run for review instead of posting silently. Paylocity's totals say
nothing about them (they are not part of net pay), so without this check both would post."""
import datetime
from decimal import Decimal as D

from paylocity.journal import Difference, EmployeePay, GlRule, build_journal, employee_code_of
from paylocity.models import PayStatementDetail, PayStatementSummary
from paylocity.payroll import StoredDetail, StoredSummary

CHECK = "2026-01-15"
RULES = [
    GlRule("REG", debit_account="6000"),
    GlRule("FITW", det="T", credit_account="2200"),
    GlRule("FICA", det="T", credit_account="2210"),
    GlRule("MEDI", det="T", credit_account="2220"),
    GlRule("FICA-ER", det="T", debit_account="6100", credit_account="2210"),
    GlRule("ERMEDI", det="T", debit_account="6110", credit_account="2220"),
    GlRule("FUTA", det="T", debit_account="6120", credit_account="2230"),
]
EMPLOYEE_TAXES = {"FITW", "FICA", "MEDI"}


def line(tn, det, code, amount, det_type=None):
    data = {"checkDate": CHECK, "transactionNumber": tn, "det": det, "detCode": code, "amount": amount}
    if det_type:
        data["detType"] = det_type
    return PayStatementDetail.model_validate(data)


def pay(employee_id, *statements):
    """``statements``: (transaction number, [(det, code, amount[, detType])]); summaries agree with the lines."""
    summaries, details = [], []
    for tn, lines in statements:
        gross = sum((D(str(l[2])) for l in lines if l[0] == "E"), D(0))
        withheld = sum((D(str(l[2])) for l in lines if l[0] == "T" and l[1] in EMPLOYEE_TAXES), D(0))
        summaries.append(PayStatementSummary.model_validate({
            "checkDate": CHECK, "transactionNumber": tn, "process": 1, "grossPay": str(gross),
            "netPay": str(gross - withheld)}))
        details += [line(tn, *l) for l in lines]
    return EmployeePay(employee_id, None, summaries, details)


def build(pays, rules=RULES):
    return build_journal(pays, rules, run_id=1, check_date=CHECK, net_pay_account="net")


REGULAR = [("E", "REG", "2000.00"), ("T", "FITW", "200.00"), ("T", "FICA", "124.00"), ("T", "MEDI", "29.00"),
           ("T", "FICA-ER", "124.00"), ("T", "ERMEDI", "29.00"), ("T", "FUTA", "12.00")]


def without(lines, code):
    return [l for l in lines if l[1] != code]


def test_a_consistent_run_posts():
    result = build([pay("E1", (1, REGULAR)), pay("E2", (2, REGULAR))])
    assert result.differences == [] and result.can_post and result.warnings == []


def test_a_duplicated_employer_line_needs_review():
    result = build([pay("E1", (1, REGULAR + [("T", "FICA-ER", "124.00")])), pay("E2", (2, REGULAR))])
    assert result.is_balanced and not result.can_post
    assert result.differences == [
        Difference("employer_duplicate", D("124.00"), D("248.00"), D("124.00"), "E1", "FICA-ER")]


def test_a_missing_employer_twin_needs_review():
    result = build([pay("E1", (1, without(REGULAR, "FICA-ER"))), pay("E2", (2, without(REGULAR, "ERMEDI")))])
    assert not result.can_post
    assert result.differences == [
        Difference("employer_missing", D("124.00"), D(0), D("-124.00"), "E1", "FICA-ER"),
        Difference("employer_missing", D("29.00"), D(0), D("-29.00"), "E2", "ERMEDI"),
    ]


def test_employer_only_taxes_and_zero_employee_taxes_ask_for_nothing():
    exempt = [("E", "REG", "900.00"), ("T", "FITW", "90.00"), ("T", "FICA", "0.00"), ("T", "MEDI", "0"),
              ("T", "FUTA", "5.40")]
    result = build([pay("E1", (1, without(REGULAR, "FUTA"))), pay("E2", (2, exempt))])
    assert result.differences == [] and result.can_post


def test_without_any_employer_twin_in_the_company_nothing_is_asked():
    # A company whose statements carry no employer taxes at all (and no rule maps one): nothing to compare.
    rules = [r for r in RULES if r.code not in ("FICA-ER", "ERMEDI", "FUTA")]
    employee_side = [l for l in REGULAR if l[1] not in ("FICA-ER", "ERMEDI", "FUTA")]
    assert build([pay("E1", (1, employee_side))], rules).can_post


def test_the_twin_is_known_from_the_run_when_no_rule_names_it():
    # ER lines Paylocity marks ER, all booked through one employer-tax rule per code spelled differently.
    rules = [r for r in RULES if r.code != "ERMEDI"] + [GlRule("MEDI_ER", debit_account="6110", credit_account="2220")]
    first = [l for l in REGULAR if l[1] != "ERMEDI"] + [("T", "MEDI_ER", "29.00", "ER")]
    second = [l for l in REGULAR if l[1] != "ERMEDI"]
    result = build([pay("E1", (1, first)), pay("E2", (2, second))], rules)
    assert result.differences == [Difference("employer_missing", D("29.00"), D(0), D("-29.00"), "E2", "MEDI_ER")]


def test_two_statements_of_one_employee_each_have_their_own_employer_lines():
    manual = [("E", "REG", "100.00"), ("T", "FICA", "6.20"), ("T", "FICA-ER", "6.20"), ("T", "MEDI", "1.45"),
              ("T", "ERMEDI", "1.45")]
    assert build([pay("E1", (1, REGULAR), (2, manual))]).can_post
    missing_in_second = build([pay("E1", (1, REGULAR), (2, without(manual, "FICA-ER")))])
    assert missing_in_second.differences == [
        Difference("employer_missing", D("6.20"), D(0), D("-6.20"), "E1", "FICA-ER")]


def test_det_type_decides_the_side_and_a_contradicting_rule_is_named():
    # detType ER on a line whose rule is one-sided: still the employer side (so its repeat is caught), and said.
    rules = [r for r in RULES if r.code != "FUTA"] + [GlRule("FUTA", det="T", credit_account="2230")]
    lines = REGULAR[:-1] + [("T", "FUTA", "12.00", "ER"), ("T", "FUTA", "12.00", "ER")]
    result = build([pay("E1", (1, lines))], rules)
    assert Difference("employer_duplicate", D("12.00"), D("24.00"), D("12.00"), "E1", "FUTA") in result.differences
    assert "code FUTA has detType ER but its rule is credit: check the mapping" in result.warnings
    # detType EE on a debit+credit rule: the line is the employee's, so a repeat is no employer duplicate.
    ee = build([pay("E1", (1, REGULAR + [("T", "FUTA", "1.00", "EE")]))])
    assert "code FUTA has detType EE but its rule is debit+credit: check the mapping" in ee.warnings
    assert not [d for d in ee.differences if d.kind == "employer_duplicate"]


def test_stored_rows_carry_det_type_to_the_check():
    stored = EmployeePay("E1", None, [StoredSummary(datetime.date(2026, 1, 15), 1, 1, D("2000.00"), D("1647.00"))], [
        StoredDetail(datetime.date(2026, 1, 15), 1, d, c, D(a), det_type=t)
        for d, c, a, t in [("E", "REG", "2000.00", "EE"), ("T", "FITW", "200.00", "EE"), ("T", "FICA", "124.00", "EE"),
                           ("T", "MEDI", "29.00", "EE"), ("T", "FICA-ER", "124.00", "ER"),
                           ("T", "FICA-ER", "124.00", "ER"), ("T", "ERMEDI", "29.00", "ER")]])
    result = build([stored])
    assert result.differences == [
        Difference("employer_duplicate", D("124.00"), D("248.00"), D("124.00"), "E1", "FICA-ER")]


def test_employee_code_of_the_spellings():
    assert [employee_code_of(c) for c in ("FICA-ER", "fica_er", "MEDIER", "ER-MEDI", "ERFICA", "er sui")] == \
        ["FICA", "FICA", "MEDI", "MEDI", "FICA", "SUI"]
    assert [employee_code_of(c) for c in ("FUTA", "SUTA", "ER", "", None, "-ER")] == [None] * 6
