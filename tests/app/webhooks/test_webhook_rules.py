"""Who may manage webhooks, what a webhook must be, and which addresses it may never reach."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Webhook
from app.webhooks import ssrf
from tests.app.webhooks.conftest import SECRET, instance


def test_only_managers_and_admins_manage_webhooks(client, app, project, base, manager,
                                                  make_user, login, admin_headers, form):
    from app.services.app_users import assign_form, create_app_user

    make_user("viewer@example.org", roles={project: "viewer"})
    make_user("collector@example.org", roles={project: "formfill"})
    app_user, token = create_app_user(project, "Tablet 1", None)
    assign_form(form, app_user.actor_id, "app-user")
    db.session.commit()
    body = {"url": "http://127.0.0.1:9/x", "secret": SECRET}
    for headers in (login("viewer@example.org"), login("collector@example.org")):
        assert client.post(f"{base}/webhooks", headers=headers, json=body).status_code == 403
        assert client.get(f"{base}/webhooks", headers=headers).status_code == 403
    keyed = f"/v1/key/{token}{base[3:]}/webhooks"
    assert client.post(keyed, json=body).status_code == 403
    assert client.get(keyed).status_code == 403
    assert client.get(f"{base}/webhooks").status_code == 401
    assert client.post(f"{base}/webhooks", headers=manager, json=body).status_code == 200
    assert client.post(f"{base}/webhooks", headers=admin_headers, json=body).status_code == 200
    listed = client.get(f"{base}/webhooks", headers=manager)
    assert listed.headers["X-Total-Count"] == "2"
    assert all("secret" not in w for w in listed.get_json())
    # Stored encrypted, never as given.
    stored = db.session.scalars(select(Webhook.secret)).all()
    assert stored and all(SECRET not in s for s in stored)
    other = client.get(f"/v1/projects/{project}/forms/nope/webhooks", headers=manager)
    assert other.status_code == 404


@pytest.mark.parametrize("body, code, field", [
    ({"secret": SECRET}, 400.2, "url"),
    ({"url": "http://127.0.0.1/x"}, 400.2, "secret"),
    ({"url": "http://127.0.0.1/x", "secret": "short"}, 400.8, "secret"),
    ({"url": "http://127.0.0.1/x", "secret": SECRET, "events": ["submission.deleted"]}, 400.8,
     "events"),
    ({"url": "http://127.0.0.1/x", "secret": SECRET, "events": []}, 400.8, "events"),
    ({"url": "http://127.0.0.1/x", "secret": SECRET, "includeXml": "yes"}, 400.8, "includeXml"),
    ({"url": "ftp://127.0.0.1/x", "secret": SECRET}, 400.8, "url"),
    ({"url": "http://user:pw@127.0.0.1/x", "secret": SECRET}, 400.8, "url"),
    ({"url": "http:///x", "secret": SECRET}, 400.8, "url"),
])
def test_bad_webhooks_are_400_naming_the_field(client, base, manager, body, code, field):
    response = client.post(f"{base}/webhooks", headers=manager, json=body)
    assert response.status_code == 400
    problem = response.get_json()
    assert problem["code"] == code and problem["details"]["field"] == field


@pytest.mark.parametrize("url, reason", [
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata address"),
    ("http://100.100.100.200/", "cloud metadata address"),
    ("http://[fd00:ec2::254]/", "cloud metadata address"),
    ("http://169.254.10.1:8080/hook", "link-local address"),
    ("https://[fe80::1]/hook", "link-local address"),
    ("http://[::ffff:169.254.169.254]/", "cloud metadata address"),
    ("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata host"),
])
def test_metadata_and_link_local_addresses_are_refused(client, base, manager, url, reason):
    response = client.post(f"{base}/webhooks", headers=manager,
                           json={"url": url, "secret": SECRET})
    assert response.status_code == 400
    assert reason in response.get_json()["message"]


def test_a_name_resolving_to_metadata_is_refused(client, base, manager, monkeypatch):
    # Stand in for DNS: the name resolves to a metadata address (and a harmless one).
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: ["203.0.113.7", "169.254.169.254"]
                        if host == "hooks.example.org" else [])
    response = client.post(f"{base}/webhooks", headers=manager,
                           json={"url": "https://hooks.example.org/in", "secret": SECRET})
    assert response.status_code == 400
    assert "hooks.example.org resolves to 169.254.169.254 is a cloud metadata address" in \
        response.get_json()["message"]


def test_only_an_admin_may_allow_private_addresses(client, app, base, manager, admin_headers):
    body = {"url": "http://169.254.169.254/", "secret": SECRET, "allowPrivate": True}
    assert client.post(f"{base}/webhooks", headers=manager, json=body).status_code == 403
    allowed = client.post(f"{base}/webhooks", headers=admin_headers, json=body)
    assert allowed.status_code == 200 and allowed.get_json()["allowPrivate"] is True
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    body.pop("allowPrivate")
    assert client.post(f"{base}/webhooks", headers=manager, json=body).status_code == 200


def test_the_address_is_checked_again_at_each_delivery(client, base, manager, receiver,
                                                       monkeypatch, new_iid):
    """DNS that changes after creation (rebinding) is caught when sending, not retried."""
    answers = {"hooks.example.org": ["127.0.0.1"]}
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: answers[host])
    url = f"http://hooks.example.org:{receiver.port}/in"
    hook = client.post(f"{base}/webhooks", headers=manager,
                       json={"url": url, "secret": SECRET}).get_json()
    client.post(f"{base}/submissions", headers={**manager, "Content-Type": "application/xml"},
                data=instance(new_iid()))
    assert receiver.requests[0]["headers"]["Host"] == f"hooks.example.org:{receiver.port}"
    answers["hooks.example.org"] = ["169.254.169.254"]
    client.post(f"{base}/submissions", headers={**manager, "Content-Type": "application/xml"},
                data=instance(new_iid()))
    assert len(receiver.requests) == 1
    rows = client.get(f"{base}/webhooks/{hook['id']}/deliveries", headers=manager).get_json()
    assert rows[0]["status"] == "failed" and rows[0]["lastStatusCode"] is None
    assert "not sent" in rows[0]["lastError"] and "metadata" in rows[0]["lastError"]
    assert rows[1]["status"] == "succeeded"


def test_address_rules():
    assert ssrf.address_problem("127.0.0.1") is None
    assert ssrf.address_problem("10.1.2.3") is None
    assert ssrf.address_problem("::1") is None
    assert "link-local" in ssrf.address_problem("fe80::1%eth0")
    assert "not a unicast" in ssrf.address_problem("0.0.0.0")
    target = ssrf.check("https://[::1]:8443/a?b=1")
    assert (target.host_header, target.path, target.address) == ("[::1]:8443", "/a?b=1", "::1")


def test_https_checks_the_certificate_of_the_named_host(client, base, manager, monkeypatch,
                                                        new_iid, tmp_path):
    """TLS goes to the vetted address with the URL's host name for SNI and verification: a
    self-signed certificate is refused (nothing is sent in clear)."""
    import datetime
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hooks.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("hooks.example.org")]),
                           critical=False).sign(key, hashes.SHA256()))
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setattr(ssrf, "resolve", lambda host, port: ["127.0.0.1"])
        url = f"https://hooks.example.org:{server.server_port}/in"
        hook = client.post(f"{base}/webhooks", headers=manager,
                           json={"url": url, "secret": SECRET}).get_json()
        client.post(f"{base}/submissions",
                    headers={**manager, "Content-Type": "application/xml"},
                    data=instance(new_iid()))
        [row] = client.get(f"{base}/webhooks/{hook['id']}/deliveries",
                           headers=manager).get_json()
        assert row["status"] == "failed" and "CERTIFICATE_VERIFY_FAILED" in row["lastError"]
        assert hits == []
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
