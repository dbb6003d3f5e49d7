"""Property-based attack on the payload models: any JSON Paylocity could send is parsed, or refused with a clear
error: pydantic's ``ValidationError`` from the models, ``BadResponse`` from the client. Amounts that parse are
finite, bounded ``Decimal`` values, and texts can be stored as UTF-8."""
import json
from decimal import Decimal

import pydantic
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from paylocity.errors import BadResponse, PaylocityError
from paylocity.models import (
    MAX_AMOUNT,
    ClientSecret,
    CompanyCode,
    CostCenterLevel,
    Employee,
    EmployeeInfo,
    NextGenEmployee,
    NextGenEmployeePage,
    PayGrade,
    PayStatementDetail,
    PayStatementSummary,
    Position,
    TokenResponse,
    WorkLocation,
    parse_money,
)
from paylocity.tests.fake_session import FakeSession, client_for

MODELS = (ClientSecret, CompanyCode, CostCenterLevel, Employee, EmployeeInfo, NextGenEmployee,
          NextGenEmployeePage, PayGrade, PayStatementDetail, PayStatementSummary, Position, TokenResponse,
          WorkLocation)
ABSURD_NUMBERS = ("1E+400", "-1e400", "1E-400", "NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "1e999999999",
                  "0E-1000", "1" * 40, "0x10", "1_000", "")

scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
           | st.sampled_from(ABSURD_NUMBERS) | st.sampled_from(("\ud800", "A\udfffB"))
           | st.decimals(allow_nan=True, allow_infinity=True).map(str)
           | st.dates().map(lambda d: d.isoformat()))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=10)
money_like = (st.decimals(allow_nan=True, allow_infinity=True) | st.floats() | st.integers()
              | st.sampled_from(ABSURD_NUMBERS) | st.text(max_size=12))

SUMMARY_KEYS = ("year", "checkDate", "beginDate", "endDate", "checkNumber", "voucherNumber", "transactionNumber",
                "process", "grossPay", "netPay", "netCheck", "directDepositAmount", "hours", "regularHours",
                "regularDollars", "overtimeHours", "overtimeDollars", "autoPay", "workersCompCode")
DETAIL_KEYS = ("year", "checkDate", "transactionNumber", "transactionType", "det", "detCode", "detType", "amount",
               "hours", "rate", "eligibleCompensation")
EMPLOYEE_KEYS = ("employeeId", "firstName", "lastName", "status", "departmentPosition", "primaryPayRate",
                 "workAddress", "currency")
field_values = money_like | json_values
summaries = st.dictionaries(st.sampled_from(SUMMARY_KEYS), field_values, max_size=len(SUMMARY_KEYS))
details = st.dictionaries(st.sampled_from(DETAIL_KEYS), field_values, max_size=len(DETAIL_KEYS))
employees = st.dictionaries(st.sampled_from(EMPLOYEE_KEYS), field_values | st.dictionaries(
    st.sampled_from(("employeeStatus", "hireDate", "costCenter1", "emailAddress", "payGrade")), field_values),
    max_size=len(EMPLOYEE_KEYS))


def assert_storable(model):
    """Every Decimal is finite and bounded; every text encodes as UTF-8 (PostgreSQL refuses the rest)."""
    stack = [model]
    while stack:
        value = stack.pop()
        if isinstance(value, pydantic.BaseModel):
            stack.extend(getattr(value, name) for name in type(value).model_fields)
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, Decimal):
            assert value.is_finite() and (not value or value.adjusted() < MAX_AMOUNT.adjusted())
        elif isinstance(value, str):
            value.encode("utf-8")


def parsed_or_refused(model, data):
    try:
        parsed = model.model_validate(data)
    except pydantic.ValidationError:
        return None
    assert_storable(parsed)
    return parsed


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@given(data=json_values)
def test_any_json_is_parsed_or_a_validation_error(model, data):
    parsed_or_refused(model, data)


@given(summaries)
@example({"grossPay": "1E+400"})
@example({"netPay": "NaN"})
def test_any_summary_is_parsed_or_refused(data):
    parsed_or_refused(PayStatementSummary, data)


@given(details)
@example({"amount": "Infinity"})
@example({"amount": "1E-400"})
@example({"detCode": "\ud800"})
@example({"amount": "\ud800"})           # a message quoting it must escape it, or pydantic cannot raise
def test_any_detail_line_is_parsed_or_refused(data):
    parsed_or_refused(PayStatementDetail, data)


@given(employees)
@example({"employeeId": "1", "firstName": "A\udfffB"})
@example({"employeeId": ""})               # parsed as None, then to_record() failed outside the parse
def test_any_employee_is_parsed_or_refused(data):
    parsed = parsed_or_refused(Employee, data)
    if parsed is not None:
        record = parsed.to_record("C1001")
        assert_storable(record)


@given(money_like)
@example("1E+400")
@example(Decimal("NaN"))
@example(float("inf"))
def test_money_is_a_bounded_finite_decimal_or_a_value_error(value):
    try:
        amount = parse_money(value)
    except ValueError as exc:
        assert "amount" in str(exc)
        return
    if amount is not None:
        assert isinstance(amount, Decimal) and amount.is_finite()
        assert not amount or amount.adjusted() < MAX_AMOUNT.adjusted()


@pytest.mark.parametrize("number", ["1E+400", "-1E+400", "NaN", "Infinity", "-Infinity", "1E-400",
                                    "1e999999999", "1000000000000"])
def test_absurd_amounts_from_the_wire_are_refused(number):
    """What the client decodes (JSON floats as Decimal, so 1E+400 stays 1E+400; NaN as Python reads it)."""
    body = '[{"year": 2026, "checkDate": "2026-01-15", "transactionNumber": 1, "det": "E", "detCode": "REG", ' \
           '"amount": %s}]' % number
    session = FakeSession(lambda params, n: (body.encode(), {}))
    with pytest.raises(BadResponse, match="does not have the documented shape"):
        client_for(session).get_pay_statement_details("1001", 2026, "2026-01-15")


@given(st.lists(details, max_size=4) | json_values)
def test_any_pay_statement_answer_is_rows_or_a_paylocity_error(rows):
    body = json.dumps(rows, default=str).encode()
    session = FakeSession(lambda params, n: (body, {}), call_limit=1)
    try:
        result = client_for(session).get_pay_statement_details("1001", 2026, "2026-01-15")
    except PaylocityError:
        return
    for line in result:
        assert isinstance(line, PayStatementDetail)
        assert_storable(line)


@given(json_values)
def test_any_employee_page_is_employees_or_a_paylocity_error(page):
    body = json.dumps(page).encode()
    session = FakeSession(lambda params, n: (body, {}), call_limit=1)
    try:
        for employee in client_for(session).iter_nextgen_employees():
            assert_storable(employee.to_record())
    except PaylocityError:
        pass
    except AssertionError as exc:
        assert "kept calling" in str(exc)    # a body that always names a next token is fine here: one call only
