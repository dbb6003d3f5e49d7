"""Directory rules: Paylocity records in Odoo's terms, hashes, diffs, ownership, cursors, code changes."""
import datetime

import pytest

from paylocity import directory
from paylocity.models import Employee, NextGenEmployee

WEBLINK_BODY = {
    "employeeId": "1042",
    "firstName": "Avery",
    "lastName": "Ashdown",
    "preferredName": "Ave",
    "birthDate": "1988-04-02T00:00:00Z",
    "ssn": "123-45-6789",
    "status": {"employeeStatus": "A", "statusType": "A", "hireDate": "2024-03-04T00:00:00Z",
               "effectiveDate": "2024-03-04T00:00:00Z", "changeReason": "New Hire"},
    "departmentPosition": {"costCenter1": "1", "costCenter2": "10", "costCenter3": "MW", "positionCode": "ENG1",
                           "jobTitle": "Engineering  Specialist I", "employeeType": "RFT",
                           "supervisorEmployeeId": "1002"},
    "primaryPayRate": {"payType": "Salary", "annualSalary": 90000, "payGrade": "G2"},
    "homeAddress": {"address1": "1 Maple St", "emailAddress": "avery@example.net"},
    "workAddress": {"emailAddress": "avery.ashdown@c1001.example.com", "phone": "(217) 555-0101",
                    "mobilePhone": "(312) 555-0102", "location": "Headquarters"},
}


def weblink_entry(**status):
    body = dict(WEBLINK_BODY, status=dict(WEBLINK_BODY["status"], **status))
    return directory.entry_from_record(Employee.model_validate(body).to_record("C1001"))


def test_weblink_record_becomes_an_entry_without_personal_data():
    entry = weblink_entry()
    assert entry.employee_id == "1042"
    assert entry.name == "Ave Ashdown"
    assert entry.work_email == "avery.ashdown@c1001.example.com"
    assert entry.work_phone == "(217) 555-0101"
    assert entry.mobile_phone == "(312) 555-0102"
    assert entry.job_title == "Engineering Specialist I"      # whitespace collapsed
    assert entry.employee_type_code == "RFT" and entry.employee_type == "employee"
    assert entry.cost_centers == ("1", "10", "MW")
    assert entry.cost_center(2) == "10" and entry.cost_center("3") == "MW" and entry.cost_center(4) is None
    assert entry.position_code == "ENG1" and entry.work_location == "Headquarters"
    assert entry.supervisor_id == "1002"
    assert (entry.status_code, entry.status_type, entry.hire_date) == ("A", "A", "2024-03-04")
    assert entry.termination_date is None
    flat = repr(entry.as_dict())
    for secret in ("123-45-6789", "1988-04-02", "90000", "Maple", "avery@example.net", "G2"):
        assert secret not in flat


def test_terminated_entry_carries_the_effective_date_and_reason():
    entry = weblink_entry(employeeStatus="XT", statusType=None, effectiveDate="2026-02-27T00:00:00Z",
                          changeReason="Transfer to C2002")
    assert (entry.status_code, entry.status_type, entry.terminated) == ("XT", "T", True)
    assert entry.termination_date == "2026-02-27"
    assert directory.is_transfer(entry.status_reason)
    assert directory.mentions_company(entry.status_reason, "C2002")
    assert not directory.mentions_company(entry.status_reason, "C200")


def test_unknown_tenant_status_leaves_the_status_alone():
    entry = weblink_entry(employeeStatus="Z9", statusType=None)
    assert entry.status_type is None
    assert directory.sync_action(True, True, entry.status_type) == "update"
    assert directory.sync_action(True, False, entry.status_type) == "update"


def test_nextgen_record_becomes_the_same_kind_of_entry():
    employee = NextGenEmployee.model_validate({
        "id": "77", "companyId": "C1001", "relationshipId": "rel-1", "statusType": "L",
        "currentStatus": {"status": "L", "statusType": "L", "effectiveDate": "2026-01-05T00:00:00Z",
                          "changeReason": "Leave of Absence"},
        "info": {"firstName": "Blake", "lastName": "Birchwood", "hireDate": "2020-01-02T00:00:00Z",
                 "supervisor": "5", "supervisorCo": "C1001", "jobTitle": "Sales Manager",
                 "dateOfBirth": "1970-01-01T00:00:00Z",
                 "workLocation": {"code": "WH1", "name": "Riverton Warehouse", "email": "b@c1001.example.com",
                                  "phone": "(217) 555-0111"}},
        "position": {"costCenter1": "2", "costCenter2": "20", "employeeType": "Intern", "positionCode": "SLSMGR"},
    })
    entry = directory.entry_from_record(employee.to_record())
    assert entry.relationship_id == "rel-1"
    assert (entry.status_type, entry.work_location, entry.employee_type) == ("L", "Riverton Warehouse", "trainee")
    assert entry.cost_centers == ("2", "20", None)
    assert "1970" not in repr(entry.as_dict())


