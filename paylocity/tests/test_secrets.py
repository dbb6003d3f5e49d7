"""Secret encryption at rest: round trips, key rotation, and failures that never echo a value."""
import base64

import pytest

from paylocity.errors import ConfigurationError
from paylocity.secrets import SecretBox, generate_key, keys_from_text

SECRET = "s3cr\u00e9t-\u2603-\U0001f511 with spaces"


def test_generated_keys_are_distinct_text_keys():
    keys = {generate_key() for _ in range(5)}
    assert len(keys) == 5
    for key in keys:
        assert isinstance(key, str) and len(base64.urlsafe_b64decode(key)) == 32


@pytest.mark.parametrize("plaintext", ["", "x", SECRET, "a" * 10000, "line1\nline2\x00"])
def test_round_trip_keeps_the_exact_text(plaintext):
    box = SecretBox([generate_key()])
    token = box.encrypt(plaintext)
    assert isinstance(token, str) and token.isascii()
    assert len(plaintext) < 8 or plaintext not in token
    assert box.decrypt(token) == plaintext


def test_same_plaintext_encrypts_differently_each_time():
    box = SecretBox([generate_key()])
    assert box.encrypt("same") != box.encrypt("same")


def test_rotation_keeps_old_secrets_readable_and_moves_them_to_the_new_key():
    old_key, new_key = generate_key(), generate_key()
    old_token = SecretBox([old_key]).encrypt(SECRET)

    rotated_box = SecretBox([new_key, old_key])
    assert rotated_box.decrypt(old_token) == SECRET          # old secrets stay readable
    assert not rotated_box.is_current(old_token)

    new_token = rotated_box.rotate(old_token)
    assert new_token != old_token
    assert rotated_box.is_current(new_token)
    assert SecretBox([new_key]).decrypt(new_token) == SECRET  # the old key can now be retired
    with pytest.raises(ConfigurationError):
        SecretBox([old_key]).decrypt(new_token)

    # New encryptions use the first key only.
    assert SecretBox([new_key]).decrypt(rotated_box.encrypt("fresh")) == "fresh"


def test_wrong_key_is_a_configuration_error_without_the_value():
    token = SecretBox([generate_key()]).encrypt(SECRET)
    with pytest.raises(ConfigurationError) as caught:
        SecretBox([generate_key()]).decrypt(token)
    message = str(caught.value)
    assert message == "stored secret cannot be decrypted with the configured key(s)"
    assert token not in message and SECRET not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-4] + ("AAAA" if not t.endswith("AAAA") else "BBBB"),  # signature bytes
        lambda t: t[:20] + ("x" if t[20] != "x" else "y") + t[21:],        # header/ciphertext
        lambda t: t[:-10],                                                  # truncated
        lambda t: "not a token",
        lambda t: "g\u00e9n\u00e9r\u00e9",                                  # non-ASCII
    ],
)
def test_tampered_tokens_are_refused(tamper):
    box = SecretBox([generate_key()])
    token = box.encrypt(SECRET)
    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        box.decrypt(tamper(token))
    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        box.rotate(tamper(token))


def test_empty_or_missing_token_says_there_is_nothing_stored():
    box = SecretBox([generate_key()])
    for token in ("", "  ", b""):
        with pytest.raises(ConfigurationError, match="no stored secret"):
            box.decrypt(token)
    with pytest.raises(ConfigurationError):
        box.decrypt(None)


def test_encrypt_refuses_non_text():
    box = SecretBox([generate_key()])
    with pytest.raises(TypeError):
        box.encrypt(None)
    with pytest.raises(TypeError):
        box.encrypt(b"bytes")


def test_keys_from_text_parses_lists_in_order_and_drops_duplicates():
    k1, k2, k3 = generate_key(), generate_key(), generate_key()
    assert keys_from_text(k1) == [k1]
    assert keys_from_text(" %s,%s\n\t%s ; %s, " % (k1, k2, k3, k1)) == [k1, k2, k3]
    box = SecretBox(keys_from_text("%s %s" % (k2, k1)))
    assert SecretBox([k2]).decrypt(box.encrypt("x")) == "x"       # the first key encrypts
    assert box.decrypt(SecretBox([k1]).encrypt("y")) == "y"       # the second still decrypts
    # A single string is accepted by SecretBox directly, too.
    assert SecretBox("%s,%s" % (k1, k2)).decrypt(SecretBox([k2]).encrypt("z")) == "z"


@pytest.mark.parametrize("text", [None, "", "  ,  ;\n"])
def test_no_key_configured(text):
    with pytest.raises(ConfigurationError, match="No secret encryption key"):
        keys_from_text(text)


def test_invalid_key_is_named_by_position_never_by_value():
    good = generate_key()
    bad = "tooshort-but-secret-looking"
    with pytest.raises(ConfigurationError) as caught:
        keys_from_text("%s,%s" % (good, bad))
    assert "#2" in str(caught.value)
    assert bad not in str(caught.value) and good not in str(caught.value)
    with pytest.raises(ConfigurationError, match="#1"):
        SecretBox([bad])
    with pytest.raises(ConfigurationError, match="No secret encryption key"):
        SecretBox([])


def test_repr_does_not_show_keys():
    key = generate_key()
    assert key not in repr(SecretBox([key]))
