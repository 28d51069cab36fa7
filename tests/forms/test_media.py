"""Attachment slots found in an XForm's jr:// references."""

import pytest

from forms.errors import XFormParseError
from forms.media import AttachmentSlot, attachment_slots
from forms.xlsform import compile_upload
from tests.forms.xlsform_builder import build_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def media_form() -> bytes:
    header = ["type", "name", "label", "media::image", "media::audio", "media::video"]
    header += ["media::big-image", "calculation", "appearance"]
    survey = [
        header,
        ["note", "n1", "Look", "cow.png", "moo.mp3", "cow.mp4", "cow_big.jpg", "", ""],
        ["note", "n2", "Again", "cow.png", "", "", "", "", ""],
        ["select_one_from_file fruits.csv", "fruit", "Fruit", "", "", "", "", "", ""],
        ["select_one_from_file places.xml", "place", "Place", "", "", "", "", "", ""],
        ["calculate", "price", "", "", "", "", "", "pulldata('prices', 'p', 'k', ${fruit})", ""],
        ["select_one shops", "shop", "Shop", "", "", "", "", "", "search('shops')"],
        ["select_one yn", "ok", "Ok?", "", "", "", "", "", ""],
    ]
    choices = [
        ["list_name", "name", "label", "media::image"],
        ["yn", "yes", "Yes", "yes.png"],
        ["yn", "no", "No", ""],
        ["shops", "name_key", "name", ""],
    ]
    return compile_upload(build_xlsx(survey, choices), XLSX, validate=False).xml


def test_every_media_kind_becomes_one_sorted_slot():
    assert attachment_slots(media_form()) == (
        AttachmentSlot("cow.mp4", "video"),
        AttachmentSlot("cow.png", "image"),
        AttachmentSlot("cow_big.jpg", "image"),
        AttachmentSlot("fruits.csv", "file"),
        AttachmentSlot("moo.mp3", "audio"),
        AttachmentSlot("places.xml", "file"),
        AttachmentSlot("prices.csv", "file"),
        AttachmentSlot("shops.csv", "file"),
        AttachmentSlot("yes.png", "image"),
    )


def test_compiled_form_carries_its_attachment_slots():
    xml = media_form()
    assert compile_upload(xml, "application/xml", validate=False).attachments == (
        attachment_slots(xml)
    )


def test_external_instance_and_typed_reference_to_the_same_file_give_one_typed_slot():
    xml = b"""<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml">
    <h:head><model>
      <instance><data id="f"/></instance>
      <instance id="a" src="jr://file-csv/a.csv"/>
      <instance id="pic" src="jr://file/logo.png"/>
      <itext><translation lang="en"><text id="t"><value form="image">jr://images/logo.png</value>
      </text></translation></itext>
    </model></h:head><h:body/></h:html>"""
    assert attachment_slots(xml) == (
        AttachmentSlot("a.csv", "file"),
        AttachmentSlot("logo.png", "image"),
    )


def test_form_without_media_has_no_slots():
    xml = b'<h:html xmlns:h="http://www.w3.org/1999/xhtml"><h:head/></h:html>'
    assert attachment_slots(xml) == ()


def test_unparseable_xml_is_a_parse_error():
    with pytest.raises(XFormParseError):
        attachment_slots(b"<broken")