@pytest.mark.parametrize("code, expected", [
    (None, "employee"), ("RFT", "employee"), ("Regular Full Time", "employee"), ("TMP", "employee"),
    ("Intern", "trainee"), ("Student Worker", "student"), ("1099 Contractor", "contractor"),
    ("Freelancer", "freelance"),
])
def test_employee_types(code, expected):
    assert directory.employee_type_of(code) == expected
    assert expected in directory.ODOO_EMPLOYEE_TYPES


@pytest.mark.parametrize("reason, xmlid", [
    ("Resigned - Better Opportunity", "hr.departure_resigned"),
    ("Voluntary", "hr.departure_resigned"),
    ("Involuntary - Performance", "hr.departure_fired"),
    ("Dismissed - Attendance", "hr.departure_fired"),
    ("Retired", "hr.departure_retired"),
    ("End of Assignment", None),
    ("Terminated", None),
    (None, None),
])
def test_departure_reasons(reason, xmlid):
    assert directory.departure_reason_xmlid(reason) == xmlid


def test_hash_changes_with_any_synced_value_and_with_the_salt_only():
    base = weblink_entry()
    same = weblink_entry()
    assert directory.entry_hash(base, "salt") == directory.entry_hash(same, "salt")
    assert directory.entry_hash(base, "salt") != directory.entry_hash(base, "other salt")
    moved = weblink_entry(effectiveDate="2024-03-05T00:00:00Z")  # not synced while active: same hash
    assert directory.entry_hash(moved, "s") == directory.entry_hash(base, "s")
    left = weblink_entry(employeeStatus="T", statusType="T")
    assert directory.entry_hash(left, "s") != directory.entry_hash(base, "s")


def test_changed_values_normalizes_empty_and_whitespace():
    current = {"name": "Ave  Ashdown", "work_phone": False, "job_title": "Old", "department_id": 3}
    desired = {"name": "Ave Ashdown", "work_phone": None, "job_title": "New", "department_id": 3,
               "work_email": "a@b.c"}
    assert directory.changed_values(current, desired) == {"job_title": "New", "work_email": "a@b.c"}
    assert directory.changed_values(current, desired, skip=("work_email",)) == {"job_title": "New"}


@pytest.mark.parametrize("bound, active, status, action", [
    (False, True, "A", "create"), (False, True, "T", "create"),
    (True, True, "A", "update"), (True, True, "L", "update"), (True, True, "T", "terminate"),
    (True, False, "T", "update"), (True, False, "A", "rehire"), (True, False, "L", "rehire"),
])
def test_sync_actions(bound, active, status, action):
    assert directory.sync_action(bound, active, status) == action


def test_owned_fields_and_patch_body():
    assert directory.owned_fields({"work_email": True, "work_phone": False, "name": True}) == ("work_email",)
    assert directory.owned_fields(dict.fromkeys(directory.DEFAULT_OWNED_FIELDS, True)) == \
        directory.DEFAULT_OWNED_FIELDS
    body = directory.patch_body({"work_email": "x@y.example.com", "mobile_phone": "(312) 555-0199",
                                 "work_phone": False, "job_title": " Lead  Engineer "})
    assert body == {"workAddress": {"emailAddress": "x@y.example.com", "mobilePhone": "(312) 555-0199"},
                    "departmentPosition": {"jobTitle": "Lead Engineer"}}
    with pytest.raises(ValueError):
        directory.patch_body({"name": "x"})


def test_cursor_resumes_after_the_last_done_id_in_a_stable_order():
    ids = ["1001", "999", "A7", "1002", "1001"]
    assert directory.after_cursor(ids, None) == ["999", "1001", "1002", "A7"]
    assert directory.after_cursor(ids, "1001") == ["1002", "A7"]
    assert directory.after_cursor(ids, "A7") == []


def test_code_changes():
    known = {"10": ("Engineering", True), "20": ("Sales", True), "9": ("Old", True), "30": ("Finance", False)}
    fetched = [("10", "Engineering", True), ("20", "Sales & Marketing", True), ("30", "Finance", True),
               ("40", "People", True), ("40", "dup", True), ("", "blank", True), ("9", "Old", False)]
    changes = directory.code_changes(known, fetched)
    assert changes.created == (("40", "People", True),)
    assert changes.renamed == (("20", "Sales", "Sales & Marketing"),)
    assert changes.deactivated == ("9",)
    assert changes.reactivated == ("30",)
    gone = directory.code_changes({"10": ("Engineering", True)}, [])
    assert gone.deactivated == ("10",)
    closed = directory.code_changes({}, [("LEGACY1", "Legacy Clerk", False)])
    assert closed.created == (("LEGACY1", "Legacy Clerk", False),) and closed.deactivated == ()


def test_entry_dates_are_iso_text():
    entry = weblink_entry(reHireDate="2025-01-06T00:00:00Z")
    assert entry.rehire_date == datetime.date(2025, 1, 6).isoformat()


def test_like_literal_escapes_wildcards():
    assert directory.like_literal("a_b%c\\d@x.com") == "a\\_b\\%c\\\\d@x.com"
    assert directory.like_literal("plain@example.com") == "plain@example.com"
