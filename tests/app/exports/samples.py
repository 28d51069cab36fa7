"""Instances of the shared forms (and a phone-number form) that the export tests submit.

Each test file varies a few answers to probe its format (quotes for CSV, a formula for XLSX,
an unparsable number for the cleaner), so the water-point and safety instances are templates.
"""
from __future__ import annotations

_WP = """<?xml version='1.0' encoding='UTF-8' ?>
<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms"
 id="water_point" version="2026112601"><start>2026-11-20T09:00:00.000+03:00</start>
<end>2026-11-20T09:12:00.000+03:00</end><consent>yes</consent><wp><county>kisumu</county>
<ward>kolwa_east</ward><water_source>borehole</water_source><source_other/>
<functional>no</functional><days_broken>12</days_broken><minutes_to_fetch>45</minutes_to_fetch>
<who_fetches>women girls</who_fetches><price>2.5</price><households>120</households>
<location>-0.0917 34.768 1131.2 4.5</location><comments>{comments}</comments></wp>
<thanks/><meta><instanceID>uuid:wp-1</instanceID></meta></data>"""

_SAFE = """<?xml version='1.0' encoding='UTF-8' ?>
<data xmlns:orx="http://openrosa.org/xforms" id="sdg5_safety" version="4"><consent>yes</consent>
<safe_now>yes</safe_now><survey><age>34</age><sex>female</sex><county>kisumu</county>
<safe_night>no</safe_night><violence_12m>yes</violence_12m>
<violence_type>physical sexual</violence_type><reported>no</reported><why_not>fear</why_not>
<owns_phone>yes</owns_phone><decides_income>{decides_income}</decides_income><n_children>2</n_children>
<child><child_pos>1</child_pos><child_age>5</child_age><child_sex>{first_sex}</child_sex>
<in_school>yes</in_school></child><child><child_pos>2</child_pos><child_age>{second_age}</child_age>
<child_sex>{second_sex}</child_sex><in_school>no</in_school></child><story>ok</story></survey><thanks/>
<orx:meta><orx:instanceID>uuid:safe-1</orx:instanceID></orx:meta></data>"""

# Declined consent, as Collect sends it: safe_now and the survey group were not relevant, so
# they are left out.
SAFE_DECLINED_XML = """<?xml version='1.0' encoding='UTF-8' ?>
<data xmlns:orx="http://openrosa.org/xforms" id="sdg5_safety" version="4"><consent>no</consent>
<thanks/><orx:meta><orx:instanceID>uuid:safe-declined</orx:instanceID></orx:meta></data>"""

HP_XML = """<data id="health_post" version="2026.11.1"><visit_date>2026-11-02</visit_date>
<district>gorkha</district><facility>Barpak HP</facility><open_today>yes</open_today>
<staff_doctors>1</staff_doctors><staff_nurses>2</staff_nurses><staff_total>3</staff_total>
<stockouts>ors iron</stockouts><distance_km>4.25</distance_km><quake_damage>no</quake_damage>
<birth_service>yes</birth_service><notes/><summary/>
<meta><instanceID>uuid:hp-1</instanceID></meta></data>"""

PHONE_FORM = """<?xml version="1.0"?><h:html xmlns="http://www.w3.org/2002/xforms"
 xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa"><h:head>
<h:title>Hotline</h:title><model><instance><data id="hotline" version="1"><issue/><phone/>
<meta><instanceID/></meta></data></instance>
<bind nodeset="/data/issue" type="string"/>
<bind nodeset="/data/phone" type="string" jr:preload="property" jr:preloadParams="phonenumber"/>
<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
</model></h:head><h:body><input ref="/data/issue"><label>Issue</label></input></h:body></h:html>"""
PHONE_XML = ('<data id="hotline" version="1"><issue>no water</issue><phone>+254712345678</phone>'
             '<meta><instanceID>uuid:h-1</instanceID></meta></data>')
NUMBER = "+254712345678"


def wp_xml(comments: str = "pump broken") -> str:
    """A water_point instance, uuid:wp-1; `comments` must already be XML-safe."""
    return _WP.format(comments=comments)


def safe_xml(decides_income: str = "jointly", second_age: str = "9",
             sexes: tuple[str, str] = ("girl", "boy")) -> str:
    """An sdg5_safety (version 4) instance, consent and safety check answered yes, with two
    children in the repeat inside the survey group; uuid:safe-1."""
    return _SAFE.format(decides_income=decides_income, second_age=second_age,
                        first_sex=sexes[0], second_sex=sexes[1])


def personal_hash(value: str) -> str:
    """What every representation shows for a personal answer under the tests' PHONE_HASH_KEY."""
    from forms.privacy import mask

    return mask(value, b"test-phone-key")
