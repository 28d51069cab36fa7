"""A field office's data for the sync tests and bench: submissions of the shared forms from
Collect, SMS and USSD, some with 1-5 MB photos, edits, review states and comments.

Everything is stored through `sync.ingest` (and the review/comment services), as the
office's own server would have stored it."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from app.extensions import db
from app.models import Submission
from app.services import submissions as submission_service
from forms.instance import build_instance
from forms.model import parse_xform
from sync.ingest import ingest

CHANNELS = ("collect",) * 16 + ("sms", "sms", "ussd", "api")
_JPEG_HEAD = bytes.fromhex("ffd8ffe000104a46494600010100000100010000")


def make_photo(size: int, seed: int) -> bytes:
    """A JPEG-shaped file of `size` bytes of noise (incompressible, as photos are)."""
    body = random.Random(seed).randbytes(max(0, size - len(_JPEG_HEAD) - 2))
    return _JPEG_HEAD + body + b"\xff\xd9"


def answers(name: str, n: int, photo: str | None = None) -> dict[str, object]:
    if name == "escuela":
        values = {"/data/provincia": "jujuy", "/data/escuela": f"Escuela N° {n}",
                  "/data/alumnos": 20 + n % 300, "/data/alumnas": 18 + n % 280,
                  "/data/comedor": "si", "/data/problema": f"Techo roto en aula {n % 9}"}
        if photo:
            values["/data/foto"] = photo
        return values
    if name == "health_post":
        return {"/data/visit_date": "2026-11-02", "/data/district": "kathmandu",
                "/data/facility": f"HP {n}", "/data/open_today": "yes",
                "/data/staff_doctors": n % 4, "/data/staff_nurses": 1 + n % 6,
                "/data/distance_km": round(0.5 + n % 40 / 3, 2),
                "/data/notes": "ओषधि अभाव " * (1 + n % 3)}
    if name == "sdg5_safety":
        return {"/data/consent": "yes", "/data/safe_now": "yes",
                "/data/survey/age": 18 + n % 60, "/data/survey/sex": "female",
                "/data/survey/county": "turkana", "/data/survey/safe_night": "no",
                "/data/survey/violence_12m": "no", "/data/survey/owns_phone": "yes",
                "/data/survey/n_children": 0, "/data/survey/story": f"Hadithi fupi {n}"}
    return {"/data/consent": "yes", "/data/wp/county": "nairobi", "/data/wp/ward": "kibra",
            "/data/wp/water_source": "kiosk", "/data/wp/functional": "yes",
            "/data/wp/minutes_to_fetch": 5 + n % 90, "/data/wp/price": 5,
            "/data/wp/comments": f"Maji ni machache siku ya {n % 7}"}


@dataclass
class Workload:
    """What was put in, so a test can check what came out."""

    versions: list[tuple[str, str]] = field(default_factory=list)  # (xmlFormId, instanceId)
    files: dict[str, bytes] = field(default_factory=dict)  # sha-less: name -> bytes
    edits: int = 0
    reviews: int = 0
    comments: int = 0


def populate(project_id: int, forms: dict[str, object], *, submissions: int, with_photos: int,
             photo_bytes: tuple[int, int], edits: int, reviewer_id: int | None = None,
             submitter_ids: list[int] | None = None, seed: int = 7,
             prefix: str = "w") -> Workload:
    """Store `submissions` instances spread over the forms (`with_photos` of them escuela
    with a photo of photo_bytes[0]..[1] bytes), then `edits` edits (some carrying the
    photo over), review states and comments. Inside the field office's app context."""
    rng = random.Random(seed)
    models = {name: parse_xform(form.current_version.xml.encode()) for name, form in
              forms.items()}
    work = Workload()
    names = list(forms)
    photo_slots = set(rng.sample(range(submissions), with_photos))
    stored = []
    for n in range(submissions):
        name = "escuela" if n in photo_slots else names[n % len(names)]
        instance_id = f"uuid:{prefix}-{n:06d}-0000-4000-8000-000000000000"
        files = {}
        photo = None
        if n in photo_slots:
            photo = f"foto-{n}.jpg"
            files[photo] = make_photo(rng.randint(*photo_bytes), seed=n)
            work.files[f"{instance_id}/{photo}"] = files[photo]
        xml = build_instance(models[name], answers(name, n, photo), instance_id=instance_id)
        channel = "collect" if photo else rng.choice(CHANNELS)
        submitter = rng.choice(submitter_ids) if submitter_ids and channel == "collect" \
            else None
        ingest(project_id=project_id, xml=xml, attachments=files, channel=channel,
               submitter_id=submitter, device_id=f"collect:{n % 7}" if submitter else None,
               user_agent="org.odk.collect.android/v2025.2.1" if submitter else None)
        work.versions.append((models[name].form_id, instance_id))
        stored.append((name, n, instance_id, photo))
    for name, n, instance_id, photo in rng.sample(stored, edits):
        new_id = f"uuid:{prefix}-{n:06d}-0001-4000-8000-000000000000"
        xml = build_instance(models[name], answers(name, n + 100_000, photo),
                             instance_id=new_id).replace(
            b"<instanceID>", f"<deprecatedID>{instance_id}</deprecatedID><instanceID>".encode(),
            1)
        ingest(project_id=project_id, xml=xml, attachments={}, channel="collect",
               submitter_id=None, device_id=None)
        work.versions.append((models[name].form_id, new_id))
        work.edits += 1
    for name, n, instance_id, _ in rng.sample(stored, max(1, submissions // 50)):
        form = forms[name]
        submission = submission_service.get_submission(form, instance_id)
        if reviewer_id is not None:
            submission_service.set_review_state(form, submission, rng.choice(
                ["approved", "hasIssues", "rejected"]), reviewer_id)
            submission_service.add_comment(submission, reviewer_id,
                                           f"Checked at the office ({n})")
            work.reviews += 1
            work.comments += 1
        db.session.commit()
    return work


def submission_count(project_id: int) -> int:
    from sqlalchemy import func, select

    from app.models import Form

    return db.session.scalar(select(func.count(Submission.id)).join(
        Form, Form.id == Submission.form_id).where(Form.project_id == project_id))
