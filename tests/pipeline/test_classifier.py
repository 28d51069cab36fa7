"""The SDG free-text classifier, run against the shipped artefact."""

from __future__ import annotations

import pytest

from app.pipeline.classifier import GoalScore, detect_language, load_classifier
from app.pipeline.classifier.lookup import LeafIndex
from app.pipeline.classifier.query import TextIndex, compile_query, match
from app.pipeline.classifier.text import tokens


@pytest.fixture(scope="module")
def clf():
    return load_classifier()


def goals(clf, text: str, lang: str | None = None) -> list[int]:
    return [s.goal for s in clf.classify(text, lang)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kisima cha maji kimeharibika na watoto wanakunywa maji machafu", {6}),
        ("Hakuna dawa katika zahanati yetu", {3}),
        ("Watoto hawaendi shule kwa sababu ya ada", {4}),
        ("La escuela no tiene maestros suficientes", {4}),
        ("El pozo está seco y no hay agua potable", {6}),
        ("Mi esposo me pega cuando le pido dinero", {5, 16}),
        ("गाउँमा स्वास्थ्य चौकी छैन", {3}),
        ("विद्यालयमा शिक्षक छैनन्", {4}),
        ("मेरो श्रीमानले मलाई कुट्छ", {5, 16}),
        ("My husband beats me when I ask for money", {5, 16}),
        ("The police asked for a bribe before they would register my case", {16}),
        ("No electricity in our village for two weeks", {7}),
        ("Our crops failed this year and the children are hungry", {2}),
    ],
)
def test_citizen_text_top_goal_is_the_expected_one(clf, text, expected):
    suggested = goals(clf, text)
    assert suggested, f"nothing suggested for {text!r}"
    assert suggested[0] in expected


def test_a_water_complaint_is_not_tagged_with_unrelated_goals(clf):
    assert goals(clf, "Kisima cha maji kimeharibika na watoto wanakunywa maji machafu") == [6]


@pytest.mark.parametrize(
    "text", ["", "   ", "hello how are you", "Gracias por su respuesta", "sawa"]
)
def test_texts_without_sdg_content_get_no_goal(clf, text):
    assert clf.classify(text) == []


def test_classify_is_sorted_best_first_and_above_threshold(clf):
    text = (
        "Women farmers cannot get credit or own land, so their children go hungry and drop out of "
        "school; the clinic is far away and the water from the well is dirty."
    )
    result = clf.classify(text)
    assert len(result) >= 2
    assert all(isinstance(s, GoalScore) for s in result)
    assert [s.score for s in result] == sorted((s.score for s in result), reverse=True)
    assert all(clf.threshold <= s.score <= 1 for s in result)


def test_scores_cover_all_17_goals_and_agree_with_classify(clf):
    text = "The borehole pump is broken and there is no clean drinking water"
    scores = clf.scores(text)
    assert sorted(scores) == list(range(1, 18))
    assert all(0.0 <= v <= 1.0 for v in scores.values())
    assert max(scores, key=scores.get) == 6
    assert {s.goal for s in clf.classify(text)} == {
        g for g, v in scores.items() if v >= clf.threshold
    }


def test_explicit_language_overrides_detection(clf):
    # Read as English, Kiswahili words are unknown: no evidence, no goal.
    assert goals(clf, "kisima cha maji", "en") == []
    assert goals(clf, "kisima cha maji", "sw") == [6]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The school has no teachers and the children sit at home", "en"),
        ("La escuela no tiene maestros suficientes", "es"),
        ("Kisima cha maji kimeharibika na watoto wanakunywa maji machafu", "sw"),
        ("Mume wangu ananipiga", "sw"),
        ("Barabara ya kwenda sokoni imeharibika", "sw"),
        ("Hace tres días que no hay luz en el barrio", "es"),
        ("गाउँमा स्वास्थ्य चौकी छैन", "ne"),
        ("", "en"),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize("lang", ["sw", "SW", "sw-KE", "Kiswahili (sw)", "Swahili (sw-TZ)"])
def test_language_may_be_given_as_a_code_or_an_xlsform_label(clf, lang):
    assert goals(clf, "kisima cha maji", lang) == [6]


def test_an_unsupported_language_falls_back_to_detection(clf):
    assert goals(clf, "Kisima cha maji kimeharibika", "fr") == [6]


def test_version_names_the_model_and_the_artefact(clf):
    assert clf.version.startswith("kw-bench-2026.11+")
    assert len(clf.version.split("+")[1]) == 8
    assert load_classifier() is clf


