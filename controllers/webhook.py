# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Paylocity webhook intake: check, store, answer. Processing happens later, in the event cron.

Checks, in order (the first that fails answers):

====  ==================================================================================================
404   unknown or archived connection token (not recorded: anyone can knock on a random URL)
413   body over the size limit (``Content-Length`` first, then the bytes actually read)
403   sender address not in the connection's allow-list
401   Basic auth missing or wrong (with ``WWW-Authenticate``)
400   body not JSON, or not one of Paylocity's webhook shapes (short reason)
403   body for another Paylocity company than the connection's (an authenticated sender asking for
      something it is not allowed to touch: forbidden rather than malformed)
200   stored (``received``), or a duplicate of a live event (``duplicate``)
====  ==================================================================================================

Every refusal after the token is recorded as a ``rejected`` event (metadata, reason and sender address; never
the body nor the credentials); like refusals within an hour are counted on one row, and their log lines are
throttled (a few per minute per connection and status, the next one saying how many were held back), so a flood
of refused deliveries floods neither the table nor the log.

The body is read raw, never parsed by Odoo (``raw_body=True``, see ``models/ir_http.py``): for a form-encoded or
multipart body Odoo's dispatcher would otherwise parse it before this route runs (up to 10 MB in memory), for
unknown tokens too. The sender address is the socket's, or in proxy mode (``--proxy-mode``) the
last ``X-Forwarded-For`` hop, which is what Odoo itself trusts (``odoo/http.py`` applies ProxyFix with
``x_for=1`` when ``X-Forwarded-Host`` is present; a proxy that sends only ``X-Forwarded-For`` is read the
same way). Outside proxy mode forwarding headers are ignored.
"""
import logging

from odoo import http
from odoo.http import request
from odoo.tools import config

from ..paylocity.log_throttle import LogThrottle
from ..paylocity.webhooks import WebhookShapeError, classify

_logger = logging.getLogger(__name__)
_log_throttle = LogThrottle(interval=60, burst=3)

# Kept with the event for troubleshooting; Authorization and cookies never are.
KEPT_HEADERS = ('Content-Type', 'Content-Length', 'Transfer-Encoding', 'User-Agent', 'X-Forwarded-For',
                'X-Forwarded-Proto', 'X-Request-Id', 'X-Correlation-Id')
WWW_AUTHENTICATE = 'Basic realm="Paylocity webhook", charset="UTF-8"'


class PaylocityWebhookController(http.Controller):

    @http.route('/paylocity/webhook/<string:token>', type='http', auth='public', methods=['POST'], csrf=False,
                save_session=False, raw_body=True)
    def paylocity_webhook(self, token, **_params):
        """Store one Paylocity delivery and acknowledge it; never process it here."""
        meta = self._delivery_meta()
        connection = request.env['paylocity.connection']._find_by_webhook_token(token)
        if not connection:
            self._log(None, 404, "Paylocity webhook to an unknown or archived connection from %s",
                      meta['remote_addr'])
            return self._answer(404, error="unknown webhook URL")
        events = request.env['paylocity.event'].sudo()
        limit = events._param('webhook_max_bytes')
        declared = request.httprequest.content_length
        if declared is not None and declared > limit:
            return self._reject(connection, meta, 413, "body larger than %d bytes" % limit, payload_size=declared)
        if not connection._webhook_sender_allowed(meta['remote_addr']):
            return self._reject(connection, meta, 403, "sender address not allowed")
        if connection._webhook_auth_required() and not connection._check_webhook_authorization(
                request.httprequest.headers.get('Authorization')):
            return self._reject(connection, meta, 401, "missing or wrong Basic auth",
                                headers=[('WWW-Authenticate', WWW_AUTHENTICATE)])
        body = self._read_body(limit)
        if body is None:
            return self._reject(connection, meta, 413, "body larger than %d bytes" % limit, payload_size=limit + 1)
        try:
            webhook_event = classify(body)
        except WebhookShapeError as exc:
            return self._reject(connection, meta, 400, str(exc), payload_size=len(body))
        expected = (connection.paylocity_company_code or '').strip().casefold()
        if webhook_event.company_id.strip().casefold() != expected:
            return self._reject(connection, meta, 403, "companyId is not this connection's company",
                                payload_size=len(body), webhook_event=webhook_event)
        event = events._store_delivery(connection, webhook_event, body, meta)
        return self._answer(200, status='duplicate' if event.state == 'duplicate' else 'received')

    # === HELPERS === #
    def _delivery_meta(self):
        headers = request.httprequest.headers
        kept = {name: headers[name][:200] for name in KEPT_HEADERS if headers.get(name)}
        return {'remote_addr': self._client_address(), 'headers': kept}

    @staticmethod
    def _client_address():
        httprequest = request.httprequest
        address = httprequest.remote_addr
        if config['proxy_mode'] and 'werkzeug.proxy_fix.orig' not in httprequest.environ:
            hops = [hop.strip() for hop in (httprequest.headers.get('X-Forwarded-For') or '').split(',')]
            if hops[-1]:
                address = hops[-1]
        return address

    @staticmethod
    def _read_body(limit):
        """The body, or None when it exceeds ``limit`` bytes. Reads at most ``limit + 1`` bytes, also for a
        chunked body that declared no length. Cached on the request: a serialization retry re-runs us."""
        cached = getattr(request, '_paylocity_webhook_body', None)
        if cached is not None:
            return cached if len(cached) <= limit else None
        # Odoo's HTTPRequest proxies get_data() but not the stream; Werkzeug 2.2's get_data() would read a
        # chunked body whole, so read the wrapped request's length-limited stream instead when available.
        wrapped = getattr(request.httprequest, '_HTTPRequest__wrapped', None)
        if wrapped is not None:
            data = wrapped.stream.read(limit + 1)
        else:
            data = request.httprequest.get_data()
        request._paylocity_webhook_body = data
        return data if len(data) <= limit else None

    def _reject(self, connection, meta, status, reason, headers=None, payload_size=0, webhook_event=None):
        self._log(connection.id, status, "Paylocity webhook refused with %s for connection %s from %s: %s",
                  status, connection.id, meta['remote_addr'], reason)
        request.env['paylocity.event'].sudo()._record_rejection(
            connection, reason, status, meta, payload_size=payload_size, webhook_event=webhook_event)
        return self._answer(status, error=reason, headers=headers)

    @staticmethod
    def _log(connection_id, status, message, *args):
        """Log a refusal, unless a flood of them (same connection and status) already filled this minute's lines."""
        held_back = _log_throttle.allow((connection_id, status))
        if held_back is None:
            return
        if held_back:
            message += " (%d like refusals before this one were not logged)"
            args += (held_back,)
        _logger.info(message, *args)

    @staticmethod
    def _answer(status_code, status=None, error=None, headers=None):
        data = {'status': status} if error is None else {'error': error}
        return request.make_json_response(data, headers=headers, status=status_code)
