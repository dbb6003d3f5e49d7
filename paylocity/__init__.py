"""Plain-Python core of the Paylocity connector.

Imports nothing from Odoo and uses relative imports only, so it runs both as
``odoo.addons.paylocity_connector.paylocity`` and stand-alone under pytest.
"""
