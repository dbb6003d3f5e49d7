"""Paging against a server that misbehaves: one that serves the same page whatever is asked (or cycles between
pages) must end in a clear ``BadResponse`` after the repeat, never in rows counted twice or a loop that runs
on. The sandbox pages correctly, so these tests use a session that answers like a broken server."""
import pytest

from paylocity.errors import BadResponse
from paylocity.tests.fake_session import FakeSession as BrokenPagingSession
from paylocity.tests.fake_session import client_for


def employees(first, count):
    return [{"employeeId": str(first + i), "statusCode": "A", "statusTypeCode": "A"} for i in range(count)]


def test_weblink_page_repeated_forever_without_a_total_is_an_error():
    session = BrokenPagingSession(lambda params, n: (employees(1, 7), {}))   # full pages, ignores pagenumber
    with pytest.raises(BadResponse) as caught:
        client_for(session, page_size=7).list_employees()
    assert "again" in str(caught.value) and "/v2/companies/C1001/employees" in str(caught.value)
    assert [call["pagenumber"] for call in session.api_calls] == [0, 1]


def test_weblink_page_repeated_under_a_total_is_not_counted_twice():
    # With X-Pcty-Total-Count = 30 the loop did end, after yielding page 0 five times: 30 rows, 7 people.
    session = BrokenPagingSession(lambda params, n: (employees(1, 7), {"X-Pcty-Total-Count": "30"}))
    with pytest.raises(BadResponse, match="again"):
        client_for(session, page_size=7).list_employees()
    assert len(session.api_calls) == 2


def test_weblink_pages_cycling_are_an_error():
    session = BrokenPagingSession(lambda params, n: (employees(1 + 7 * (params["pagenumber"] % 2), 7), {}))
    with pytest.raises(BadResponse, match="page 2 .* again"):
        client_for(session, page_size=7).list_employees()
    assert len(session.api_calls) == 3


def test_weblink_pay_statement_details_repeated_forever_are_an_error():
    line = {"year": 2026, "checkDate": "2026-01-15", "transactionNumber": 1, "det": "E", "detCode": "REG",
            "amount": 100.0}
    session = BrokenPagingSession(lambda params, n: ([dict(line, amount=100.0 + i) for i in range(5)], {}))
    with pytest.raises(BadResponse, match="again"):
        client_for(session, page_size=5).get_pay_statement_details("1001", 2026, "2026-01-15")
    assert len(session.api_calls) == 2


def test_weblink_distinct_pages_still_page_to_the_end():
    def answer(params, n):
        page = params["pagenumber"]
        return (employees(1 + 7 * page, 7 if page < 3 else 2), {})
    session = BrokenPagingSession(answer)
    rows = client_for(session, page_size=7).list_employees()
    assert [e.employee_id for e in rows] == [str(i) for i in range(1, 24)]
    assert len(session.api_calls) == 4


def test_nextgen_repeated_next_token_is_an_error():
    session = BrokenPagingSession(lambda params, n: (
        {"employees": [{"id": str(n)}], "nextToken": "same-token"}, {}))
    with pytest.raises(BadResponse, match="repeated a nextToken"):
        list(client_for(session).iter_nextgen_employees())
    assert len(session.api_calls) == 2


def test_nextgen_offset_page_repeated_is_an_error():
    session = BrokenPagingSession(lambda params, n: ([{"code": "P%d" % i, "title": "x"} for i in range(3)], {}))
    with pytest.raises(BadResponse, match="same page twice"):
        client_for(session, nextgen_page_size=3).get_positions()
    assert len(session.api_calls) == 2
