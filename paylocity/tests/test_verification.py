"""Verification of posted runs: differences found statement by statement, corrections equal to the delta."""
import datetime
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paylocity.cash import CHECK, DIRECT_DEPOSIT, TAX_IMPOUND, CashAccounts, entry_builder
from paylocity.journal import EmployeePay, GlRule
from paylocity.tests.paybook import (ANALYTICS, CHECK_DATE, CHK, DD, IMPOUND, NET, RULES, pay, standard_lines,
                                     statement, void_of)
from paylocity.payroll import StoredDetail, StoredSummary
from paylocity.verification import (ADDED, CHANGED, REMOVED, VOID_ADDED, compare_run, correction, current_pays,
                                    details_calls, details_to_reread)

ACCOUNTS = CashAccounts(direct_deposit=DD, check=CHK, tax_impound=IMPOUND)
RUN = dict(run_id=1, check_date=CHECK_DATE)


def builder(level="aggregate", accounts=ACCOUNTS, rules=RULES):
    return entry_builder(rules, net_pay_account=NET, accounts=accounts, detail_level=level,
                         cost_center_analytics=ANALYTICS, **RUN)


def balances(lines):
    out = {}
    for line in lines:
        key = (line.account, line.analytic, line.partner)
        out[key] = out.get(key, D(0)) + line.debit - line.credit
    return {k: v for k, v in out.items() if v}


def added(*line_sets):
    out = {}
    for lines in line_sets:
        for key, value in balances(lines).items():
            out[key] = out.get(key, D(0)) + value
    return {k: v for k, v in out.items() if v}


A, B, C = standard_lines("2500.00", k401="125.00"), standard_lines("1800.00"), standard_lines("3100.50")


def posted_run():
    return [pay("1001", "100", statement(11, A)), pay("1002", "200", statement(12, B)),
            pay("1003", "100", statement(13, C, deposit=False, check_number=10005))]


def test_nothing_changed_means_no_reread_no_difference_no_lines():
    posted = posted_run()
    summaries_now = {p.employee_id: p.summaries for p in posted_run()}
    assert details_to_reread(posted, summaries_now, **RUN) == []
    current = current_pays(posted, summaries_now, {}, **RUN)
    comparison = compare_run(posted, current, **RUN)
    assert comparison.is_empty and comparison.fingerprint == ""
    fixed = correction(posted, current, builder(), **RUN)
    assert fixed.is_empty and fixed.lines == [] and fixed.fingerprint == ""


def stored(pays):
    """The pays as an older database row keeps them: no split, no check number, no period, no transaction type."""
    return [EmployeePay(p.employee_id, p.cost_center,
                        [StoredSummary(s.check_date, s.process, s.transaction_number, s.gross_pay, s.net_pay)
                         for s in p.summaries],
                        [StoredDetail(d.check_date, d.transaction_number, d.det, d.det_code, d.amount)
                         for d in p.details]) for p in pays]


def test_rows_stored_without_the_newer_fields_do_not_look_changed():
    posted = stored(posted_run())
    summaries_now = {p.employee_id: p.summaries for p in posted_run()}
    assert details_to_reread(posted, summaries_now, **RUN) == []
    current = current_pays(posted, summaries_now, {}, **RUN)
    assert compare_run(posted, current, **RUN).is_empty
    # ... while a changed net pay still does.
    now = posted_run()
    now[1] = pay("1002", "200", statement(12, [(d, c, a + 1 if c == "REG" else a) for d, c, a in B]))
    assert details_to_reread(posted, {"1002": now[1].summaries}, **RUN) == ["1002"]


def test_details_calls_for_every_watched_run_at_once():
    other_date = datetime.date(2026, 11, 6)
    earlier = [pay("1001", "100", statement(31, A, check="2026-11-06"))]
    off_cycle = [pay("1001", "100", statement(41, standard_lines("500.00"), process=2))]
    runs = {(CHECK_DATE, 1): posted_run(), (CHECK_DATE, 2): off_cycle, (other_date, 1): earlier}
    summaries = {"1001": [s for p in (posted_run()[0], off_cycle[0], earlier[0]) for s in p.summaries],
                 "1002": posted_run()[1].summaries, "1003": posted_run()[2].summaries}
    assert details_calls(runs, summaries) == []
    manual = statement(15, standard_lines("400.00"), deposit=False, check_number=10020, transaction_type="Manual")
    summaries["1001"].append(manual[0])                                        # run 1 of 2026-11-20
    summaries["1001"].append(statement(42, standard_lines("9.00"), process=2)[0])   # run 2, same date
    summaries["1003"] = []                                                     # removed: no call
    assert details_calls(runs, summaries) == [("1001", CHECK_DATE)]