def test_devanagari_words_keep_their_vowel_signs():
    assert tokens("गाउँमा स्वास्थ्य चौकी छैन।") == ["गाउँमा", "स्वास्थ्य", "चौकी", "छैन"]


def test_aurora_proximity_and_wildcards_match_like_scopus():
    query = compile_query('( "drinking" W/3 "water" ) W/3 ( "access*" OR "safe*" )')
    assert match(query, TextIndex(tokens("Access to safe drinking water is poor")))
    assert not match(query, TextIndex(tokens("Access matters. " + "x " * 5 + "drinking water")))
    negated = compile_query('"ocean*" AND NOT "ocean acidification"')
    assert match(negated, TextIndex(tokens("the oceans are rising")))
    assert not match(negated, TextIndex(tokens("ocean acidification harms corals")))


def test_leaf_index_only_skips_queries_that_cannot_match():
    queries = [
        compile_query('( "drinking" W/3 "water" ) W/3 ( "access*" OR "safe*" )'),
        compile_query('"ocean*" AND NOT "ocean acidification"'),
        compile_query('"child labour" OR "forced labour"'),
    ]
    leaf_index = LeafIndex(queries)
    for text in ["Safe drinking waters for all", "Oceans and forced labour", "nothing here"]:
        index = TextIndex(tokens(text))
        matching = {i for i, q in enumerate(queries) if match(q, index)}
        assert matching <= leaf_index.candidates(index)
    assert leaf_index.candidates(TextIndex(tokens("nothing here"))) == set()


def test_a_second_goal_needs_half_the_evidence_of_the_first(clf):
    # Plastic in a river: waste (12) and water (6) both qualify; nothing unrelated rides along.
    result = goals(clf, "The river is full of plastic waste")
    assert result[0] == 12
    assert set(result) <= {6, 11, 12, 14}


# Written after the lexicon was first frozen, as a held-out check (first run: en 9, es 9, sw 7,
# ne 7 of 10); a few words were added after it, so it is now a regression gate, not a measure.
CITIZEN_TEXTS = {
    "en": [
        ("The nearest health centre is 20 km away and has no ambulance", {3}),
        ("Our children walk two hours to reach the secondary school", {4}),
        ("Since the factory opened, the stream smells and the fish have died", {6, 14, 12}),
        ("The chief took our land and gave it to an investor", {1, 2, 15, 16}),
        ("We have no toilet so people go in the bush", {6}),
        ("My wife is not allowed to own land in her name", {5, 1}),
        ("Prices of maize flour doubled this month", {2}),
        ("The solar lamps donated last year no longer work", {7}),
        ("Young men are leaving for the Gulf because there is no work", {8}),
        ("The councillor stole the bursary money", {16, 4}),
    ],
    "es": [
        ("El hospital no tiene ambulancia ni medicamentos", {3}),
        ("Mi hijo dejó la escuela para trabajar en la cosecha", {4, 8}),
        ("La fábrica tira desechos al río", {6, 12, 14}),
        ("No tenemos baño en la casa", {6}),
        ("Mi pareja me amenaza y me golpea", {5, 16}),
        ("El precio de la harina subió mucho", {2}),
        ("Hace meses que no tenemos luz eléctrica", {7}),
        ("Los jóvenes no consiguen empleo en el pueblo", {8}),
        ("El intendente se robó la plata del comedor", {16, 2}),
        ("Se inundaron las casas del barrio por la lluvia", {11, 13}),
    ],
    "sw": [
        ("Kituo cha afya hakina dawa wala daktari", {3}),
        ("Mwanangu ameacha shule kwa sababu hatuna pesa za ada", {4, 1}),
        ("Kiwanda kinamwaga taka mtoni", {6, 12}),
        ("Hatuna choo nyumbani", {6}),
        ("Mume wangu ananipiga kila siku", {5, 16}),
        ("Bei ya unga imepanda sana", {2}),
        ("Hatuna umeme kijijini kwetu", {7}),
        ("Vijana hawana kazi hapa kijijini", {8}),
        ("Mwenyekiti aliiba pesa za mradi", {16}),
        ("Mafuriko yameharibu nyumba zetu", {11, 13}),
    ],
    "ne": [
        ("अस्पतालमा डाक्टर र औषधि छैन", {3}),
        ("मेरो छोरो पैसा नभएर विद्यालय छोड्यो", {4, 1}),
        ("कारखानाले खोलामा फोहोर फाल्छ", {6, 12}),
        ("घरमा शौचालय छैन", {6}),
        ("मेरो श्रीमानले मलाई दिनहुँ कुट्छन्", {5, 16}),
        ("चामलको मूल्य धेरै बढ्यो", {2}),
        ("हाम्रो गाउँमा बिजुली आएको छैन", {7}),
        ("गाउँका युवाहरू काम नपाएर विदेश गए", {8}),
        ("वडा अध्यक्षले योजनाको पैसा चोर्यो", {16}),
        ("बाढीले हाम्रो घर बगायो", {11, 13}),
    ],
}


