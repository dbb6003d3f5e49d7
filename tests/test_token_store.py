# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import time

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged

from ..models import encryption
from ..models.paylocity_token import DbTokenStore


@tagged('post_install', '-at_install')
class TestDbTokenStore(TransactionCase):
    """The token cache on real, separate cursors (no registry test mode here), as the workers use it."""

    def setUp(self):
        super().setUp()
        # A connection committed for real, so that other transactions can reference it; removed afterwards.
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.connection_id = env['paylocity.connection'].create({
                'name': 'Token store test', 'paylocity_company_code': 'TOKENSTORE', 'active': False,
            }).id
        self.addCleanup(self._drop_connection)

    def _drop_connection(self):
        with self.registry.cursor() as cr:
            cr.execute('DELETE FROM paylocity_connection WHERE id = %s', (self.connection_id,))

    def test_token_survives_a_rolled_back_business_transaction(self):
        store = DbTokenStore(self.registry, self.connection_id)
        expires = time.time() + 3000
        business = self.registry.cursor()
        try:
            # a business transaction fetches a token (the client calls store.set) and then fails
            store.set('weblink|key', 'token-value-1', expires)
            business.rollback()
        finally:
            business.close()
        # another worker (another store, other cursors) finds it
        self.assertEqual(DbTokenStore(self.registry, self.connection_id).get('weblink|key'),
                         ('token-value-1', expires))
        with self.registry.cursor() as cr:
            cr.execute('SELECT token_encrypted FROM paylocity_token WHERE connection_id = %s', (self.connection_id,))
            ciphertext = cr.fetchone()[0]
        self.assertNotIn('token-value-1', ciphertext)
        self.assertEqual(encryption.secret_box().decrypt(ciphertext), 'token-value-1')

    def test_set_replaces_and_delete_removes(self):
        store = DbTokenStore(self.registry, self.connection_id)
        self.assertIsNone(store.get('k'))
        store.set('k', 'first', 10.0)
        store.set('k', 'second', 20.0)
        self.assertEqual(store.get('k'), ('second', 20.0))
        store.delete('k')
        self.assertIsNone(store.get('k'))
        store.delete('k')  # deleting twice is harmless

    def test_uncommitted_connection_gets_no_cache(self):
        # a connection that no other transaction can see: nothing is cached, nothing fails
        store = DbTokenStore(self.registry, 2 ** 31 - 1)
        store.set('k', 'lost', time.time() + 100)
        self.assertIsNone(store.get('k'))