def test_a_void_gives_minus_the_voided_checks_lines():
    posted = posted_run()
    now = posted_run()
    now[2] = pay("1003", "100", statement(13, C, deposit=False, check_number=10005),
                 void_of(14, C, deposit=False, check_number=10005))
    summaries_now = {p.employee_id: p.summaries for p in now}
    assert details_to_reread(posted, summaries_now, **RUN) == ["1003"]
    current = current_pays(posted, summaries_now, {"1003": now[2].details}, **RUN)
    comparison = compare_run(posted, current, **RUN)
    [change] = comparison.changes
    assert (change.kind, change.employee_id, change.transaction_number) == (VOID_ADDED, "1003", 14)
    assert change.after.gross == -D("3100.50") and change.after.check_number == 10005
    assert change.describe() == "void 14 of check 10005, employee 1003"

    fixed = correction(posted, current, builder(), **RUN)
    assert fixed.is_balanced and fixed.fingerprint == comparison.fingerprint
    voided_check_alone = builder()([pay("1003", "100", statement(13, C, deposit=False, check_number=10005))])
    assert fixed.totals_by_key() == {k: -v for k, v in balances(voided_check_alone.lines).items()}
    [check_line] = [l for l in fixed.lines if l.cash_kind == CHECK]
    assert (check_line.debit, check_line.check_number, check_line.match_key) == (
        voided_check_alone.cash_lines[-1].credit, 10005, voided_check_alone.cash_lines[-1].match_key)
    assert all(l.label.startswith("Paylocity correction: void 14 of check 10005, employee 1003") for l in fixed.lines)
    assert all(l.transaction_numbers == (14,) and l.employee_id == "1003" for l in fixed.lines)
    reg = next(l for l in fixed.lines if l.account == "6000")
    assert reg.codes == ("REG",) and reg.credit == D("3100.50") and reg.analytic == "an-100"
    # The run's entries now sum to Paylocity's current run.
    original = builder()(posted).lines
    assert added(original, fixed.lines) == balances(builder()(current).lines)


def test_a_manual_check_added_is_corrected_by_its_own_lines():
    posted = posted_run()
    manual = statement(15, standard_lines("400.00"), deposit=False, check_number=10020, transaction_type="Manual")
    now = posted_run()
    now[0] = pay("1001", "100", statement(11, A), manual)
    summaries_now = {p.employee_id: p.summaries for p in now}
    details = {"1001": now[0].details}
    current = current_pays(posted, summaries_now, details, **RUN)
    [change] = compare_run(posted, current, **RUN).changes
    assert (change.kind, change.transaction_type) == (ADDED, "Manual")
    assert change.describe() == "manual check 15 added, employee 1001"
    fixed = correction(posted, current, builder(), **RUN)
    alone = builder()([pay("1001", "100", manual)])
    assert fixed.totals_by_key() == balances(alone.lines)
    assert [l.check_number for l in fixed.lines if l.cash_kind == CHECK] == [10020]


def test_an_amount_changed_moves_only_that_delta():
    posted = posted_run()
    changed = [(det, code, D("2600.00") if code == "REG" else amount) for det, code, amount in A]
    now = posted_run()
    now[0] = pay("1001", "100", statement(11, changed))
    summaries_now = {p.employee_id: p.summaries for p in now}
    assert details_to_reread(posted, summaries_now, **RUN) == ["1001"]
    with pytest.raises(ValueError, match="read their details again"):
        current_pays(posted, summaries_now, {}, **RUN)
    current = current_pays(posted, summaries_now, {"1001": now[0].details}, **RUN)
    [change] = compare_run(posted, current, **RUN).changes
    assert change.kind == CHANGED and change.codes == ((("E", "REG", D("2500.00"), D("2600.00"))),)
    assert "REG 2500→2600" in change.describe()
    fixed = correction(posted, current, builder(), **RUN)
    assert fixed.totals_by_key() == {("6000", "an-100", None): D("100.00"), (DD, None, None): D("-100.00")}
    assert [l.cash_kind for l in fixed.lines if l.account == DD] == [DIRECT_DEPOSIT]


def test_a_removed_statement_needs_no_call_and_is_reversed():
    posted = posted_run()
    now = {"1001": [], "1002": posted[1].summaries, "1003": posted[2].summaries}
    assert details_to_reread(posted, now, **RUN) == []
    current = current_pays(posted, now, {}, **RUN)
    [change] = compare_run(posted, current, **RUN).changes
    assert (change.kind, change.transaction_number, change.after) == (REMOVED, 11, None)
    fixed = correction(posted, current, builder("employee"), **RUN)
    alone = builder("employee")([posted[0]])
    assert fixed.totals_by_key() == {k: -v for k, v in balances(alone.lines).items()}


