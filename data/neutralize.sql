-- A duplicated database must never call Paylocity with the original's credentials nor accept its
-- webhooks: archive every connection, drop the secrets and the cached access tokens, move the webhook
-- URL and make the webhook password match nothing (auth stays required).
UPDATE paylocity_connection
   SET active = FALSE,
       weblink_secret_encrypted = NULL,
       nextgen_secret_encrypted = NULL,
       webhook_password_hash = 'neutralized',
       webhook_token = 'neutralized-' || md5(random()::text || id::text);
DELETE FROM paylocity_token;
-- A copy keeps no webhook body: what was kept of each one (identifiers, dates, cost centers) is erased too.
UPDATE paylocity_event
   SET payload = NULL,
       payload_purged_at = now() AT TIME ZONE 'UTC'
 WHERE payload IS NOT NULL;
