"""WebLink PATCH: plain and secureContent bodies, validation errors, fields applied to the employee."""
import base64

from sandbox.tests.helpers import encrypt


def _employee(api, eid):
    return api.get(f"/v2/companies/C1001/employees/{eid}").json()


def test_plain_patch_is_recorded_and_applied(fresh, weblink):
    api = weblink(fresh)
    body = {"workAddress": {"emailAddress": "new.address@c1001.example.com", "phone": "(312) 555-0111",
                            "mobilePhone": "(312) 555-0122"}}
    resp = api.patch("/v2/companies/C1001/employees/1004", json=body)
    assert resp.status_code == 200 and resp.content == b""
    assert fresh.patches == [("1004", body, False)]
    assert fresh.patches[0].company_id == "C1001" and fresh.patches[0].status == 200
    work = _employee(api, "1004")["workAddress"]
    assert (work["emailAddress"], work["phone"], work["mobilePhone"]) == \
           ("new.address@c1001.example.com", "(312) 555-0111", "(312) 555-0122")


def test_secure_content_patch_is_decrypted_to_the_original_json(fresh, weblink):
    api = weblink(fresh)
    body = {"workAddress": {"emailAddress": "ünïcode.ok@c1001.example.com"}, "preferredName": "Zed"}
    resp = api.patch("/v2/companies/C1001/employees/1005", json=encrypt(body, fresh.public_key_pem))
    assert resp.status_code == 200
    [(employee_id, decrypted, was_encrypted)] = fresh.patches
    assert (employee_id, decrypted, was_encrypted) == ("1005", body, True)
    got = _employee(api, "1005")
    assert got["workAddress"]["emailAddress"] == "ünïcode.ok@c1001.example.com" and got["preferredName"] == "Zed"
    lower = {"securecontent": encrypt({"preferredName": "Zee"}, fresh.public_key_pem)["secureContent"]}
    assert api.patch("/v2/companies/C1001/employees/1005", json=lower).status_code == 200
    assert fresh.patches[-1] == ("1005", {"preferredName": "Zee"}, True)


def test_public_key_xml_carries_the_same_key(fresh):
    from cryptography.hazmat.backends import default_backend
    from cryptography.hazmat.primitives import serialization
    numbers = serialization.load_pem_public_key(fresh.public_key_pem.encode(), default_backend()).public_numbers()
    xml = fresh.public_key_xml
    modulus = xml.split("<Modulus>")[1].split("</Modulus>")[0]
    exponent = xml.split("<Exponent>")[1].split("</Exponent>")[0]
    assert int.from_bytes(base64.b64decode(modulus), "big") == numbers.n
    assert int.from_bytes(base64.b64decode(exponent), "big") == numbers.e == 65537
    assert numbers.n.bit_length() == 2048


def test_undecryptable_secure_content_is_400(fresh, weblink):
    api = weblink(fresh)
    envelope = encrypt({"firstName": "X"}, fresh.public_key_pem)
    envelope["secureContent"]["key"] = base64.b64encode(b"\x00" * 256).decode()
    resp = api.patch("/v2/companies/C1001/employees/1005", json=envelope)
    assert resp.status_code == 400 and resp.json()[0]["field"] == "secureContent"
    not_b64 = api.patch("/v2/companies/C1001/employees/1005", json={"secureContent": {"key": "%%", "iv": "a",
                                                                                       "content": "b"}})
    assert not_b64.status_code == 400
    assert fresh.patches == []
    assert _employee(api, "1005")["firstName"] != "X"


def test_unknown_and_invalid_fields_are_400_and_change_nothing(fresh, weblink):
    api = weblink(fresh)
    before = _employee(api, "1006")
    unknown = api.patch("/v2/companies/C1001/employees/1006", json={"workAddress": {"fax": "1"}, "nickname": "x"})
    assert unknown.status_code == 400
    assert {(e["field"], e["path"]) for e in unknown.json()} == {("fax", "workAddress.fax"),
                                                                 ("nickname", "nickname")}
    bad_email = api.patch("/v2/companies/C1001/employees/1006", json={"workAddress": {"emailAddress": "nope"}})
    assert bad_email.status_code == 400 and bad_email.json()[0]["path"] == "workAddress.emailAddress"
    bad_center = api.patch("/v2/companies/C1001/employees/1006",
                           json={"departmentPosition": {"costCenter2": "99"}})
    assert bad_center.status_code == 400
    options = bad_center.json()[0]["options"]
    assert {"code": "10", "description": "Engineering"} in options
    not_json = api.patch("/v2/companies/C1001/employees/1006", data=b"{not json",
                         headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    wrong_type = api.patch("/v2/companies/C1001/employees/1006", json=["a"])
    assert wrong_type.status_code == 400
    assert _employee(api, "1006") == before
    assert [p.status for p in fresh.patches] == [400, 400, 400, 400]


def test_hire_date_changes_are_ignored(fresh, weblink):
    api = weblink(fresh)
    before = _employee(api, "1007")["status"]["hireDate"]
    resp = api.patch("/v2/companies/C1001/employees/1007", json={"status": {"hireDate": "2001-01-01",
                                                                            "reHireDate": "2002-02-02"}})
    assert resp.status_code == 200
    after = _employee(api, "1007")["status"]
    assert after["hireDate"] == before and "reHireDate" not in after


def test_department_and_supervisor_change_is_applied(fresh, weblink):
    api = weblink(fresh)
    resp = api.patch("/v2/companies/C1001/employees/1008", json={
        "departmentPosition": {"costCenter2": "60", "jobTitle": "Support Hero", "supervisorEmployeeId": "1001"}})
    assert resp.status_code == 200
    position = _employee(api, "1008")["departmentPosition"]
    assert (position["costCenter2"], position["jobTitle"], position["supervisorEmployeeId"]) == \
           ("60", "Support Hero", "1001")


def test_patch_unknown_employee_is_404(fresh, weblink):
    resp = weblink(fresh).patch("/v2/companies/C1001/employees/777777", json={"firstName": "A"})
    assert resp.status_code == 404