def test_employees_not_checked_stay_as_posted_and_new_ones_take_their_cost_center():
    posted = posted_run()
    newcomer = pay("1009", None, statement(16, standard_lines("700.00")))
    now = {"1009": newcomer.summaries}
    assert details_to_reread(posted, now, **RUN) == ["1009"]
    current = current_pays(posted, now, {"1009": newcomer.details}, cost_centers={"1009": "200"}, **RUN)
    assert [p.employee_id for p in current] == ["1001", "1002", "1003", "1009"]
    assert current[:3] == posted and current[3].cost_center == "200"
    [change] = compare_run(posted, current, **RUN).changes
    assert (change.kind, change.employee_id) == (ADDED, "1009")
    fixed = correction(posted, current, builder(), **RUN)
    assert fixed.totals_by_key()[("6000", "an-200", None)] == D("700.00")


def test_fingerprint_is_stable_and_specific():
    posted = posted_run()

    def voided(order=1, spelled=False):
        now = posted_run()
        void = void_of(14, C, deposit=False, check_number=10005)
        if spelled:   # the same amounts spelled with other exponents
            summary, details = void
            void = (summary.model_copy(update={"gross_pay": D("-3100.5")}),
                    [d.model_copy(update={"amount": d.amount.normalize()}) for d in details])
        now[2] = pay("1003", "100", statement(13, C, deposit=False, check_number=10005), void)
        return compare_run(posted[::order], now[::order], **RUN)

    first = voided()
    assert first.fingerprint and first.fingerprint == voided(-1).fingerprint == voided(spelled=True).fingerprint
    other = posted_run()
    other[1] = pay("1002", "200", statement(12, B), void_of(14, B))
    assert compare_run(posted, other, **RUN).fingerprint != first.fingerprint
    assert compare_run(posted, posted_run(), run_id=2, check_date=CHECK_DATE).is_empty


def test_an_unmapped_code_in_a_new_statement_makes_no_lines():
    posted = posted_run()
    now = posted_run()
    now[0] = pay("1001", "100", statement(11, A), statement(17, [("E", "TIPS", "50.00")]))
    fixed = correction(posted, now, builder(), **RUN)
    assert fixed.lines == [] and [u.code for u in fixed.unmapped] == ["TIPS"] and not fixed.comparison.is_empty


def test_a_void_of_a_check_whose_code_lost_its_mapping_makes_no_lines():
    # The void cancels the check's SUTA, so the current side alone looks mapped; the posted side is not any more.
    posted = posted_run()
    now = posted_run()
    now[0] = pay("1001", "100", statement(11, A), void_of(14, A))
    rules = [rule for rule in RULES if rule.code != "SUTA"]
    fixed = correction(posted, now, builder(rules=rules), **RUN)
    assert fixed.lines == [] and [u.code for u in fixed.unmapped] == ["SUTA"] and not fixed.comparison.is_empty
    assert correction(posted, now, builder(), **RUN).lines


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        compare_run(posted_run() + posted_run()[:1], [], **RUN)
    with pytest.raises(ValueError):
        details_to_reread([], {}, run_id=1, check_date=None)


