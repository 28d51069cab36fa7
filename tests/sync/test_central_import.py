"""Moving in from ODK Central (through pyodk), tested against our own server speaking the
Central dialect: forms with every version and media, submissions with every version, files,
review states, comments and app users' names; run again, it only catches up."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Actor, AppUser, Comment, Form, FormVersion, Submission, SubmissionDef
from app.services import accounts, app_users, projects
from app.services import submissions as submission_service
from app.sync.central_import import import_project
from tests.conftest import PASSWORD
from tests.openrosa.collect_client import CollectClient
from tests.openrosa.fixtures import SITE_XFORM, jpeg, png, publish_xform, site_instance
from tests.sync import checks


def _odk_central(central) -> tuple[int, str, dict]:
    """A Central-dialect project: a form with two versions and media, app users who
    submitted (with photos, in several POSTs, and an edit), a review and a comment."""
    with central.ctx():
        pid = projects.create_project("Kibera water").id
        accounts.create_user("manager@example.org", PASSWORD, admin=True,
                             display_name="Wanjiku (manager)")
        db.session.commit()
        publish_xform(pid, SITE_XFORM.replace("{version}", "1"))
        from app.services import forms as form_service

        form = form_service.get_form(pid, "site_photos")
        form_service.set_attachment(form.current_version, "logo.png", png(24), "image/png")
        db.session.commit()
        amina, token_a = app_users.create_app_user(pid, "Amina's phone", None)
        juma, token_j = app_users.create_app_user(pid, "Juma's phone", None)
        for user in (amina, juma):
            app_users.assign_form(form, user.actor_id, "app-user")
        db.session.commit()
    photos = {"a.jpg": jpeg(30_000, seed=3), "b.jpg": jpeg(20_000, seed=4)}
    base = f"{central.url}/v1/key/{{}}/projects/{pid}"
    collect = CollectClient(base.format(token_a))
    assert collect.submit(site_instance("uuid:i1", photo="a.jpg", closeup="b.jpg"),
                          photos)[-1].status_code == 201
    assert collect.submit(site_instance("uuid:i2", site="Mathare"), {})[-1].status_code == 201
    # An edit carrying the photos over, then version 2 of the form and a submission to it.
    assert collect.submit(site_instance("uuid:i1e", site="Kibera East", photo="a.jpg",
                                        closeup="b.jpg", deprecated_id="uuid:i1"),
                          {})[-1].status_code == 201
    with central.ctx():
        publish_xform(pid, SITE_XFORM.replace("{version}", "2"))
    collect_j = CollectClient(base.format(token_j))
    assert collect_j.submit(site_instance("uuid:i3", version="2"), {})[-1].status_code == 201
    with central.ctx():
        form = db.session.scalar(select(Form))
        manager = accounts.find_user("manager@example.org")
        submission = submission_service.get_submission(form, "uuid:i1")
        submission_service.set_review_state(form, submission, "approved", manager.actor_id)
        submission_service.add_comment(submission, manager.actor_id, "Pump fixed on Monday")
        db.session.commit()
        wanted = checks.versions(pid)
    return pid, base, wanted


def test_import_copies_a_central_project_and_catches_up_when_run_again(central, field):
    pid, base, wanted = _odk_central(central)
    with field.ctx():
        progress: list[tuple[int, int]] = []
        result = import_project(central.url, "manager@example.org", PASSWORD, pid,
                                progress=lambda done, total: progress.append((done, total)))
        assert progress == [(1, 3), (2, 3), (3, 3)]  # what the command's progress bar shows
        local = result.project_id
        assert (result.app_users, result.submissions, result.versions, result.comments) == \
            (2, 3, 4, 1), result.summary()
        assert not result.skipped and not result.forms.skipped
        got = checks.versions(local)
        assert got.keys() == wanted.keys()
        for key, mine in wanted.items():
            for what in ("deprecated", "sha", "device", "current", "files", "review"):
                assert got[key][what] == mine[what], (key, what)
            # Central's API (and Central itself) keeps times to the millisecond.
            assert got[key]["at"] == mine["at"].replace(
                microsecond=mine["at"].microsecond // 1000 * 1000), key
        versions = db.session.scalars(select(FormVersion.version).where(
            FormVersion.published_at.is_not(None)).order_by(FormVersion.version)).all()
        assert versions == ["1", "2"]
        form = db.session.scalar(select(Form).where(Form.project_id == local))
        assert form.current_version.version == "2"
        first = db.session.scalar(select(FormVersion).where(FormVersion.version == "1"))
        assert [a.blob.size for a in first.attachments] == [len(png(24))]
        names = set(db.session.scalars(select(Actor.display_name).join(
            AppUser, AppUser.actor_id == Actor.id).where(AppUser.project_id == local)))
        assert names == {"Amina's phone", "Juma's phone"}
        assert db.session.scalars(select(AppUser.token_hash)).all() == [None, None]
        submitter = db.session.scalar(select(Actor.display_name).join(
            SubmissionDef, SubmissionDef.submitter_id == Actor.id).where(
            SubmissionDef.instance_id == "uuid:i3"))
        assert submitter == "Juma's phone"
        comment = db.session.scalar(select(Comment))
        assert comment.body == "Pump fixed on Monday"
        assert db.session.get(Actor, comment.actor_id).display_name == "Wanjiku (manager)"

        again = import_project(central.url, "manager@example.org", PASSWORD, pid)
        assert again.project_id == local
        assert (again.app_users, again.submissions, again.versions, again.comments,
                again.reviews, again.forms.versions_added) == (0, 0, 0, 0, 0, 0)
    with central.ctx():
        from sync.ingest import ingest

        ingest(project_id=pid, xml=site_instance("uuid:i4", version="2"), attachments={},
               channel="api", submitter_id=accounts.find_user("manager@example.org").actor_id,
               device_id=None)
        # An SMS submission has no submitter (Central's JSON says null): imported all the same.
        ingest(project_id=pid, xml=site_instance("uuid:i5", version="2", site="By SMS"),
               attachments={}, channel="sms", submitter_id=None, device_id=None)
        form = db.session.scalar(select(Form))
        submission_service.add_comment(submission_service.get_submission(form, "uuid:i2"),
                                       accounts.find_user("manager@example.org").actor_id,
                                       "Check the tap")
        db.session.commit()
    with field.ctx():
        caught_up = import_project(central.url, "manager@example.org", PASSWORD, pid)
        assert (caught_up.submissions, caught_up.versions, caught_up.comments) == (2, 2, 1)
        assert not caught_up.skipped, caught_up.summary()
        assert db.session.scalar(select(func.count(Submission.id))) == 5


def test_import_with_a_wrong_password_says_so(central, field):
    from app.sync.central_import import ImportError_

    with central.ctx():
        pid = projects.create_project("P").id
        accounts.create_user("m@example.org", PASSWORD, admin=True)
        db.session.commit()
    with field.ctx():
        try:
            import_project(central.url, "m@example.org", "wrong password!", pid)
        except ImportError_ as error:
            assert "refused" in str(error)
        else:
            raise AssertionError("a wrong password must stop the import")


def test_an_import_cut_again_and_again_is_finished_by_running_it_again(central, field):
    """Moving in over a bad line: every run the link cuts ends with 'run it again'; the runs
    together copy everything exactly once."""
    from app.sync.central_import import ImportError_
    from tests.sync.faultproxy import FaultProxy

    pid, _, wanted = _odk_central(central)
    proxy = FaultProxy(int(central.url.rsplit(":", 1)[1]), cut_every=6_000, max_cuts=8,
                       seed=17)
    try:
        stopped = []
        with field.ctx():
            for _ in range(30):
                try:
                    result = import_project(proxy.url, "manager@example.org", PASSWORD, pid)
                except ImportError_ as error:
                    assert "run it again" in str(error) or "cannot reach" in str(error) \
                        or "refused or failed" in str(error), error
                    stopped.append(str(error))
                    continue
                break
            else:
                raise AssertionError(f"the import never finished: {stopped[-3:]}")
            assert proxy.stats.cuts >= 2, proxy.stats
            got = checks.versions(result.project_id)
            assert got.keys() == wanted.keys()
            for key, mine in wanted.items():
                for what in ("deprecated", "sha", "device", "current", "files", "review"):
                    assert got[key][what] == mine[what], (key, what)
            assert db.session.scalar(select(func.count(Comment.id))) == 1
            assert db.session.scalar(select(func.count(AppUser.actor_id))) == 2
            assert db.session.scalar(select(func.count(FormVersion.id)).where(
                FormVersion.published_at.is_not(None))) == 2
            again = import_project(proxy.url, "manager@example.org", PASSWORD, pid)
            assert (again.submissions, again.versions, again.comments, again.app_users) == \
                (0, 0, 0, 0)
    finally:
        proxy.close()
