"""Tools for translators and reviewers: extract, update, init and check golive's gettext catalogs.

    python -m bot.core.i18n_tools extract        # code → bot/locales/golive.pot
    python -m bot.core.i18n_tools update         # golive.pot → every bot/locales/*/LC_MESSAGES/golive.po
    python -m bot.core.i18n_tools init it        # a new locale's golive.po from the template
    python -m bot.core.i18n_tools check          # every problem in the template and the catalogs; exit 1 if any
    python -m bot.core.i18n_tools preview de     # every message of the template in that locale, with sample values

extract, update and init run `pybabel` with the arguments in PYBABEL_*, which bot/locales/README.md spells out
for running pybabel by hand. `check_catalogs()` and `check_template()` are what the tests assert on.
"""

from __future__ import annotations

import fnmatch
import gettext
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import CommandLineInterface, parse_mapping_cfg
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from bot.core.i18n import (
    CONTEXT_LIMITS,
    DOMAIN,
    LOCALES_DIR,
    SUPPORTED_LOCALES,
    Translator,
    catalog_dir_name,
    parse_locale,
    placeholders,
)

ROOT = LOCALES_DIR.parents[1]
TEMPLATE = LOCALES_DIR / f"{DOMAIN}.pot"
MAPPING = ROOT / "babel.cfg"

# The call names extraction looks for (Babel keyword specs: 1c = the first argument is the context).
# `_` is left out on purpose: it is too common in Python as a throwaway name.
KEYWORDS: dict[str, object] = {
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "N_": None,
    "NP_": ((1, "c"), 2),
}
KEYWORD_ARGS = ["gettext", "ngettext:1,2", "pgettext:1c,2", "npgettext:1c,2,3", "N_", "NP_:1c,2"]
COMMENT_TAG = "TRANSLATORS:"
IGNORE_DIRS = ".* _* venv tests"

PYBABEL_EXTRACT = [
    "extract", "-F", "babel.cfg", "-o", "bot/locales/golive.pot",
    "--no-default-keywords", *[arg for kw in KEYWORD_ARGS for arg in ("-k", kw)],
    f"--add-comments={COMMENT_TAG}", "--strip-comment-tags", "--add-location=file",
    f"--ignore-dirs={IGNORE_DIRS}", "--project=golive", "--copyright-holder=golive contributors", ".",
]
PYBABEL_UPDATE = ["update", "-i", "bot/locales/golive.pot", "-d", "bot/locales", "-D", DOMAIN]
PYBABEL_INIT = ["init", "-i", "bot/locales/golive.pot", "-d", "bot/locales", "-D", DOMAIN, "-l"]


def _pybabel(args: list[str]) -> int:
    here = Path.cwd()
    os.chdir(ROOT)
    try:
        return CommandLineInterface().run(["pybabel", *args]) or 0
    finally:
        os.chdir(here)


def _label(message_id: str | tuple[str, ...], context: str | None) -> str:
    msgid = message_id[0] if isinstance(message_id, tuple) else message_id
    return f"{msgid!r}" + (f" (context {context!r})" if context else "")


def _read(path: Path, problems: list[str]) -> PoCatalog | None:
    try:
        with path.open("rb") as handle:
            return read_po(handle, domain=DOMAIN, abort_invalid=True)
    except Exception as exc:
        problems.append(f"{path}: cannot be read ({type(exc).__name__}: {exc})")
        return None


