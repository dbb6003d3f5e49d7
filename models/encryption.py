# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Where the connector's encryption key comes from, and the SecretBox built from it.

The key is looked for, in order, in the Odoo configuration file (option ``paylocity_encryption_key``), in the
environment variable ``PAYLOCITY_ENCRYPTION_KEY``, and finally in a key file that the connector creates once
under Odoo's data directory. Never in the database: a stolen dump must not be enough to read a secret. The
key file sits beside the filestore, not in it, so Odoo's database backups (dump + filestore) do not carry it.

Each source holds a comma-separated list of keys: the first encrypts, all of them decrypt (key rotation).
"""
import logging
import os
import stat
import threading

from odoo.tools import config

from ..paylocity.errors import ConfigurationError
from ..paylocity.secrets import SecretBox, generate_key, keys_from_text

_logger = logging.getLogger(__name__)

CONFIG_OPTION = 'paylocity_encryption_key'
ENV_VAR = 'PAYLOCITY_ENCRYPTION_KEY'
KEY_DIR_NAME = 'paylocity_connector'
KEY_FILE_NAME = 'encryption.key'

SOURCE_CONFIG = 'config'
SOURCE_ENVIRONMENT = 'environment'
SOURCE_FILE = 'file'

_lock = threading.Lock()
_boxes = {}        # key text -> SecretBox (parsing keys is cheap, but secrets are read often)
_file_cache = {}   # path -> ((mtime_ns, size), text): other workers may add a key to the file


def key_file_path():
    """The key file used when neither the configuration nor the environment provides a key."""
    return os.path.join(config['data_dir'], KEY_DIR_NAME, KEY_FILE_NAME)


def key_source():
    """Return ``(source, text)``: which source provides the keys, and their text."""
    text = (config.get(CONFIG_OPTION) or '').strip()
    if text:
        return SOURCE_CONFIG, text
    text = (os.environ.get(ENV_VAR) or '').strip()
    if text:
        return SOURCE_ENVIRONMENT, text
    return SOURCE_FILE, _read_or_create_key_file(key_file_path())


def describe_key_source():
    """A line for administrators saying where the key lives (never the key itself)."""
    source, _text = key_source()
    if source == SOURCE_CONFIG:
        return "Odoo configuration file (option %s)" % CONFIG_OPTION
    if source == SOURCE_ENVIRONMENT:
        return "Environment variable %s" % ENV_VAR
    return "Key file %s" % key_file_path()


def secret_box():
    """The SecretBox for the current keys; raises ConfigurationError when they are unusable."""
    _source, text = key_source()
    box = _boxes.get(text)
    if box is None:
        box = SecretBox(keys_from_text(text))
        with _lock:
            _boxes[text] = box
    return box


def add_key_to_file():
    """Put a new primary key at the head of the key file; the older keys stay so old secrets still decrypt.

    Only for the key-file source: keys given by configuration or environment are changed where they are set.
    """
    source, text = key_source()
    if source != SOURCE_FILE:
        raise ConfigurationError(
            "The encryption key comes from the %s; add the new key there (first in the list)." % (
                "configuration file" if source == SOURCE_CONFIG else "environment"))
    path = key_file_path()
    _write_file_atomically(path, '%s,%s\n' % (generate_key(), text), replace=True)
    return _read_key_file(path)


def _read_or_create_key_file(path):
    try:
        return _read_key_file(path)
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    if _write_file_atomically(path, generate_key() + '\n', replace=False):
        _logger.info("Created the Paylocity encryption key file %s", path)
    return _read_key_file(path)


def _read_key_file(path):
    st = os.stat(path)
    signature = (st.st_mtime_ns, st.st_size)
    cached = _file_cache.get(path)
    if cached and cached[0] == signature:
        return cached[1]
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        _logger.warning("The Paylocity encryption key file %s is readable by other users; chmod 600 it", path)
    with open(path, encoding='ascii') as handle:
        text = handle.read().strip()
    if not text:
        raise ConfigurationError("The Paylocity encryption key file %s is empty." % path)
    with _lock:
        _file_cache[path] = (signature, text)
    return text


def _write_file_atomically(path, content, replace):
    """Write a 0600 file in one step, so concurrent workers never see half a key.

    With ``replace=False`` the first writer wins and the others keep its key; returns whether we wrote it.
    """
    tmp = '%s.%d.%d.tmp' % (path, os.getpid(), threading.get_ident())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, 'w', encoding='ascii') as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, path)
            return True
        try:
            os.link(tmp, path)
            return True
        except FileExistsError:
            return False
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
