"""Encryption at rest for the secrets the Odoo layer stores (client secrets, webhook password).

Fernet (AES-128-CBC + HMAC-SHA256) under keys kept outside the database. ``SecretBox`` takes a list of
keys: the first encrypts, every one of them decrypts, so a new key can be put in front and old
secrets re-encrypted with ``rotate`` at leisure. No error message ever contains a key or a secret.
"""
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from .errors import ConfigurationError

_UNREADABLE = "stored secret cannot be decrypted with the configured key(s)"
_SEPARATORS = re.compile(r"[\s,;]+")


def generate_key():
    """A new random Fernet key, as text (44 url-safe base64 characters)."""
    return Fernet.generate_key().decode("ascii")


def keys_from_text(text):
    """Parse a comma/whitespace separated key list (e.g. from the server configuration) into key strings.

    Order is kept (the first key encrypts), duplicates are dropped, every key is validated.
    """
    if text is None:
        text = ""
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    keys = [part for part in _SEPARATORS.split(text.strip()) if part]
    if not keys:
        raise ConfigurationError("No secret encryption key is configured.")
    return _validated(keys)


def _validated(keys):
    unique = []
    for position, key in enumerate(keys, start=1):
        if isinstance(key, bytes):
            key = key.decode("ascii", "replace")
        if not isinstance(key, str):
            raise ConfigurationError("Secret encryption key #%d is not text." % position)
        key = key.strip()
        try:
            Fernet(key.encode("ascii"))
        except (ValueError, TypeError, UnicodeEncodeError):
            # The key itself is never repeated: it is a secret.
            raise ConfigurationError(
                "Secret encryption key #%d is not a valid key (expected 32 url-safe base64-encoded bytes, "
                "as made by generate_key())." % position
            ) from None
        if key not in unique:
            unique.append(key)
    return unique


class SecretBox:
    """Encrypt and decrypt short strings; ``keys[0]`` encrypts, all keys decrypt."""

    def __init__(self, keys):
        if isinstance(keys, (str, bytes)):
            keys = keys_from_text(keys)
        keys = list(keys or [])
        if not keys:
            raise ConfigurationError("No secret encryption key is configured.")
        self._keys = _validated(keys)
        fernets = [Fernet(key.encode("ascii")) for key in self._keys]
        self._primary = fernets[0]
        self._fernet = MultiFernet(fernets)

    def __repr__(self):
        return "<SecretBox with %d key(s)>" % len(self._keys)

    def encrypt(self, plaintext):
        """Encrypt ``plaintext`` (str, may be empty) with the primary key; returns an ASCII token."""
        if not isinstance(plaintext, str):
            raise TypeError("SecretBox.encrypt expects str, got %s" % type(plaintext).__name__)
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token):
        """The plaintext of ``token``; ``ConfigurationError`` if no configured key opens it."""
        data = self._token_bytes(token)
        try:
            return self._fernet.decrypt(data).decode("utf-8")
        except (InvalidToken, UnicodeDecodeError):
            raise ConfigurationError(_UNREADABLE) from None

    def rotate(self, token):
        """Re-encrypt ``token`` under the primary key (the plaintext is unchanged)."""
        data = self._token_bytes(token)
        try:
            return self._fernet.rotate(data).decode("ascii")
        except InvalidToken:
            raise ConfigurationError(_UNREADABLE) from None

    def is_current(self, token):
        """True when ``token`` is readable by the primary key alone (no rotation needed)."""
        try:
            self._primary.decrypt(self._token_bytes(token))
        except (InvalidToken, ConfigurationError):
            return False
        return True

    @staticmethod
    def _token_bytes(token):
        if isinstance(token, str):
            try:
                token = token.strip().encode("ascii")
            except UnicodeEncodeError:
                raise ConfigurationError(_UNREADABLE) from None
        if not isinstance(token, bytes):
            raise ConfigurationError(_UNREADABLE)
        if not token:
            raise ConfigurationError("There is no stored secret to decrypt.")
        return token