def check_catalogs(locales_dir: Path = LOCALES_DIR, locales: Iterable[str] = SUPPORTED_LOCALES,
                   template: Path | None = None) -> list[str]:
    """Every problem with the catalogs, one line each naming the file and the message id; [] when none.

    Against the template (golive.pot) each catalog must have every id, translated (not fuzzy, not empty),
    with exactly the id's `{placeholders}` in every form, as many plural forms as its Plural-Forms header says
    (which must be Babel's for the locale), and within CONTEXT_LIMITS for its context. Ids not in the
    template, catalog folders for locales not in SUPPORTED_LOCALES, and template ids that are not valid
    templates (or whose singular and plural name different placeholders) are problems too."""
    problems: list[str] = []
    template = template if template is not None else locales_dir / f"{DOMAIN}.pot"
    pot = _read(template, problems)
    if pot is None:
        return problems
    wanted = {}
    for message in pot:
        if not message.id:
            continue
        key = (message.context, message.id[0] if isinstance(message.id, tuple) else message.id)
        wanted[key] = message
        texts = message.id if isinstance(message.id, tuple) else (message.id,)
        names = [placeholders(text) for text in texts]
        if any(found is None for found in names):
            problems.append(f"{template}: {_label(message.id, message.context)} is not a valid template "
                            "(stray brace, or a placeholder that is not a plain name)")
        elif len(set(names)) > 1:
            problems.append(f"{template}: {_label(message.id, message.context)}: singular and plural name "
                            "different placeholders")

    tags = [parse_locale(tag) for tag in locales]
    known_dirs = {catalog_dir_name(tag) for tag in SUPPORTED_LOCALES}
    if locales_dir.is_dir():
        for child in sorted(locales_dir.iterdir()):
            if child.is_dir() and child.name not in known_dirs and not child.name.startswith((".", "_")):
                problems.append(f"{child}: a catalog folder for a locale not in SUPPORTED_LOCALES")

    for tag in tags:
        path = locales_dir / catalog_dir_name(tag) / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not path.exists():
            problems.append(f"{path}: missing (create it with: python -m bot.core.i18n_tools init {tag})")
            continue
        po = _read(path, problems)
        if po is None:
            continue
        problems.extend(_check_one(path, tag, po, wanted))
    return problems


def _check_one(path: Path, tag: str, po: PoCatalog, wanted: dict) -> list[str]:
    problems: list[str] = []
    if po.locale_identifier != tag.replace("-", "_"):
        problems.append(f"{path}: its Language header says {po.locale_identifier!r}, not {tag.replace('-', '_')!r}")
    expected_plural = get_plural(tag.replace("-", "_"))
    if (po.num_plurals, po.plural_expr) != (expected_plural.num_plurals, expected_plural.plural_expr):
        problems.append(f"{path}: Plural-Forms is {po.plural_forms!r}; Babel's for {tag} is "
                        f"{expected_plural.plural_forms!r}")
    try:
        gettext.c2py(po.plural_expr)
    except ValueError as exc:
        problems.append(f"{path}: Plural-Forms expression cannot be used ({exc})")
    seen = set()
    for message in po:
        if not message.id:
            continue
        key = (message.context, message.id[0] if isinstance(message.id, tuple) else message.id)
        seen.add(key)
        label = _label(message.id, message.context)
        source = wanted.get(key)
        if source is None:
            problems.append(f"{path}: {label} is not in the template (run update, or delete it)")
            continue
        if isinstance(source.id, tuple) != isinstance(message.id, tuple) or (
            isinstance(source.id, tuple) and source.id != message.id
        ):
            problems.append(f"{path}: {label}: singular/plural ids differ from the template (run update)")
            continue
        if message.fuzzy:
            problems.append(f"{path}: {label} is marked fuzzy: check the translation and remove the flag")
        ids = source.id if isinstance(source.id, tuple) else (source.id,)
        expected = set().union(*(placeholders(text) or () for text in ids))
        forms = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        if isinstance(source.id, tuple) and len(forms) != po.num_plurals:
            problems.append(f"{path}: {label} has {len(forms)} plural forms; Plural-Forms says {po.num_plurals}")
        limit = CONTEXT_LIMITS.get(message.context or "")
        for index, form in enumerate(forms):
            where = f"{label}" + (f" form {index}" if len(forms) > 1 else "")
            if not form or not form.strip():
                problems.append(f"{path}: {where} is not translated")
                continue
            found = placeholders(form)
            if found is None:
                problems.append(f"{path}: {where}: the translation is not a valid template")
            elif found != expected:
                problems.append(f"{path}: {where}: placeholders {sorted(found)} differ from {sorted(expected)}")
            if limit is not None and len(form) > limit:
                problems.append(f"{path}: {where}: {len(form)} characters; a {message.context} has at most {limit}")
    for key, source in wanted.items():
        if key not in seen:
            problems.append(f"{path}: {_label(source.id, source.context)} is missing (run update, then translate)")
    return problems


