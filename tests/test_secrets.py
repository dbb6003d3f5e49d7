# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import os
import stat
import tempfile
from unittest.mock import patch

from odoo.tests import tagged

from .common import PaylocityCase
from ..models import encryption
from ..paylocity.errors import ConfigurationError
from ..paylocity.secrets import SecretBox, generate_key


@tagged('post_install', '-at_install')
class TestSecretsAtRest(PaylocityCase):

    def test_secrets_unreadable_in_the_raw_column(self):
        creds = self.sandbox.credentials('C1001')
        row = self.raw_row(self.connection)
        for column, secret in (('weblink_secret_encrypted', creds.weblink_client_secret),
                               ('nextgen_secret_encrypted', creds.nextgen_client_secret)):
            self.assertTrue(row[column].startswith('gAAAA'), "a Fernet token")
            self.assertNotIn(secret, row[column])
            self.assertEqual(encryption.secret_box().decrypt(row[column]), secret)
        # no column of the row holds a secret in clear
        flat = repr(row)
        self.assertNotIn(creds.weblink_client_secret, flat)
        self.assertNotIn(creds.nextgen_client_secret, flat)

    def test_secret_input_is_write_only(self):
        connection = self.connection.with_user(self.admin_user)
        connection.write({'weblink_client_secret': '  new-weblink-secret  '})
        self.assertEqual(connection._get_secret('weblink'), 'new-weblink-secret')
        connection.invalidate_recordset()
        # reading the input (as the web client does) never returns the secret
        self.assertFalse(connection.weblink_client_secret)
        values = connection.web_read({'weblink_client_secret': {}, 'weblink_secret_set': {},
                                      'nextgen_client_secret': {}, 'nextgen_secret_set': {}})[0]
        self.assertFalse(values['weblink_client_secret'])
        self.assertFalse(values['nextgen_client_secret'])
        self.assertTrue(values['weblink_secret_set'])
        self.assertTrue(values['nextgen_secret_set'])
        self.assertIn('client secret was updated', connection.sudo().message_ids[0].body)

    def test_empty_input_keeps_the_stored_secret(self):
        before = self.raw_row(self.connection)['weblink_secret_encrypted']
        self.connection.with_user(self.admin_user).write({'weblink_client_secret': ''})
        self.assertEqual(self.raw_row(self.connection)['weblink_secret_encrypted'], before)

    def test_clear_credentials(self):
        self.connection.with_user(self.admin_user).action_clear_weblink_credentials()
        row = self.raw_row(self.connection)
        self.assertFalse(row['weblink_secret_encrypted'])
        self.assertFalse(row['weblink_client_identifier'])
        self.assertIsNone(self.connection._get_credentials('weblink'))
        self.assertIsNotNone(self.connection._get_credentials('nextgen'))

    def test_secrets_never_logged(self):
        creds = self.sandbox.credentials('C1001')
        with self.capture_logs() as lines:
            self.connection.with_user(self.admin_user).write({'nextgen_client_secret': 'logged-never-42'})
            self.connection.with_user(self.admin_user).action_test_connection()
        text = '\n'.join(lines)
        for secret in ('logged-never-42', creds.weblink_client_secret):
            self.assertNotIn(secret, text)

    def test_cached_tokens_are_encrypted(self):
        self.connection.with_user(self.admin_user).action_test_connection()
        self.env.cr.execute('SELECT key, token_encrypted, expires_at FROM paylocity_token WHERE connection_id = %s',
                            (self.connection.id,))
        rows = self.env.cr.fetchall()
        self.assertEqual(len(rows), 2, "one cached token per pair")
        issued = {token.value for token in self.sandbox.tokens._tokens.values()}
        for key, ciphertext, _expires in rows:
            self.assertTrue(ciphertext.startswith('gAAAA'))
            self.assertIn(encryption.secret_box().decrypt(ciphertext), issued)
            self.assertFalse(any(token in ciphertext or token in key for token in issued))

    def test_new_secret_drops_cached_tokens(self):
        self.connection.with_user(self.admin_user).action_test_connection()
        self.connection.with_user(self.admin_user).write({'weblink_client_secret': 'rotated-secret'})
        self.assertEqual(self.cached_token_count(), 0)

    def test_new_environment_drops_cached_tokens(self):
        self.connection.with_user(self.admin_user).action_test_connection()
        self.assertEqual(self.cached_token_count(), 2)
        self.connection.with_user(self.admin_user).write({'name': 'renamed'})
        self.assertEqual(self.cached_token_count(), 2, "an unrelated change keeps them")
        self.connection.with_user(self.admin_user).write({'environment': 'production'})
        self.assertEqual(self.cached_token_count(), 0)
        # (a new host drops only its own pair's tokens: test_connection_hosts)

    def cached_token_count(self):
        self.env.cr.execute('SELECT count(*) FROM paylocity_token WHERE connection_id = %s', (self.connection.id,))
        return self.env.cr.fetchone()[0]


