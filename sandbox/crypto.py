"""The sandbox's RSA key pair ("Paylocity's key") and ``secureContent`` decryption.

Wire format (API reference §1.5): {"secureContent": {"key": b64(RSA-PKCS#1v1.5(aes_key)), "iv": b64(iv),
"content": b64(AES-256-CBC/PKCS7(utf-8 JSON))}}. Works with cryptography 3.4.8 and later.
"""
from __future__ import annotations

import base64
import binascii
import json
import threading

from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_shared_key = None
_shared_lock = threading.Lock()


class SecureContentError(ValueError):
    """The secureContent envelope could not be decrypted; the message is safe to return to the caller."""


def shared_private_key():
    """One generated 2048-bit key per process (key generation is the slowest part of starting a sandbox)."""
    global _shared_key
    with _shared_lock:
        if _shared_key is None:
            _shared_key = rsa.generate_private_key(public_exponent=65537, key_size=2048, backend=default_backend())
        return _shared_key


def load_private_key(pem):
    if isinstance(pem, str):
        pem = pem.encode("ascii")
    return serialization.load_pem_private_key(pem, password=None, backend=default_backend())


def private_key_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode("ascii")


def public_key_pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def public_key_xml(key) -> str:
    """.NET ``RSAKeyValue`` XML, the form Paylocity's C# sample loads with ``FromXmlString``."""
    numbers = key.public_key().public_numbers()

    def b64(value: int) -> str:
        return base64.b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).decode("ascii")

    return f"<RSAKeyValue><Modulus>{b64(numbers.n)}</Modulus><Exponent>{b64(numbers.e)}</Exponent></RSAKeyValue>"


def _b64(envelope: dict, name: str) -> bytes:
    value = envelope.get(name)
    if not isinstance(value, str) or not value:
        raise SecureContentError(f"secureContent.{name} is missing")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SecureContentError(f"secureContent.{name} is not valid base64") from None


def decrypt_secure_content(envelope, private_key):
    """Return the decrypted JSON value of a ``secureContent`` object; raise SecureContentError otherwise."""
    if not isinstance(envelope, dict):
        raise SecureContentError("secureContent must be an object with key, iv and content")
    encrypted_key, iv, content = _b64(envelope, "key"), _b64(envelope, "iv"), _b64(envelope, "content")
    try:
        aes_key = private_key.decrypt(encrypted_key, asym_padding.PKCS1v15())
    except ValueError:
        raise SecureContentError("secureContent.key could not be decrypted with Paylocity's private key") from None
    if len(aes_key) != 32:
        raise SecureContentError("secureContent.key must be a 256-bit AES key")
    if len(iv) != 16:
        raise SecureContentError("secureContent.iv must be 16 bytes")
    if not content or len(content) % 16:
        raise SecureContentError("secureContent.content is not AES-CBC ciphertext")
    decryptor = Cipher(algorithms.AES(aes_key), modes.CBC(iv), backend=default_backend()).decryptor()
    padded = decryptor.update(content) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise SecureContentError("secureContent.content has invalid PKCS7 padding") from None
    try:
        return json.loads(plain.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SecureContentError("secureContent.content is not UTF-8 JSON") from None