def extracted_messages(root: Path = ROOT) -> dict[tuple[str | None, str], tuple[str, ...]]:
    """What extraction finds in the code now: (context, msgid) → the id texts (singular, plural)."""
    with MAPPING.open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    ignore = IGNORE_DIRS.split()
    tops = {pattern.split("/")[0] for pattern, _method in method_map}  # bot, handlers: walk nothing else
    base = Path(root).resolve()

    def keep(dirname: str) -> bool:
        path = Path(dirname).resolve()
        if path.parent == base and path.name not in tops:
            return False
        return not any(fnmatch.fnmatch(path.name, pattern) for pattern in ignore)

    found = {}
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(root), method_map, options_map, keywords=KEYWORDS, directory_filter=keep
    ):
        texts = message if isinstance(message, tuple) else (message,)
        found[(context, texts[0])] = tuple(texts)
    return found


def check_template(root: Path = ROOT, template: Path = TEMPLATE) -> list[str]:
    """Differences between what the code marks for translation and golive.pot; [] when it is up to date."""
    problems: list[str] = []
    pot = _read(template, problems)
    if pot is None:
        return problems
    in_pot = {}
    for message in pot:
        if message.id:
            texts = message.id if isinstance(message.id, tuple) else (message.id,)
            in_pot[(message.context, texts[0])] = tuple(texts)
    in_code = extracted_messages(root)
    for key in sorted(in_code.keys() - in_pot.keys(), key=str):
        problems.append(f"{template}: {_label(key[1], key[0])} is in the code but not the template (run extract)")
    for key in sorted(in_pot.keys() - in_code.keys(), key=str):
        problems.append(f"{template}: {_label(key[1], key[0])} is no longer in the code (run extract)")
    for key in sorted(in_code.keys() & in_pot.keys(), key=str):
        if in_code[key] != in_pot[key]:
            problems.append(f"{template}: {_label(key[1], key[0])}: the plural differs from the code (run extract)")
    return problems


def preview_messages(t: Translator, template: Path = TEMPLATE) -> list[str]:
    """Every message of the template rendered by `t`, each `{placeholder}` filled with its name in ‹›, plurals
    for 1 and 5: what a translator checks a catalog with (`preview`), and what the tests render in every locale."""
    with template.open("rb") as handle:
        pot = read_po(handle, domain=DOMAIN)
    out: list[str] = []
    for message in pot:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        names = set().union(*(placeholders(text) or () for text in ids))
        values = {name: f"‹{name}›" for name in names if name != "count" or len(ids) == 1}
        if len(ids) == 1:
            if message.context:
                out.append(t.pgettext(message.context, ids[0], **values))
            else:
                out.append(t.gettext(ids[0], **values))
            continue
        for n in (1, 5):
            if message.context:
                out.append(t.npgettext(message.context, ids[0], ids[1], n, **values))
            else:
                out.append(t.ngettext(ids[0], ids[1], n, **values))
    return out


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args.pop(0) if args else "help"
    if command == "extract":
        return _pybabel(PYBABEL_EXTRACT)
    if command == "update":
        return _pybabel(PYBABEL_UPDATE)
    if command == "init" and len(args) == 1:
        return _pybabel([*PYBABEL_INIT, args[0].replace("-", "_")])
    if command == "check":
        problems = check_template() + check_catalogs()
        for problem in problems:
            print(problem)
        print(f"{len(problems)} problem(s)" if problems else "catalogs OK")
        return 1 if problems else 0
    if command == "preview" and len(args) <= 1:

        t = Translator(args[0] if args else "en")
        for text in preview_messages(t):
            print(text)
        return 0
    print(__doc__)
    return 0 if command in ("help", "-h", "--help") else 2


if __name__ == "__main__":
    raise SystemExit(main())
