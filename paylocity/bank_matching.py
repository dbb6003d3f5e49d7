"""Bank matching: which bank statement line settles which open payroll cash line. Pure; never a guess.

An open item is what the bank should show for one or more cash lines of a run (``journal.JournalLine`` with one
``match_key``: the run's direct deposits, its tax impound, one paper check): its amount signed as on the bank
statement (money out is negative, i.e. the clearing lines' debit − credit), the check date, and the words the bank
line must contain. A bank line is a candidate for an item when

- its amount is exactly the item's amount,
- its date is within ``days_before`` days before to ``days_after`` days after the item's date (an item may carry
  its own window: paper checks clear weeks later), and
- every word the item asks for (its own ``words``, or the ``words`` given to ``match_bank_lines``, e.g.
  ``("PAYLOCITY",)``) is a word of the bank line's label or partner name (case-insensitive, whole words: ``10005``
  does not match ``100050``).

An item and a bank line are matched only when each is the other's only candidate. Every other group of items and
bank lines linked by candidacy (two runs with the same amount, two bank lines for one item) is listed in
``ambiguous`` with all its members and left for a person: nothing in it is matched.
"""
import dataclasses
import datetime
import re
from decimal import Decimal
from typing import Any, List, NamedTuple, Optional, Tuple

from .models import parse_date

_WORD = re.compile(r"[A-Z0-9]+")


class OpenItem(NamedTuple):
    key: Any                                 # opaque: e.g. the ids of the cash lines it stands for
    amount: Decimal                          # as on the bank statement: negative = money out
    date: datetime.date                      # the cash lines' date (the check date)
    label: Optional[str] = None              # e.g. "PAYLOCITY DD 2026-11-20"
    partner: Optional[str] = None
    words: Optional[Tuple[str, ...]] = None  # None: the words given to match_bank_lines
    days_before: Optional[int] = None        # None: the window given to match_bank_lines
    days_after: Optional[int] = None


class BankLine(NamedTuple):
    key: Any
    amount: Decimal
    date: datetime.date
    label: Optional[str] = None
    partner: Optional[str] = None            # the partner's name, when the bank line has one


class Match(NamedTuple):
    item: OpenItem
    bank_line: BankLine


class Ambiguity(NamedTuple):
    items: Tuple[OpenItem, ...]
    bank_lines: Tuple[BankLine, ...]

    def describe(self):
        return "%d open payroll line(s) and %d bank line(s) could match each other (amounts %s): left for a person" % (
            len(self.items), len(self.bank_lines),
            ", ".join(sorted({str(i.amount) for i in self.items} | {str(b.amount) for b in self.bank_lines})))


@dataclasses.dataclass(frozen=True)
class MatchResult:
    matched: List[Match]
    ambiguous: List[Ambiguity]
    unmatched_items: List[OpenItem]          # no candidate at all
    unmatched_bank_lines: List[BankLine]


def words_of(*texts):
    """The upper-case words of ``texts`` (letters and digits)."""
    found = set()
    for text in texts:
        if text:
            found.update(_WORD.findall(str(text).upper()))
    return found