def test_sandbox_void_and_manual_check_after_posting(fresh_sandbox, make_client):
    """Posted from the sandbox, changed in the sandbox, verified with the calls the discovery makes plus one
    details call per changed employee; the correction equals the sandbox's own totals of what changed."""
    srv = fresh_sandbox(employees=30)
    company = srv.company("C1001")
    run = next(r for r in reversed(company.pay_runs) if not r.off_cycle)
    client = make_client(srv)
    people = sorted({s.employee_id for s in run.statements}, key=lambda e: (len(e), e))

    def read(employee_id, with_details=True):
        summaries = client.get_pay_statement_summaries(employee_id, run.check_date.year)
        details = client.get_pay_statement_details(employee_id, run.check_date.year, run.check_date) \
            if with_details else []
        return summaries, details

    posted = []
    for employee_id in people:
        summaries, details = read(employee_id)
        posted.append(EmployeePay(employee_id, None, summaries, details))
    rules = [GlRule(code, debit_account="6000") for code in ("REG", "OT")] + [
        GlRule(code, credit_account="2100") for code in ("401K", "MED", "DEN")] + [
        GlRule(code, det="T", credit_account="2200") for code in ("FITW", "SITW", "FICA", "MEDI")] + [
        GlRule(code, det="T", debit_account="6100", credit_account="2210") for code in ("FICA-ER", "MEDI-ER",
                                                                                          "FUTA", "SUTA")]
    build = entry_builder(rules, run_id=run.run_id, check_date=run.check_date, net_pay_account=NET,
                          accounts=ACCOUNTS)
    entry = build(posted)
    assert entry.can_post

    voided = next(s for s in run.statements if not s.direct_deposit)
    srv.void_check("C1001", run.process_id, voided.employee_id)
    srv.manual_check("C1001", run.process_id, people[0], "250.00")
    run_view = srv.company("C1001").run(run.process_id)
    srv.reset_calls()
    summaries_now = {employee_id: read(employee_id, with_details=False)[0] for employee_id in people}
    reread = details_to_reread(posted, summaries_now, run_id=run.run_id, check_date=run.check_date)
    assert reread == sorted({voided.employee_id, people[0]}, key=lambda e: (len(e), e))
    details_now = {e: read(e)[1] for e in reread}
    assert srv.count(path="/details/") == len(reread)
    current = current_pays(posted, summaries_now, details_now, run_id=run.run_id, check_date=run.check_date)
    fixed = correction(posted, current, build, run_id=run.run_id, check_date=run.check_date)
    assert sorted(c.kind for c in fixed.comparison.changes) == [ADDED, VOID_ADDED]

    manual = run_view.statements[-1]
    void = run_view.statements[-2]
    assert (void.kind, manual.kind) == ("void", "manual")
    totals = fixed.totals_by_key()
    assert totals[("6000", None, None)] == void.gross + manual.gross
    assert totals[("6100", None, None)] == void.employer_taxes + manual.employer_taxes
    assert totals[(IMPOUND, None, None)] == -(void.total("T") + manual.total("T"))
    assert totals[(CHK, None, None)] == -(void.net_check + manual.net_check)
    assert added(entry.lines, fixed.lines) == balances(build(current).lines)


# --- property: posted + correction = the run as it is now ------------------------------------------------

cents = st.integers(min_value=1, max_value=400_000).map(lambda n: D(n).scaleb(-2))


@st.composite
def mutated_runs(draw):
    posted, now, details_now = [], [], {}
    number = 100
    for index in range(draw(st.integers(1, 6))):
        employee_id = str(1000 + index)
        number += 1
        lines = standard_lines(draw(cents), k401=draw(st.sampled_from(["0", "10.00", "55.55"])))
        deposit = draw(st.booleans())
        original = statement(number, lines, deposit=deposit, check_number=0 if deposit else 10000 + number)
        posted.append(pay(employee_id, draw(st.sampled_from([None, "100", "200"])), original))
        action = draw(st.sampled_from(["keep", "void", "manual", "change", "remove"]))
        statements = [original]
        if action == "void":
            number += 1
            statements.append(void_of(number, lines, deposit=deposit, check_number=0 if deposit else 10000 + number - 1))
        elif action == "manual":
            number += 1
            statements.append(statement(number, standard_lines(draw(cents)), deposit=False, check_number=20000 + number,
                                        transaction_type="Manual"))
        elif action == "change":
            amount = draw(cents)
            statements = [statement(original[0].transaction_number,
                                    [(d, c, amount if c == "REG" else a) for d, c, a in lines], deposit=deposit,
                                    check_number=original[0].check_number)]
        elif action == "remove":
            statements = []
        current = pay(employee_id, posted[-1].cost_center, *statements)
        now.append(current)
        details_now[employee_id] = current.details
    return posted, now, details_now


@settings(max_examples=120, deadline=None)
@given(mutated_runs(), st.sampled_from(["aggregate", "employee"]), st.booleans())
def test_property_posted_plus_correction_is_the_current_run(case, level, clearing):
    posted, now, details_now = case
    accounts = ACCOUNTS if clearing else CashAccounts(direct_deposit=DD, check=CHK)
    build = builder(level, accounts)
    summaries_now = {p.employee_id: p.summaries for p in now}
    reread = details_to_reread(posted, summaries_now, **RUN)
    current = current_pays(posted, summaries_now, {e: details_now[e] for e in reread}, **RUN)
    fixed = correction(posted, current, build, **RUN)
    assert fixed.is_balanced
    assert added(build(posted).lines, fixed.lines) == balances(build(current).lines)
    assert fixed.is_empty == fixed.comparison.is_empty
    again = correction(posted, current, build, **RUN)
    assert again.fingerprint == fixed.fingerprint
    # Once the current statements are stored as posted, the next round finds nothing.
    assert correction(current, current, build, **RUN).is_empty
