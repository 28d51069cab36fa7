"""Outbound webhooks: a form's submission events POSTed, signed, to receivers its managers name.

- `ssrf`: which URLs and addresses we refuse to call (anything not public, unless allowed).
- `signing`: the `X-DataShift-Signature-256` header.
- `payload`: the JSON body of an event (phone numbers always as the keyed hash).
- `delivery`: one attempt, the RQ job with its backoff, inline mode, manual retries.
- `events`: what creates deliveries (the pipeline's `on_processed` hook, review changes).
- `service`: create/list/delete webhooks, list deliveries.

Importing `app.webhooks.events` registers the pipeline listener; the API module imports it, so
every process that builds the app (web, `flask worker`, `rq worker`) listens.
"""
