"""SMS and USSD: conversations over a form, from a provider's webhook to a stored submission.

- `inbound`: a text or a USSD hop in (and the simulator): one turn, the one path.
- `turn`: the steps of a turn, each written once (who texts, engine step, save, messages).
- `store`: every statement on conversations, messages and the forms a text opens (Core).
- `contacts`: people, by the keyed hash of their number; opt-out and in.
- `idle`: reminders and expiry of idle surveys; `finish`: after commit, ingest and send.
- `outbound`: sending one stored message, delivery reports, resend, per-channel throttle.
- `jobs`: the RQ send job (queue `{QUEUE_PREFIX}-sms`), inline without Redis.
- `channels`: channels and their webhook URLs; `ussd`: menu and screens; `engine`: the
  conversation engine (sms_flows) and its form models; `cli`: `flask channels ...`.
The web layer is app/web/webhooks.py (providers) and app/web/api/channels.py (the API).
"""