@tagged('post_install', '-at_install')
class TestEncryptionKeys(PaylocityCase):

    def use_keys(self, text):
        return patch.object(encryption, 'key_source', return_value=(encryption.SOURCE_CONFIG, text))

    def test_rotation_keeps_old_secrets_readable(self):
        current = encryption.key_source()[1]   # the key the connection's secrets were stored with
        new_key = generate_key()
        creds = self.sandbox.credentials('C1001')
        old_ciphertext = self.raw_row(self.connection)['weblink_secret_encrypted']
        # the new key is put first; the old one stays in the list: nothing breaks
        with self.use_keys('%s,%s' % (new_key, current)):
            self.assertEqual(self.connection._get_secret('weblink'), creds.weblink_client_secret)
            self.assertEqual(self.env['paylocity.connection']._reencrypt_all_secrets(), 2)
            self.assertNotEqual(self.raw_row(self.connection)['weblink_secret_encrypted'], old_ciphertext)
            self.assertEqual(self.env['paylocity.connection']._reencrypt_all_secrets(), 0, "nothing left to do")
        # after re-encryption the old key can go
        with self.use_keys(new_key):
            self.assertEqual(self.connection._get_secret('weblink'), creds.weblink_client_secret)
            self.assertEqual(self.connection._get_secret('nextgen'), creds.nextgen_client_secret)
        # and a key list without the new key cannot read them any more
        with self.use_keys(current):
            with self.assertRaises(ConfigurationError):
                self.connection._get_secret('weblink')

    def test_reencrypt_from_settings(self):
        current = encryption.key_source()[1]
        new_key = generate_key()
        with self.use_keys('%s,%s' % (new_key, current)):
            action = self.env['res.config.settings'].create({}).action_paylocity_reencrypt_secrets()
            self.assertEqual(action['params']['type'], 'success')
            self.assertIn('2 secret(s)', action['params']['message'])
        with self.use_keys(new_key):
            self.assertEqual(self.connection._get_secret('nextgen'),
                             self.sandbox.credentials('C1001').nextgen_client_secret)

    def test_unreadable_secret_stops_reencryption(self):
        with self.use_keys(generate_key()):
            with self.assertRaises(ConfigurationError):
                self.env['paylocity.connection']._reencrypt_all_secrets()

    def test_key_source_order(self):
        key_a, key_b = generate_key(), generate_key()
        with tempfile.TemporaryDirectory() as data_dir:
            with patch.object(encryption, 'config', {'data_dir': data_dir, encryption.CONFIG_OPTION: key_a}), \
                    patch.dict(os.environ, {encryption.ENV_VAR: key_b}):
                self.assertEqual(encryption.key_source(), (encryption.SOURCE_CONFIG, key_a))
            with patch.object(encryption, 'config', {'data_dir': data_dir}), \
                    patch.dict(os.environ, {encryption.ENV_VAR: key_b}):
                self.assertEqual(encryption.key_source(), (encryption.SOURCE_ENVIRONMENT, key_b))
            self.assertFalse(os.path.exists(os.path.join(data_dir, encryption.KEY_DIR_NAME)))

    def test_key_file_created_once_private(self):
        with tempfile.TemporaryDirectory() as data_dir, \
                patch.object(encryption, 'config', {'data_dir': data_dir}), \
                patch.dict(os.environ, {encryption.ENV_VAR: ''}):
            source, text = encryption.key_source()
            path = encryption.key_file_path()
            self.assertEqual(source, encryption.SOURCE_FILE)
            self.assertTrue(path.startswith(data_dir))
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
            self.assertEqual(encryption.key_source(), (source, text), "created once, then reused")
            SecretBox(text)  # a valid key
            self.assertIn(path, encryption.describe_key_source())

            # adding a key puts it first and keeps the old one
            box_before = encryption.secret_box()
            ciphertext = box_before.encrypt('kept')
            new_text = encryption.add_key_to_file()
            keys = new_text.split(',')
            self.assertEqual(keys[1:], [text])
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
            self.assertEqual(encryption.secret_box().decrypt(ciphertext), 'kept')
            self.assertFalse(encryption.secret_box().is_current(ciphertext))

    def test_no_key_file_when_configured(self):
        with tempfile.TemporaryDirectory() as data_dir, \
                patch.object(encryption, 'config', {'data_dir': data_dir, encryption.CONFIG_OPTION: generate_key()}):
            with self.assertRaises(ConfigurationError):
                encryption.add_key_to_file()

    def test_settings_show_the_key_source(self):
        settings = self.env['res.config.settings'].create({})
        self.assertEqual(settings.paylocity_key_source, encryption.describe_key_source())
        self.assertEqual(settings.paylocity_connection_count, 1)
