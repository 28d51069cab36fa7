"""Fixtures shared by the OpenRosa, sync and submissions tests: a media form, app users,
instance documents and small real images. Import them into a conftest with `import *`."""
from __future__ import annotations

import random
import secrets
import struct
import zlib
from pathlib import Path

import pytest

from app.extensions import db

SITE_XFORM = """<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
        xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms"
        xmlns:odk="http://www.opendatakit.org/xforms">
  <h:head>
    <h:title>Site photos</h:title>
    <model odk:xforms-version="1.0.0">
      <itext><translation lang="default" default="true()">
        <text id="/data/site:label"><value>Site name</value>
          <value form="image">jr://images/logo.png</value></text>
      </translation></itext>
      <instance>
        <data id="site_photos" version="{version}">
          <site/><count/><photo/><closeup/>
          <meta><instanceID/><instanceName/></meta>
        </data>
      </instance>
      <bind nodeset="/data/site" type="string"/>
      <bind nodeset="/data/count" type="int"/>
      <bind nodeset="/data/photo" type="binary"/>
      <bind nodeset="/data/closeup" type="binary"/>
      <bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
      <bind nodeset="/data/meta/instanceName" type="string"
            calculate="concat('Site ', /data/site)"/>
    </model>
  </h:head>
  <h:body>
    <input ref="/data/site"><label ref="jr:itext('/data/site:label')"/></input>
    <input ref="/data/count"><label>Count</label></input>
    <upload ref="/data/photo" mediatype="image/*"><label>Photo</label></upload>
    <upload ref="/data/closeup" mediatype="image/*"><label>Close-up</label></upload>
  </h:body>
</h:html>
"""


def site_instance(instance_id: str, *, site: str = "Kibera", count: int = 3,
                  photo: str | None = None, closeup: str | None = None,
                  deprecated_id: str | None = None, version: str = "1",
                  form_id: str = "site_photos") -> bytes:
    """An instance of SITE_XFORM as Collect writes it."""
    deprecated = f"<deprecatedID>{deprecated_id}</deprecatedID>" if deprecated_id else ""
    return (f'<?xml version="1.0"?><data xmlns:jr="http://openrosa.org/javarosa" '
            f'xmlns:orx="http://openrosa.org/xforms" id="{form_id}" version="{version}">'
            f"<site>{site}</site><count>{count}</count><photo>{photo or ''}</photo>"
            f"<closeup>{closeup or ''}</closeup><meta>{deprecated}"
            f"<instanceID>{instance_id}</instanceID><instanceName>Site {site}</instanceName>"
            "</meta></data>").encode()


def png(pixels: int = 16, seed: int = 1) -> bytes:
    """A real PNG (RGB noise, `pixels` square): incompressible enough to have some size."""
    rng = random.Random(seed)
    rows = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(pixels * 3))
                    for _ in range(pixels))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", pixels, pixels, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# A valid 1×1 baseline JPEG; `jpeg()` pads it with a comment segment to the size wanted.
_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b"
    "0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e3334"
    "32ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708"
    "090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114"
    "328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748"
    "494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2"
    "a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9"
    "eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9")


def jpeg(size: int = 2048, seed: int = 2) -> bytes:
    """A real JPEG of about `size` bytes (comment segments carry random padding)."""
    rng = random.Random(seed)
    segments = b""
    remaining = max(0, size - len(_JPEG))
    while remaining > 4:
        n = min(remaining - 4, 65533)
        segments += b"\xff\xfe" + struct.pack(">H", n + 2) + bytes(
            rng.randrange(256) for _ in range(n))
        remaining -= n + 4
    return _JPEG[:2] + segments + _JPEG[2:]


def publish_xform(project_id: int, xml: str):
    """Publish an XForm (first version, or a new version of an existing form)."""
    from app.services import forms as form_service
    from forms.xlsform import compile_upload

    compiled = compile_upload(xml.encode(), "application/xml", "form.xml", validate=False)
    form = form_service.get_form(project_id, compiled.form_id)
    if form is None:
        form = form_service.create_form(project_id, compiled, None, publish=True)
    else:
        form_service.replace_draft(form, compiled, None)
        db.session.expire(form)  # replace_draft sets the id; reload the relationship
        form_service.publish_draft(form, None, None)
    db.session.commit()
    return form


@pytest.fixture
def site_form(app, make_project):
    """Project "Water CSO" with the site_photos form (two image questions, one media slot)."""
    project_id = make_project("Water CSO")
    return publish_xform(project_id, SITE_XFORM.replace("{version}", "1"))


def migrated_with_site_form(url: str, storage: Path, project: str, **app_user: str):
    """The database at `url` migrated, with the site form published in a new `project` and an
    app user of it (create_app_user's name, token); -> (the app, project id, token)."""
    from app import create_app, migrate
    from app.services.projects import create_project

    migrate.upgrade(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "STORAGE_DIR": str(storage),
                      "ODK_VALIDATE": False, "REDIS_URL": None})
    with app.app_context():
        project_id = create_project(project).id
        db.session.commit()
        form = publish_xform(project_id, SITE_XFORM.replace("{version}", "1"))
        _, token = create_app_user(project_id, [form], **app_user)
        db.engine.dispose()
    return app, project_id, token


def create_app_user(project_id: int, forms=(), name: str = "Volunteer phone",
                    token: str | None = None) -> tuple[int, str]:
    """An app user of a project assigned to `forms`, committed; returns (actor_id, token)."""
    from app.models import Actor, AppUser, FormAssignment
    from app.services.accounts import hash_token

    actor = Actor(type="field_key", display_name=name)
    db.session.add(actor)
    db.session.flush()
    token = token or secrets.token_urlsafe(48)
    db.session.add(AppUser(actor_id=actor.id, project_id=project_id,
                           token_hash=hash_token(token)))
    for form in forms:
        db.session.add(FormAssignment(actor_id=actor.id, form_id=form.id, role="app-user"))
    db.session.commit()
    return actor.id, token


@pytest.fixture
def make_app_user(app):
    """An app user of a project assigned to `forms`; returns (actor_id, token)."""
    return create_app_user


@pytest.fixture(autouse=True)
def fresh_g_per_request(request):
    """The shared `app` fixture keeps one app context for the whole test, so Flask reuses it
    (and its `g`: cached principal, key token) across test-client requests. Clear it first."""
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    from flask import g

    @app.url_value_preprocessor
    def _clear(_endpoint, _values):
        for name in ("principal", "key_token", "digest_stale"):
            g.pop(name, None)
