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
    ("http://127.0.0.1:6379/", "loopback address"),
    ("http://127.9.9.9:5432/", "loopback address"),
    ("http://[::1]:5432/", "loopback address"),
    ("http://10.0.0.5/", "private address"),
    ("http://172.16.3.4/", "private address"),
    ("http://192.168.1.1/", "private address"),
    ("http://[fd12:3456::1]/", "private address"),
    ("http://100.64.0.1/", "not a public internet address"),  # CGNAT
    ("http://169.254.10.1:8080/hook", "link-local address"),
    ("https://[fe80::1]/hook", "link-local address"),
    ("http://224.0.0.251/", "multicast address"),
    ("http://[ff02::1]/", "multicast address"),
    ("http://0.0.0.0:5432/", "unspecified address"),
    ("http://[::]/", "unspecified address"),
    ("http://240.0.0.1/", "address"),  # reserved (also "private" in ipaddress's tables)
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata address"),
    ("http://100.100.100.200/", "cloud metadata address"),
    ("http://[fd00:ec2::254]/", "cloud metadata address"),
    ("http://[::ffff:169.254.169.254]/", "carries 169.254.169.254) is a cloud metadata"),
    ("http://[::ffff:127.0.0.1]:6379/", "carries 127.0.0.1) is a loopback"),
    ("http://[64:ff9b::a9fe:a9fe]/", "carries 169.254.169.254) is a cloud metadata"),
    ("http://[64:ff9b::a00:5]/", "carries 10.0.0.5) is a private"),
    ("http://[2002:a9fe:a9fe::1]/", "carries 169.254.169.254) is a cloud metadata"),
    ("http://[2002:7f00:1::1]/", "carries 127.0.0.1) is a loopback"),
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "private address"),  # Teredo
    ("http://[::a9fe:a9fe]/", "reserved address"),  # IPv4-compatible (deprecated)
    ("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata host"),
])
def test_addresses_inside_are_refused_at_registration(client, app, base, manager, url, reason):
    app.config["WEBHOOK_ALLOW_NETWORKS"] = ""
    response = client.post(f"{base}/webhooks", headers=manager,
                           json={"url": url, "secret": SECRET})
    assert response.status_code == 400, url
    message = response.get_json()["message"]
    assert reason in message
    assert "WEBHOOK_ALLOW_NETWORKS" in message or reason == "cloud metadata host"


@pytest.mark.parametrize("url", ["http://93.184.216.34/hook", "https://[2606:4700::1111]/",
                                 "http://[64:ff9b::808:808]/", "http://[::ffff:8.8.8.8]/"])
def test_public_addresses_and_their_ipv6_forms_are_accepted(client, base, manager, url):
    response = client.post(f"{base}/webhooks", headers=manager,
                           json={"url": url, "secret": SECRET})
    assert response.status_code == 200, response.get_json()


def test_a_name_resolving_to_an_inside_address_is_refused_without_echoing_it(
        client, app, base, manager, monkeypatch):
    app.config["WEBHOOK_ALLOW_NETWORKS"] = ""
    # Stand in for DNS: the name resolves to a public address and a private one.
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: ["203.0.113.7", "10.9.8.7"]
                        if host == "hooks.example.org" else [])
    response = client.post(f"{base}/webhooks", headers=manager,
                           json={"url": "https://hooks.example.org/in", "secret": SECRET})
    assert response.status_code == 400
    message = response.get_json()["message"]
    assert "hooks.example.org resolves to a" in message and "10.9.8.7" not in message


def test_only_the_servers_allow_list_opens_the_inside(client, app, base, manager,
                                                      admin_headers):
    app.config["WEBHOOK_ALLOW_NETWORKS"] = ""
    body = {"url": "http://10.20.30.40/in", "secret": SECRET}
    assert client.post(f"{base}/webhooks", headers=admin_headers, json=body).status_code == 400
    refused = client.post(f"{base}/webhooks", headers=admin_headers,
                          json={**body, "allowPrivate": True})
    assert refused.status_code == 400
    assert refused.get_json()["details"]["field"] == "allowPrivate"
    app.config["WEBHOOK_ALLOW_NETWORKS"] = "10.20.0.0/16"
    created = client.post(f"{base}/webhooks", headers=manager, json=body)
    assert created.status_code == 200 and "allowPrivate" not in created.get_json()
    other = {"url": "http://10.21.0.1/in", "secret": SECRET}
    assert client.post(f"{base}/webhooks", headers=manager, json=other).status_code == 400


def test_the_allow_list_is_validated_at_start_up(monkeypatch):
    from app.config import from_environment

    monkeypatch.setenv("WEBHOOK_ALLOW_NETWORKS", "10.0.0.0/8, not-a-network")
    with pytest.raises(ValueError, match="'not-a-network' is not an IP network"):
        from_environment()
    monkeypatch.setenv("WEBHOOK_ALLOW_NETWORKS", "10.0.0.0/8, fd00::/8 ,127.0.0.1")
    assert [str(n) for n in from_environment()["WEBHOOK_ALLOW_NETWORKS"]] == [
        "10.0.0.0/8", "fd00::/8", "127.0.0.1/32"]
    monkeypatch.delenv("WEBHOOK_ALLOW_NETWORKS")
    assert from_environment()["WEBHOOK_ALLOW_NETWORKS"] == ()


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
    assert rows[0]["lastError"].startswith("blocked: hooks.example.org resolves to a cloud "
                                           "metadata address")
    assert rows[1]["status"] == "succeeded"


def test_address_rules():
    loopback = ssrf.ipaddress.ip_network("127.0.0.0/8"), ssrf.ipaddress.ip_network("::1/128")
    assert ssrf.address_problem("127.0.0.1", loopback) is None
    assert ssrf.address_problem("::ffff:127.0.0.1", loopback) is None
    assert "loopback" in ssrf.address_problem("127.0.0.1")
    assert "private" in ssrf.address_problem("10.1.2.3", loopback)
    assert "link-local" in ssrf.address_problem("fe80::1%eth0")
    assert "unspecified" in ssrf.address_problem("0.0.0.0")
    assert ssrf.address_problem("8.8.8.8") is None
    target = ssrf.check("https://[::1]:8443/a?b=1", allowed=loopback)
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
        assert row["status"] == "failed" and row["lastError"] == "tls"
        assert hits == []
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