def test_most_hand_written_citizen_texts_get_an_acceptable_top_goal(clf):
    misses = [
        (lang, text)
        for lang, cases in CITIZEN_TEXTS.items()
        for text, acceptable in cases
        if not (result := clf.classify(text)) or result[0].goal not in acceptable
    ]
    assert len(misses) <= 5, misses


PARTNERSHIP_PARAGRAPH = (
    "Official development assistance from donor countries fell again last year, and many least "
    "developed countries struggle to mobilise domestic resources through taxation. Technology "
    "transfer, capacity building for national statistical offices and fair trade rules are "
    "essential if the global partnership for sustainable development is to deliver the means of "
    "implementation."
)


def test_english_paragraphs_use_the_benchmark_layer_and_short_or_other_texts_the_base(clf):
    assert clf.features(PARTNERSHIP_PARAGRAPH)[0] == "en"
    assert goals(clf, PARTNERSHIP_PARAGRAPH)[0] == 17
    assert clf.features("No electricity in our village for two weeks")[0] == "base"
    spanish = "La escuela no tiene maestros suficientes y los niños se quedan en casa " * 5
    assert clf.features(spanish)[0] == "base"
    name, feats = clf.features(PARTNERSHIP_PARAGRAPH)
    assert all(len(f) == 7 for f in feats.values())


def test_fit_layer_learns_per_goal_weights_on_a_toy_problem():
    from app.pipeline.classifier.fit import fit_layer, layer_score

    # Goal 0: feature 0 decides; goal 1: feature 1 decides. Shared + per-goal weights can do both.
    x, y, groups = [], [], []
    for k in range(40):
        hi, lo = 1.0 + (k % 5) / 10, (k % 5) / 10
        x += [[hi, lo], [lo, hi], [lo, hi], [hi, lo]]
        y += [1, 0, 1, 0]
        groups += [0, 0, 1, 1]
    layer = fit_layer(x, y, groups, 2, l2_goal=0.1)
    assert layer_score(layer, 0, [1.2, 0.1]) > 0.8
    assert layer_score(layer, 0, [0.1, 1.2]) < 0.2
    assert layer_score(layer, 1, [0.1, 1.2]) > 0.8
    assert layer_score(layer, 1, [1.2, 0.1]) < 0.2


def test_benchmark_tables_are_unit_centroids_of_yes_and_no_texts():
    from app.pipeline.classifier.build import bench_tables

    stems = [["water", "well"], ["water", "pump"], ["school", "teacher"], ["school", "fee"]]
    tables = bench_tables(stems, [1, 1, 0, 1], [6, 6, 6, 4], min_df=1)
    yes6 = tables["yes"][6]
    assert abs(sum(v * v for v in yes6.values()) - 1) < 1e-3
    assert "water" in yes6 and "school" not in yes6
    assert set(tables["no"][6]) == {"school", "teacher"}
    assert tables["yes"][1] == {}


def test_design_rows_compare_each_goal_with_the_best_of_the_others():
    import random

    from app.pipeline.classifier.model import GOALS, design_rows, evidence

    rng = random.Random(7)
    for case in range(300):
        # Ties at the top and all-zero evidence included.
        raw = {g: [float(rng.choice([0, 0, 1, 2])) for _ in range(3)]
               + [rng.choice([0.0, 0.1, 0.25]), rng.choice([0.0, 0.2])] for g in GOALS}
        if case % 50 == 0:
            raw = {g: [0.0] * 5 for g in GOALS}
        rows = design_rows(raw, 12)
        ev = {g: evidence(raw[g]) for g in GOALS}
        for g in GOALS:
            others = max(v for k, v in ev.items() if k != g)
            assert rows[g][7] == (1.0 if ev[g] > others else 0.0)


def test_nonzero_dots_are_the_dots_that_are_not_zero():
    from app.pipeline.classifier.lookup import Postings

    postings = Postings([{"maji": 0.6, "safi": 0.8}, {"shule": 1.0}, {"maji": 1.0}])
    vec = {"maji": 0.5, "chafu": 0.5}
    assert postings.dots(vec) == [0.3, 0.0, 0.5]
    assert postings.nonzero_dots(vec) == {0: 0.3, 2: 0.5}
