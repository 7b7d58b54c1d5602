"""The catalogs in the repository: complete, consistent with the code, and within Slack's limits; and the
checker that says so, tried on catalogs broken on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.core.i18n import CONTEXT_LIMITS, LOCALES_DIR, SUPPORTED_LOCALES, load_catalog, placeholders
from bot.core.i18n_tools import KEYWORDS, check_catalogs, check_template


def test_every_catalog_has_every_template_id_translated_with_the_same_placeholders() -> None:
    assert check_catalogs() == []


def test_the_template_matches_what_the_code_marks_for_translation() -> None:
    assert check_template() == []


@pytest.mark.parametrize("tag", SUPPORTED_LOCALES)
def test_catalog_loads_with_no_unusable_entry(tag: str) -> None:
    catalog = load_catalog(tag)
    assert catalog.problems == {}
    assert len(catalog.messages) >= 40
    for (_context, _msgid), entry in catalog.messages.items():
        if isinstance(entry, tuple):
            assert len(entry) == catalog.nplurals


def test_plural_forms_per_locale() -> None:
    assert {tag: load_catalog(tag).nplurals for tag in SUPPORTED_LOCALES} == {
        "en": 2, "de": 2, "fr": 3, "es": 3, "pt-BR": 3, "ja": 1,
    }


@pytest.mark.parametrize("tag", SUPPORTED_LOCALES)
def test_buttons_options_modal_titles_and_headers_fit_slack(tag: str) -> None:
    catalog = load_catalog(tag)
    limited = 0
    for (context, msgid), entry in catalog.messages.items():
        limit = CONTEXT_LIMITS.get(context or "")
        if limit is None:
            continue
        limited += 1
        assert len(msgid) <= limit, (context, msgid)
        for text in entry if isinstance(entry, tuple) else (entry,):
            assert len(text) <= limit, (tag, context, msgid, text)
    assert limited >= 15
    assert CONTEXT_LIMITS["button"] == 75 and CONTEXT_LIMITS["modal-title"] == 24


def _copy_locales(tmp_path: Path) -> Path:
    target = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, target)
    return target


def _edit(path: Path, change) -> None:  # noqa: ANN001
    with path.open("rb") as handle:
        catalog = read_po(handle)
    change(catalog)
    with path.open("wb") as handle:
        write_po(handle, catalog)


FR_ANSWERS = "Jour {day} de la semaine de lancement\u00a0: {count} réponses"


def test_the_checker_names_the_catalog_and_the_id_of_each_problem(tmp_path: Path) -> None:
    locales = _copy_locales(tmp_path)
    de = locales / "de" / "LC_MESSAGES" / "golive.po"
    fr = locales / "fr" / "LC_MESSAGES" / "golive.po"
    ja = locales / "ja" / "LC_MESSAGES" / "golive.po"

    def break_de(catalog) -> None:  # noqa: ANN001
        catalog.delete("Thanks for telling us!")
        catalog.get("We are live, {customer}! Here is how to get help.").string = "Wir sind live!"
        catalog.get("launch week, day {day} of {total}").string = "Launch-Woche, Tag {day} von {gesamt}"
        catalog.get("What happened?").string = ""
        catalog.get("How bad is it?").flags.add("fuzzy")
        stuck = "Ich komme leider gerade überhaupt nicht weiter, " * 2
        catalog.get(":red_circle: Blocked", context="button").string = stuck
        catalog.get("Report a problem", context="modal-title").string = "Ein Problem an den Support melden"
        catalog.add("Not in the template", "Nicht in der Vorlage")

    def break_ja(catalog) -> None:  # noqa: ANN001
        catalog.get(("*{count} more launch*", "*{count} more launches*")).string = ("*ほか {n} 件のローンチ*",)

    _edit(de, break_de)
    fr.write_text(fr.read_text(encoding="utf-8").replace(f'msgstr[2] "{FR_ANSWERS}"\n', "", 1), encoding="utf-8")
    _edit(ja, break_ja)
    (locales / "it" / "LC_MESSAGES").mkdir(parents=True)
    shutil.rmtree(locales / "es")

    problems = check_catalogs(locales)
    text = "\n".join(problems)

    def has(*parts: str) -> bool:
        return any(all(part in problem for part in parts) for problem in problems)

    assert has(str(de), "'Thanks for telling us!'", "missing"), text
    live = "'We are live, {customer}! Here is how to get help.'"
    assert has(str(de), live, "placeholders [] differ from ['customer']"), text
    assert has(str(de), "'launch week, day {day} of {total}'", "['day', 'gesamt']"), text
    assert has(str(de), "'What happened?'", "not translated"), text
    assert has(str(de), "'How bad is it?'", "fuzzy"), text
    assert has(str(de), "':red_circle: Blocked'", "context 'button'", "at most 75"), text
    assert has(str(de), "'Report a problem'", "context 'modal-title'", "at most 24"), text
    assert has(str(de), "'Not in the template'", "not in the template"), text
    assert has(str(fr), "'Day {day} of launch week: {count} answer' form 2", "not translated"), text  # Babel pads
    assert has(str(ja), "'*{count} more launch*'", "['n'] differ from ['count']"), text
    assert has(str(locales / "it"), "not in SUPPORTED_LOCALES"), text
    assert has(str(locales / "es" / "LC_MESSAGES" / "golive.po"), "missing"), text
    assert not any(str(locales / "en") in problem or str(locales / "pt_BR") in problem for problem in problems), text


def test_the_checker_reports_an_unreadable_catalog_and_a_wrong_plural_header(tmp_path: Path) -> None:
    locales = _copy_locales(tmp_path)
    de = locales / "de" / "LC_MESSAGES" / "golive.po"
    de.write_text('msgid "Blocked"\nBlockiert\n', encoding="utf-8")
    ja = locales / "ja" / "LC_MESSAGES" / "golive.po"
    ja.write_text(ja.read_text(encoding="utf-8").replace('"Language: ja\\n"', '"Language: ko\\n"', 1), encoding="utf-8")
    pt = locales / "pt_BR" / "LC_MESSAGES" / "golive.po"
    # Spanish's rule pasted into the Portuguese catalog: 0 would take the plural form.
    pt.write_text(pt.read_text(encoding="utf-8").replace("plural=(n == 0 || n == 1) ? 0 :", "plural=n == 1 ? 0 :", 1),
                  encoding="utf-8")
    problems = check_catalogs(locales)
    assert any(str(de) in problem and "cannot be read" in problem for problem in problems), problems
    assert any(str(pt) in problem and "Plural-Forms" in problem for problem in problems), problems
    assert any(str(ja) in problem and "Language header says 'ko'" in problem for problem in problems), problems


def test_the_checker_flags_template_ids_that_are_not_valid_templates(tmp_path: Path) -> None:
    locales = _copy_locales(tmp_path)
    pot = locales / "golive.pot"

    def add(catalog) -> None:  # noqa: ANN001
        catalog.add("Hello {user.name}")
        catalog.add(("{count} thing", "{n} things"))

    _edit(pot, add)
    problems = check_catalogs(locales)
    assert any("'Hello {user.name}'" in p and "not a valid template" in p for p in problems), problems
    assert any("'{count} thing'" in p and "different placeholders" in p for p in problems), problems


def test_placeholders() -> None:
    assert placeholders("Day {day} of {total}") == {"day", "total"}
    assert placeholders("{count:>3} {{literal}}") == {"count"}
    assert placeholders("no fields") == frozenset()
    for bad in ("{0}", "{}", "{user.name}", "{items[0]}", "stray {", "stray }", "{x:{y}}"):
        assert placeholders(bad) is None, bad


def test_extraction_recognises_the_call_names(tmp_path: Path) -> None:
    (tmp_path / "sample.py").write_text(
        "from bot.core.i18n import N_, NP_, translator\n"
        "LABEL = N_('Defined at import time')\n"
        "BUTTON = NP_('button', 'A button defined at import time')\n"
        "def post(t, name, n):\n"
        "    t.gettext('Hello, {name}!', name=name)\n"
        "    t.pgettext('modal-title', 'A title')\n"
        "    t.ngettext('{count} day', '{count} days', n)\n"
        "    translator('de').npgettext('button', '{count} file', '{count} files', n, count=n)\n"
        "    _('an underscore is not a marker here')\n",
        encoding="utf-8",
    )
    found = {(context, message) for _f, _l, message, _c, context in extract_from_dir(str(tmp_path), keywords=KEYWORDS)}
    assert found == {
        (None, "Defined at import time"),
        ("button", "A button defined at import time"),
        (None, "Hello, {name}!"),
        ("modal-title", "A title"),
        (None, ("{count} day", "{count} days")),
        ("button", ("{count} file", "{count} files")),
    }


def test_the_template_checker_names_new_and_vanished_ids(tmp_path: Path) -> None:
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "posts.py").write_text(
        "def post(t):\n"
        "    t.gettext('Thanks for telling us!')\n"
        "    t.gettext('A brand new string')\n"
        "    t.ngettext('*{count} more launch*', '*{count} more replies*', 2)\n",
        encoding="utf-8",
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("t.gettext('only in tests')\n", encoding="utf-8")
    problems = check_template(tmp_path, LOCALES_DIR / "golive.pot")
    assert any("'A brand new string' is in the code but not the template" in p for p in problems), problems
    assert any("'What happened?' is no longer in the code" in p for p in problems), problems
    assert any("'*{count} more launch*': the plural differs" in p for p in problems), problems
    assert not any("'Thanks for telling us!'" in p or "only in tests" in p for p in problems), problems
