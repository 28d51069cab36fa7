"""`make run HOST=... PORT=...`: the public URL a phone uses follows where the server listens."""
from __future__ import annotations

from app import config


def test_public_url_defaults_to_loopback_and_port_5000(monkeypatch):
    monkeypatch.delenv("SERVE_HOST", raising=False)
    monkeypatch.delenv("SERVE_PORT", raising=False)
    assert config.default_public_url() == "http://127.0.0.1:5000"


def test_all_interfaces_give_the_lan_address_and_the_chosen_port(monkeypatch):
    monkeypatch.setenv("SERVE_HOST", "0.0.0.0")
    monkeypatch.setenv("SERVE_PORT", "8080")
    monkeypatch.setattr(config, "lan_address", lambda: "192.0.2.10")
    assert config.default_public_url() == "http://192.0.2.10:8080"


def test_lan_address_is_never_a_wildcard_or_loopback_unless_nothing_else():
    address = config.lan_address()
    assert address.count(".") == 3 and address != "0.0.0.0"


def test_demo_prints_the_web_address_and_a_collect_qr_code(runner, monkeypatch, tmp_path):
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    out = runner.invoke(args=["demo"]).output
    assert "Web app: http://localhost/" in out
    assert "Configure with QR code" in out
    assert out.count("█") > 100  # the terminal QR code
