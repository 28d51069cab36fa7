"""The data the API fuzzers work on: one project with a published form holding personal
fields, a submission, an SMS simulator channel, a webhook, an export job, and a user (or app
user) for every role. Returns the identities and the real ids to put in paths."""
from __future__ import annotations

from typing import Any

from flask import Flask

from app.extensions import db
from tests.fuzz.api import Identity

PASSWORD = "correct horse battery staple"
FORM = """<?xml version="1.0"?><h:html xmlns="http://www.w3.org/2002/xforms"
 xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa"
 xmlns:ds="https://datashift.org/xforms"><h:head><h:title>Hotline</h:title><model><instance>
<data id="hotline" version="1"><issue/><contact_number/><full_name/><households/><place/>
<meta><instanceID/><deprecatedID/></meta></data></instance>
<bind nodeset="/data/issue" type="string"/>
<bind nodeset="/data/contact_number" type="string" ds:privacy="phone"/>
<bind nodeset="/data/full_name" type="string" ds:privacy="personal"/>
<bind nodeset="/data/households" type="int"/>
<bind nodeset="/data/place" type="geopoint"/>
<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
</model></h:head><h:body><input ref="/data/issue"><label>Issue</label></input>
<input ref="/data/contact_number"><label>Phone</label></input>
<input ref="/data/full_name"><label>Name</label></input>
<input ref="/data/households"><label>Households</label></input>
<input ref="/data/place"><label>Place</label></input></h:body></h:html>"""
INSTANCE_ID = "uuid:0e3c8a64-5a4c-4c1e-9d7e-1f2a3b4c5d6e"
INSTANCE = (f'<data id="hotline" version="1"><issue>no water at the school</issue>'
            f'<contact_number>+254712345678</contact_number><full_name>Amina</full_name>'
            f'<households>12</households><place>-1.28 36.81 0 5</place>'
            f'<meta><instanceID>{INSTANCE_ID}</instanceID></meta></data>')


def seed(app: Flask) -> tuple[list[Identity], dict[str, Any]]:
    from app.messaging import channels
    from app.services import accounts, app_users, projects
    from app.services.forms import create_form
    from forms.xlsform import compile_upload

    project = projects.create_project("Fuzz CSO")
    db.session.flush()
    emails = {"admin": "admin@fuzz.org", "manager": "manager@fuzz.org",
              "viewer": "viewer@fuzz.org", "formfill": "collector@fuzz.org"}
    for role, email in emails.items():
        user = accounts.create_user(email, PASSWORD, admin=role == "admin")
        if role != "admin":
            projects.assign_role(project.id, user.actor_id, role)
    form = create_form(project.id, compile_upload(FORM.encode(), "application/xml", "h.xml",
                                                  validate=False), None, publish=True)
    app_user, token = app_users.create_app_user(project.id, "Tablet 1", None)
    app_users.assign_form(form, app_user.actor_id, "app-user")
    channel = channels.create_channel(project.id, provider="simulator", kind="sms",
                                      address="22555", credentials={}, settings={})
    db.session.commit()
    client = app.test_client()
    identities = [Identity("anonymous"), Identity("app-user", base=f"/v1/key/{token}")]
    tokens = {}
    for role, email in emails.items():
        answer = client.post("/v1/sessions", json={"email": email, "password": PASSWORD})
        tokens[role] = answer.get_json()["token"]
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    base = f"/v1/projects/{project.id}/forms/hotline"
    client.post(f"{base}/submissions", data=INSTANCE,
                headers={**admin, "Content-Type": "application/xml"})
    app.config["WEBHOOK_ALLOW_NETWORKS"] = "127.0.0.0/8"
    # A receiver nobody listens on: deliveries fail fast ("refused"), never leave the machine.
    hook = client.post(f"{base}/webhooks", headers=admin,
                       json={"url": "http://127.0.0.1:9/hook", "secret": "s" * 20}).get_json()
    job = client.get(f"{base}/submissions.csv?async=true", headers=admin).get_json()
    client.post(f"/v1/projects/{project.id}/channels/{channel.id}/simulate", headers=admin,
                json={"from": "+254700000001", "text": "hello"})
    for role in ("viewer", "formfill", "manager", "admin"):
        identities.append(Identity(role, {"Authorization": f"Bearer {tokens[role]}"}))
    real = {"projectId": project.id, "xmlFormId": "hotline", "instanceId": INSTANCE_ID,
            "actorId": app_user.actor_id, "channelId": channel.id, "webhookId": hook["id"],
            "jobId": job["id"], "version": "1", "role": "app-user",
            "name": "photo.jpg", "table": "Submissions", "format": "csv"}
    from app.models import Message, WebhookDelivery

    message = db.session.scalar(db.select(Message.id).limit(1))
    delivery = db.session.scalar(db.select(WebhookDelivery.id).limit(1))
    if message is not None:
        real["messageId"] = message
    if delivery is not None:
        real["deliveryId"] = delivery
    return identities, real
