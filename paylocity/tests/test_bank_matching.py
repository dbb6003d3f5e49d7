"""Bank matching: amount, date window and words; a match only when each side has one candidate."""
import datetime
from decimal import Decimal as D

import pytest

from paylocity.bank_matching import BankLine, OpenItem, match_bank_lines, open_items, words_of
from paylocity.cash import CHECK, CashAccounts, build_entry
from paylocity.tests.paybook import (ANALYTICS, CHECK_DATE, CHK, DD, IMPOUND, NET, RULES, pay, sandbox_entry,
                                     standard_lines, statement)

ACCOUNTS = CashAccounts(direct_deposit=DD, check=CHK, tax_impound=IMPOUND)


def day(offset):
    return CHECK_DATE + datetime.timedelta(days=offset)


def item(key, amount, offset=0, words=None, **kw):
    return OpenItem(key, D(amount), day(offset), words=words, **kw)


def bank(key, amount, offset=0, label="PAYLOCITY CORP DES:PAYROLL", partner=None):
    return BankLine(key, D(amount), day(offset), label, partner)


def test_entry_cash_lines_match_their_bank_lines():
    pays = [pay("1001", "100", statement(11, standard_lines("2500.00"))),
            pay("1002", "200", statement(12, standard_lines("1800.00"), deposit=False, check_number=10005)),
            pay("1003", "100", statement(13, standard_lines("900.00"), deposit=False, check_number=10006))]
    entry = build_entry(pays, RULES, run_id=1, check_date=CHECK_DATE, net_pay_account=NET, accounts=ACCOUNTS,
                        detail_level="employee", cost_center_analytics=ANALYTICS)
    items = open_items(enumerate(entry.lines))
    kinds = {i.label: i for i in items}
    deposit, tax = kinds["PAYLOCITY DD 2026-11-20"], kinds["PAYLOCITY TAX 2026-11-20"]
    checks = {i.label: i for i in items if i.label.startswith("CHECK")}
    assert deposit.words == ("PAYLOCITY",) and checks["CHECK 10005"].words == ("10005",)
    assert checks["CHECK 10005"].days_after == 45 and deposit.days_after is None
    statement_lines = [bank("dd", deposit.amount, -1, "PAYLOCITY DES:DIR DEP"),
                       bank("tax", tax.amount, 0, "PAYLOCITY DES:TAX COL"),
                       bank("c1", checks["CHECK 10005"].amount, 20, "CHECK 10005"),
                       bank("c2", checks["CHECK 10006"].amount, 3, "CHECK #10006"),
                       bank("rent", "-3000.00", 0, "LANDLORD")]
    result = match_bank_lines(items, statement_lines, words=("PAYLOCITY",))
    assert {(m.item.label, m.bank_line.key) for m in result.matched} == {
        ("PAYLOCITY DD 2026-11-20", "dd"), ("PAYLOCITY TAX 2026-11-20", "tax"), ("CHECK 10005", "c1"),
        ("CHECK 10006", "c2")}
    assert not result.ambiguous and not result.unmatched_items
    assert [b.key for b in result.unmatched_bank_lines] == ["rent"]
    # The DD item stands for every employee's DD line at this detail level.
    dd_lines = [k for k, line in enumerate(entry.lines) if line.bank_label == "PAYLOCITY DD 2026-11-20"]
    assert set(deposit.key) == set(dd_lines) and len(dd_lines) == 1


def test_two_runs_with_the_same_amount_match_nothing_and_are_listed():
    items = [item("run-a", "-5000.00", 0), item("run-b", "-5000.00", 2)]
    result = match_bank_lines(items, [bank("b1", "-5000.00", 1)], words=("PAYLOCITY",))
    assert result.matched == [] and len(result.ambiguous) == 1
    [group] = result.ambiguous
    assert [i.key for i in group.items] == ["run-a", "run-b"] and [b.key for b in group.bank_lines] == ["b1"]
    assert "2 open payroll line(s) and 1 bank line(s)" in group.describe()


def test_two_bank_lines_for_one_item_match_nothing():
    result = match_bank_lines([item("dd", "-100.00")], [bank("b1", "-100.00", -1), bank("b2", "-100.00", 1)])
    assert result.matched == [] and [b.key for b in result.ambiguous[0].bank_lines] == ["b1", "b2"]


def test_a_chain_of_candidates_is_one_ambiguity_and_others_still_match():
    items = [item("a", "-10.00", 0), item("b", "-10.00", 6), item("c", "-20.00")]
    lines = [bank("x", "-10.00", 3), bank("y", "-10.00", 9), bank("z", "-20.00", 1)]
    result = match_bank_lines(items, lines, days_before=3, days_after=3)
    assert [(m.item.key, m.bank_line.key) for m in result.matched] == [("c", "z")]
    [group] = result.ambiguous
    assert {i.key for i in group.items} == {"a", "b"} and {b.key for b in group.bank_lines} == {"x", "y"}


def test_amount_window_and_words_must_all_hold():
    target = item("dd", "-250.00", words=("PAYLOCITY",))
    assert match_bank_lines([target], [bank("far", "-250.00", 6)]).unmatched_items == [target._replace(
        words=("PAYLOCITY",))]
    assert not match_bank_lines([target], [bank("early", "-250.00", -4)]).matched
    assert not match_bank_lines([target], [bank("sign", "250.00")]).matched
    assert not match_bank_lines([target], [bank("other", "-250.00", 0, "ADP PAYROLL")]).matched
    assert match_bank_lines([target], [bank("partner", "-250.00", 0, "ACH DEBIT", "Paylocity Corp")]).matched
    assert not match_bank_lines([item("c", "-5.00", words=("10005",))], [bank("c", "-5.00", 0, "CHECK 100050")]).matched
    assert match_bank_lines([item("c", "-5.00", words=())], [bank("c", "-5.00", 0, "CHECK 100050")],
                            words=("PAYLOCITY",)).matched      # an item asking for no words
    assert match_bank_lines([item("d", "-5.00", days_after=30)], [bank("d", "-5.00", 25)]).matched
    assert words_of("Paylocity-DD 11/20", None) == {"PAYLOCITY", "DD", "11", "20"}


def test_zero_items_are_skipped_and_bad_input_refused():
    result = match_bank_lines([item("zero", "0.00")], [bank("b", "0.00")])
    assert result.matched == [] and result.unmatched_items == [] and len(result.unmatched_bank_lines) == 1
    with pytest.raises(ValueError):
        match_bank_lines([], [], days_before=-1)
    with pytest.raises(ValueError):
        match_bank_lines([OpenItem("x", D("-1"), None)], [])


def test_sandbox_bank_debits_match_the_entry(fresh_sandbox, make_client):
    """The sandbox's bank debits for its run (an independent reading) all match the entry's cash lines."""
    srv = fresh_sandbox(employees=40)
    run = next(r for r in reversed(srv.company("C1001").pay_runs) if not r.off_cycle)
    entry = sandbox_entry(make_client(srv), run, ACCOUNTS)
    items = open_items(enumerate(entry.lines))
    debits = srv.bank_debits("C1001", run.process_id)
    lines = [BankLine(k, d["amount"], d["date"], d["label"]) for k, d in enumerate(debits)]
    result = match_bank_lines(items, lines)
    assert len(result.matched) == len(debits) == len(items)
    assert not result.ambiguous and not result.unmatched_items and not result.unmatched_bank_lines
    assert sum(1 for m in result.matched if entry.lines[m.item.key[0]].cash_kind == CHECK) >= 1