def match_bank_lines(items, bank_lines, *, days_before=3, days_after=5, words=()):
    """``MatchResult`` of ``items`` (``OpenItem``) against ``bank_lines`` (``BankLine``); see the module docstring.
    Items of amount zero are skipped (nothing to settle). ValueError for a negative window."""
    if days_before < 0 or days_after < 0:
        raise ValueError("the date window cannot be negative")
    items = [_clean_item(item) for item in items]
    items = [item for item in items if item.amount]
    bank_lines = [_clean_bank_line(line) for line in bank_lines]
    bank_words = [words_of(line.label, line.partner) for line in bank_lines]
    default_words = tuple(words or ())

    item_candidates = []
    bank_candidates = [[] for _ in bank_lines]
    for i, item in enumerate(items):
        required = words_of(*(item.words if item.words is not None else default_words))
        before = days_before if item.days_before is None else item.days_before
        after = days_after if item.days_after is None else item.days_after
        low, high = item.date - datetime.timedelta(days=before), item.date + datetime.timedelta(days=after)
        found = [b for b, line in enumerate(bank_lines)
                 if line.amount == item.amount and low <= line.date <= high and required <= bank_words[b]]
        item_candidates.append(found)
        for b in found:
            bank_candidates[b].append(i)

    matched, ambiguous, unmatched = [], [], []
    seen_items, seen_banks = set(), set()
    for i, found in enumerate(item_candidates):
        if i in seen_items:
            continue
        if not found:
            unmatched.append(items[i])
            seen_items.add(i)
            continue
        group_items, group_banks = _component(i, item_candidates, bank_candidates)
        seen_items |= group_items
        seen_banks |= group_banks
        if len(group_items) == 1 and len(group_banks) == 1:
            matched.append(Match(items[i], bank_lines[next(iter(group_banks))]))
        else:
            ambiguous.append(Ambiguity(tuple(items[k] for k in sorted(group_items)),
                                       tuple(bank_lines[k] for k in sorted(group_banks))))
    unmatched_banks = [line for b, line in enumerate(bank_lines) if b not in seen_banks]
    return MatchResult(matched, ambiguous, unmatched, unmatched_banks)


def _component(start, item_candidates, bank_candidates):
    """Items and bank lines linked to item ``start`` through candidacy."""
    items, banks = {start}, set()
    todo = [("item", start)]
    while todo:
        side, index = todo.pop()
        if side == "item":
            for b in item_candidates[index]:
                if b not in banks:
                    banks.add(b)
                    todo.append(("bank", b))
        else:
            for i in bank_candidates[index]:
                if i not in items:
                    items.add(i)
                    todo.append(("item", i))
    return items, banks


def _clean_item(item):
    day = parse_date(item.date)
    if day is None:
        raise ValueError("open item %r has no date" % (item.key,))
    return item._replace(amount=Decimal(item.amount), date=day,
                         words=tuple(item.words) if item.words is not None else None)


def _clean_bank_line(line):
    day = parse_date(line.date)
    if day is None:
        raise ValueError("bank line %r has no date" % (line.key,))
    return line._replace(amount=Decimal(line.amount), date=day)


def open_items(lines, *, check_days_after=45):
    """``OpenItem`` per ``match_key`` of cash lines: ``lines`` are (key, line) pairs, ``line`` a ``journal.JournalLine``
    (or any object with its ``debit``, ``credit``, ``date``, ``bank_label``, ``bank_words``, ``match_key``,
    ``cash_kind``, ``partner``), ``key`` the caller's id of the line (e.g. a journal item id, whose open residual the
    caller passes as debit/credit). The item's key is the tuple of its lines' keys. Check items may clear up to
    ``check_days_after`` days after the check date. The lines' ``bank_words`` become the item's words (an empty
    tuple asks for none; a line without the attribute leaves the matcher's default). Lines without a match key are
    skipped.

    Give a correction's cash lines together with the original entry's: they share match keys, so an item is the
    run's amount as it stands now (what the sandbox's bank debits show). An item that nets to zero (a paper check
    and its void) needs no bank line: its lines settle each other (``match_bank_lines`` skips it)."""
    groups = {}
    for key, line in lines:
        match_key = getattr(line, "match_key", None)
        if match_key is None:
            continue
        group = groups.setdefault(match_key, {"keys": [], "amount": Decimal(0), "line": line})
        group["keys"].append(key)
        group["amount"] += Decimal(line.debit) - Decimal(line.credit)
    out = []
    for match_key, group in groups.items():
        line = group["line"]
        is_check = getattr(line, "cash_kind", None) == "check"
        words = getattr(line, "bank_words", None)
        out.append(OpenItem(tuple(group["keys"]), group["amount"], line.date, getattr(line, "bank_label", None),
                            getattr(line, "partner", None), None if words is None else tuple(words),
                            None, check_days_after if is_check else None))
    return out
