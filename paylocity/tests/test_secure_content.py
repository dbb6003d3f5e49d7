"""secureContent: what the client sends must decrypt, with the private key, to the original JSON."""
import base64
import json

import pytest
from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from paylocity.errors import ConfigurationError
from paylocity.secure_content import encrypt_payload, load_public_key


@pytest.fixture(scope="module")
def private_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(private_key, fmt):
    return private_key.public_key().public_bytes(serialization.Encoding.PEM, fmt).decode("ascii")


def _xml(private_key):
    numbers = private_key.public_key().public_numbers()

    def b64(number):
        return base64.b64encode(number.to_bytes((number.bit_length() + 7) // 8, "big")).decode("ascii")

    return "<RSAKeyValue><Modulus>%s</Modulus><Exponent>%s</Exponent></RSAKeyValue>" % (b64(numbers.n), b64(numbers.e))


def _decrypt(envelope, private_key):
    """What Paylocity does on receipt (the reverse of the C# sample)."""
    assert set(envelope) == {"secureContent"}
    secure = envelope["secureContent"]
    assert set(secure) == {"key", "iv", "content"}
    aes_key = private_key.decrypt(base64.b64decode(secure["key"]), rsa_padding.PKCS1v15())
    iv = base64.b64decode(secure["iv"])
    assert len(aes_key) == 32 and len(iv) == 16
    decryptor = Cipher(algorithms.AES(aes_key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(base64.b64decode(secure["content"])) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return json.loads((unpadder.update(padded) + unpadder.finalize()).decode("utf-8"))


PAYLOAD = {
    "workAddress": {"emailAddress": "jos\u00e9.n\u00fa\u00f1ez@example.com", "phone": "555-0100"},
    "customTextFields": [{"label": "Badge", "value": "\u2713 42"}],
    "isTrue": True,
    "amount": 12.5,
    "nothing": None,
}


@pytest.mark.parametrize("form", ["pkcs1_pem", "spki_pem", "xml", "key_object"])
def test_every_key_form_round_trips_to_the_original_json(private_key, form):
    key_text = {
        "pkcs1_pem": lambda: _pem(private_key, serialization.PublicFormat.PKCS1),
        "spki_pem": lambda: _pem(private_key, serialization.PublicFormat.SubjectPublicKeyInfo),
        "xml": lambda: _xml(private_key),
        "key_object": lambda: private_key.public_key(),
    }[form]()
    assert _decrypt(encrypt_payload(PAYLOAD, key_text), private_key) == PAYLOAD


def test_all_forms_load_the_same_key(private_key):
    expected = private_key.public_key().public_numbers()
    texts = [
        _pem(private_key, serialization.PublicFormat.PKCS1),
        _pem(private_key, serialization.PublicFormat.SubjectPublicKeyInfo),
        _xml(private_key),
    ]
    for text in texts:
        assert load_public_key(text).public_numbers() == expected
        assert load_public_key(text.encode("ascii")).public_numbers() == expected


def test_pasted_keys_with_mangled_whitespace_still_load(private_key):
    expected = private_key.public_key().public_numbers()
    pem = _pem(private_key, serialization.PublicFormat.SubjectPublicKeyInfo)
    one_line = pem.replace("\n", "")
    escaped = pem.replace("\n", "\\n")
    crlf = "\ufeff  " + pem.replace("\n", "\r\n") + "\r\n"
    body_only = "".join(pem.strip().splitlines()[1:-1])
    pretty_xml = _xml(private_key).replace("><", ">\n  <")
    for text in (one_line, escaped, crlf, body_only, pretty_xml):
        assert load_public_key(text).public_numbers() == expected


def test_each_call_draws_a_fresh_key_and_iv(private_key):
    public_key = private_key.public_key()
    envelopes = [encrypt_payload({"a": 1}, public_key)["secureContent"] for _ in range(5)]
    ivs = {env["iv"] for env in envelopes}
    contents = {env["content"] for env in envelopes}
    aes_keys = {private_key.decrypt(base64.b64decode(env["key"]), rsa_padding.PKCS1v15()) for env in envelopes}
    assert len(ivs) == len(contents) == len(aes_keys) == 5
    assert all(_decrypt({"secureContent": env}, private_key) == {"a": 1} for env in envelopes)


def test_empty_body_and_block_sized_body_pad_correctly(private_key):
    # '{}' and a body of exactly 16 bytes both need PKCS7 padding handled right.
    exactly_one_block = {"k": "01234567"}
    assert len(json.dumps(exactly_one_block, separators=(",", ":"))) == 16
    for payload in ({}, exactly_one_block):
        assert _decrypt(encrypt_payload(payload, private_key.public_key()), private_key) == payload


def test_the_envelope_is_plain_json_text(private_key):
    envelope = encrypt_payload(PAYLOAD, private_key.public_key())
    assert json.loads(json.dumps(envelope)) == envelope
    # The wrapped AES key is one RSA block.
    assert len(base64.b64decode(envelope["secureContent"]["key"])) == 256


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "no key text"),
        ("   \n", "no key text"),
        ("not a key at all", "expected a PEM block"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "could not be decoded"),
        ("-----BEGIN PUBLIC KEY-----\nMIIB", "incomplete"),
        ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "expected a 'PUBLIC KEY'"),
        ("<RSAKeyValue><Modulus>AQAB</Modulus>", "not well formed"),
        ("<KeyInfo><Modulus>AQAB</Modulus></KeyInfo>", "expected an <RSAKeyValue>"),
        ("<RSAKeyValue><Exponent>AQAB</Exponent></RSAKeyValue>", "no <Modulus>"),
        ("<RSAKeyValue><Modulus>!!notbase64</Modulus><Exponent>AQAB</Exponent></RSAKeyValue>", "not base64"),
        (b"\xff\xfe", "not UTF-8"),
        (12345, "expected PEM or XML text"),
    ],
)
def test_bad_key_text_is_a_configuration_error(text, reason):
    with pytest.raises(ConfigurationError) as caught:
        load_public_key(text)
    assert reason in str(caught.value)
    assert str(caught.value).startswith("Paylocity RSA public key is not usable")


def test_private_keys_are_refused_without_echoing_them(private_key):
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode("ascii")
    with pytest.raises(ConfigurationError) as caught:
        load_public_key(pem)
    assert "private key" in str(caught.value)
    assert pem.splitlines()[1] not in str(caught.value)

    numbers = private_key.private_numbers()
    xml = _xml(private_key).replace("</RSAKeyValue>", "<D>%s</D></RSAKeyValue>" % base64.b64encode(
        numbers.d.to_bytes(256, "big")).decode("ascii"))
    with pytest.raises(ConfigurationError, match="private key"):
        load_public_key(xml)


def test_non_rsa_and_toy_keys_are_refused():
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_pem = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(ConfigurationError, match="not an RSA key"):
        load_public_key(ec_pem)
    toy = "<RSAKeyValue><Modulus>%s</Modulus><Exponent>AQAB</Exponent></RSAKeyValue>" % base64.b64encode(
        (2 ** 511 + 1).to_bytes(64, "big")).decode("ascii")
    with pytest.raises(ConfigurationError, match="512 bits"):
        load_public_key(toy)


def test_encrypting_with_a_bad_key_raises_before_anything_is_sent():
    with pytest.raises(ConfigurationError):
        encrypt_payload({"a": 1}, "garbage")
