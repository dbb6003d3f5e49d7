"""WebLink ``secureContent``: encrypt a request body for Paylocity (API-REFERENCE §1.5).

The body is AES-256-CBC encrypted (PKCS7 padding) under a fresh random key and IV; the AES key is
RSA-encrypted with Paylocity's public key using PKCS#1 v1.5 (Paylocity's C# sample calls
``RSACryptoServiceProvider.Encrypt(key, false)``, i.e. not OAEP). Paylocity hands out that key as PEM
or as a .NET ``<RSAKeyValue>`` XML document; both are accepted.

Uses only what cryptography 3.4.8 (Odoo 19's pin) offers; the ``backend`` arguments are optional there.
"""
import base64
import binascii
import json
import os
import re
from xml.etree import ElementTree

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .errors import ConfigurationError

AES_KEY_BYTES = 32          # AES-256
IV_BYTES = 16               # one AES block
MIN_RSA_BITS = 1024         # Paylocity issues 2048-bit keys; anything much smaller is a paste mistake
_MAX_KEY_TEXT = 64 * 1024   # a public key is a few hundred bytes; refuse to parse megabytes

_PEM_RE = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)
_PEM_PUBLIC_LABELS = ("PUBLIC KEY", "RSA PUBLIC KEY")
_XML_PRIVATE_PARTS = ("P", "Q", "D", "DP", "DQ", "InverseQ")


def _error(reason):
    return ConfigurationError("Paylocity RSA public key is not usable: %s." % reason)


def load_public_key(text):
    """Load Paylocity's RSA public key from PEM (PKCS#1 or SubjectPublicKeyInfo) or .NET XML text.

    An already loaded ``RSAPublicKey`` is returned as is. Anything else raises ``ConfigurationError``
    with a message that never repeats the key text.
    """
    if isinstance(text, rsa.RSAPublicKey):
        return text
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise _error("the text is not UTF-8") from None
    if not isinstance(text, str):
        raise _error("expected PEM or XML text, got %s" % type(text).__name__)
    text = text.strip().lstrip("\ufeff")
    if not text:
        raise _error("no key text was given")
    if len(text) > _MAX_KEY_TEXT:
        raise _error("the text is far too long for a public key")
    if text.startswith("<"):
        key = _load_xml(text)
    elif "-----BEGIN" in text:
        key = _load_pem(text)
    else:
        key = _load_bare_base64(text)
    if key.key_size < MIN_RSA_BITS:
        raise _error("the key has only %d bits (Paylocity issues 2048-bit keys)" % key.key_size)
    return key


def _load_pem(text):
    match = _PEM_RE.search(text)
    if not match:
        raise _error("the PEM block is incomplete (BEGIN/END lines do not match)")
    label = match.group(1).strip()
    if "PRIVATE" in label:
        raise _error("this is a private key; paste Paylocity's public key instead")
    if label not in _PEM_PUBLIC_LABELS:
        raise _error("expected a 'PUBLIC KEY' or 'RSA PUBLIC KEY' PEM block, got '%s'" % label)
    # Keys pasted through web forms lose or double their line breaks; rebuild a canonical PEM block.
    body = re.sub(r"\s+|\\n|\\r", "", match.group(2))
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    pem = "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, TypeError, UnsupportedAlgorithm, UnicodeEncodeError):
        raise _error("the PEM block could not be decoded") from None
    return _require_rsa(key)


def _load_bare_base64(text):
    """The base64 body of a PEM block pasted without its BEGIN/END lines (DER SubjectPublicKeyInfo or PKCS#1)."""
    try:
        der = base64.b64decode(re.sub(r"\s+", "", text), validate=True)
    except (binascii.Error, ValueError):
        raise _error("expected a PEM block or an <RSAKeyValue> XML document") from None
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise _error("expected a PEM block or an <RSAKeyValue> XML document") from None
    return _require_rsa(key)


def _load_xml(text):
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        raise _error("the XML is not well formed") from None
    if _local_name(root.tag) != "RSAKeyValue":
        raise _error("expected an <RSAKeyValue> XML document")
    parts = {_local_name(child.tag): (child.text or "").strip() for child in root}
    if any(parts.get(name) for name in _XML_PRIVATE_PARTS):
        raise _error("this XML holds a private key; paste Paylocity's public key instead")
    modulus = _xml_integer(parts.get("Modulus"), "Modulus")
    exponent = _xml_integer(parts.get("Exponent"), "Exponent")
    try:
        return rsa.RSAPublicNumbers(exponent, modulus).public_key()
    except ValueError:
        raise _error("the XML modulus/exponent do not form an RSA key") from None


def _xml_integer(value, name):
    if not value:
        raise _error("the XML has no <%s>" % name)
    try:
        raw = base64.b64decode(re.sub(r"\s+", "", value), validate=True)
    except (binascii.Error, ValueError):
        raise _error("the XML <%s> is not base64" % name) from None
    number = int.from_bytes(raw, "big")  # .NET writes big-endian unsigned integers
    if number <= 1:
        raise _error("the XML <%s> is not a usable number" % name)
    return number


def _local_name(tag):
    return tag.rsplit("}", 1)[-1]


def _require_rsa(key):
    if not isinstance(key, rsa.RSAPublicKey):
        raise _error("the key is not an RSA key")
    return key


def encrypt_payload(payload, public_key):
    """Wrap ``payload`` (a JSON-serialisable dict) in Paylocity's ``secureContent`` envelope.

    ``public_key`` is an ``RSAPublicKey`` or any text ``load_public_key`` accepts. A new AES key and
    IV are drawn for every call, so two encryptions of the same body never look alike.
    """
    key = load_public_key(public_key)
    plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    aes_key = os.urandom(AES_KEY_BYTES)
    iv = os.urandom(IV_BYTES)
    padder = padding.PKCS7(algorithms.AES.block_size).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(aes_key), modes.CBC(iv)).encryptor()
    content = encryptor.update(padded) + encryptor.finalize()
    wrapped_key = key.encrypt(aes_key, rsa_padding.PKCS1v15())
    return {
        "secureContent": {
            "key": _b64(wrapped_key),
            "iv": _b64(iv),
            "content": _b64(content),
        }
    }


def _b64(data):
    return base64.b64encode(data).decode("ascii")
