"""The shipped translations: complete, compiled, and actually used.

The .po files are read with a few lines of code (no polib); msgfmt and
makemessages are only needed by the tests that rebuild a catalog, which skip
when GNU gettext is not installed.
"""

import ast
import gettext as gnu_gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import translation
from django.utils.translation import gettext, ngettext

import livechat
from livechat.models import Conversation

# The app under test: the checkout's, or the installed wheel's (check-package).
APP_DIR = Path(livechat.__file__).resolve().parent
LOCALE_DIR = APP_DIR / "locale"

# Django language code -> locale directory name.
LANGUAGES = {"es": "es", "ru": "ru", "zh-hans": "zh_Hans"}

PLURAL_FORMS = {
    "es": "nplurals=2; plural=(n != 1);",
    "ru": (
        "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
        "(n%100<10 || n%100>=20) ? 1 : 2);"
    ),
    "zh_Hans": "nplurals=1; plural=0;",
}

# A few strings from each surface: widget, console, admin, models, app config.
EXPECTED = {
    "es": {
        "open_chat": "Abrir chat",
        "connecting": "Conectando…",
        "conversation": "conversación",
        "conversations": "conversaciones",
        "status": "estado",
        "app": "Chat en vivo",
        "joined": "Ana se ha unido al chat.",
    },
    "ru": {
        "open_chat": "Открыть чат",
        "connecting": "Подключение…",
        "conversation": "диалог",
        "conversations": "диалоги",
        "status": "статус",
        "app": "Онлайн-чат",
        "joined": "Ana теперь в чате.",
    },
    "zh-hans": {
        "open_chat": "打开聊天",
        "connecting": "正在连接…",
        "conversation": "会话",
        "conversations": "会话",
        "status": "状态",
        "app": "在线客服",
        "joined": "Ana 已加入聊天。",
    },
}

_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


def _po_path(locale):
    return LOCALE_DIR / locale / "LC_MESSAGES" / "django.po"


def _mo_path(locale):
    return LOCALE_DIR / locale / "LC_MESSAGES" / "django.mo"


def _read_po(path):
    """Return the entries of a .po file as dicts: flags, msgctxt, msgid, msgstr...

    ``msgstr`` is a list (one item, or one per plural form). Obsolete ``#~``
    entries are skipped.
    """
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry = {"flags": set(), "msgstr": []}
        key = None
        for line in block.strip().splitlines():
            if line.startswith("#~"):
                entry = None
                break
            if line.startswith("#,"):
                entry["flags"].update(f.strip() for f in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                value = ast.literal_eval(line)
                if key == "msgstr":
                    entry["msgstr"][-1] += value
                else:
                    entry[key] += value
            else:
                keyword, rest = line.split(" ", 1)
                value = ast.literal_eval(rest)
                if keyword.startswith("msgstr"):
                    key = "msgstr"
                    entry["msgstr"].append(value)
                else:
                    key = keyword
                    entry[key] = value
        if entry is not None and "msgid" in entry:
            entries.append(entry)
    return entries


def _header(entries):
    (header,) = [e for e in entries if e["msgid"] == "" and "msgctxt" not in e]
    fields = {}
    for line in header["msgstr"][0].splitlines():
        name, _, value = line.partition(":")
        fields[name.strip()] = value.strip()
    return header, fields


def _catalog(mo_path):
    with open(mo_path, "rb") as fp:
        return gnu_gettext.GNUTranslations(fp)._catalog


@pytest.fixture(params=sorted(LANGUAGES))
def lang(request):
    return request.param


@pytest.fixture
def locale(lang):
    return LANGUAGES[lang]


def test_representative_strings_are_translated(lang):
    expected = EXPECTED[lang]
    with translation.override(lang):
        assert gettext("Open chat") == expected["open_chat"]
        assert gettext("Connecting…") == expected["connecting"]
        assert str(Conversation._meta.verbose_name) == expected["conversation"]
        assert str(Conversation._meta.verbose_name_plural) == expected["conversations"]
        status = Conversation._meta.get_field("status").verbose_name
        assert str(status) == expected["status"]
        assert str(apps.get_app_config("livechat").verbose_name) == expected["app"]
        joined = gettext("%(name)s joined the chat.") % {"name": "Ana"}
        assert joined == expected["joined"]


def test_english_stays_english():
    with translation.override("en"):
        assert gettext("Open chat") == "Open chat"
        assert str(Conversation._meta.verbose_name) == "conversation"


@pytest.mark.parametrize(
    "count, text",
    [
        (1, "Закрыт 1 диалог."),
        (3, "Закрыто 3 диалога."),
        (5, "Закрыто 5 диалогов."),
        (11, "Закрыто 11 диалогов."),
        (21, "Закрыт 21 диалог."),
        (22, "Закрыто 22 диалога."),
    ],
)
def test_russian_uses_three_plural_forms(count, text):
    with translation.override("ru"):
        message = ngettext(
            "Closed %(count)d conversation.", "Closed %(count)d conversations.", count
        )
        assert message % {"count": count} == text


def test_po_header(locale):
    _, fields = _header(_read_po(_po_path(locale)))
    assert fields["Language"] == locale
    assert fields["Language-Team"] == "livechat"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == PLURAL_FORMS[locale]


def test_po_has_no_fuzzy_or_empty_entries(locale):
    entries = _read_po(_po_path(locale))
    nplurals = int(re.search(r"nplurals=(\d+)", PLURAL_FORMS[locale]).group(1))
    header, _ = _header(entries)
    assert "fuzzy" not in header["flags"]
    messages = [e for e in entries if e is not header]
    assert messages
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    assert not fuzzy, f"fuzzy entries in {locale}: {fuzzy}"
    empty = [e["msgid"] for e in messages if not all(e["msgstr"])]
    assert not empty, f"untranslated entries in {locale}: {empty}"
    wrong_forms = [
        e["msgid"]
        for e in messages
        if "msgid_plural" in e and len(e["msgstr"]) != nplurals
    ]
    assert not wrong_forms, f"plural entries without {nplurals} forms: {wrong_forms}"


def test_po_keeps_placeholders_and_ellipses(locale):
    for entry in _read_po(_po_path(locale)):
        if entry["msgid"] == "":
            continue
        source = entry.get("msgid_plural", entry["msgid"])
        wanted = sorted(_PLACEHOLDER.findall(source))
        for translated in entry["msgstr"]:
            assert sorted(_PLACEHOLDER.findall(translated)) == wanted, (
                f"{locale}: placeholders of {source!r} -> {translated!r}"
            )
            if "…" in source:
                assert "…" in translated, (locale, source, translated)


def test_mo_is_compiled_from_the_current_po(locale, tmp_path):
    """Forgot compilemessages? The committed .mo must match its .po."""
    mo = _mo_path(locale)
    assert mo.is_file(), f"{mo} is missing: run compilemessages in livechat/"
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("GNU gettext (msgfmt) is not installed")
    fresh = tmp_path / "django.mo"
    subprocess.run(
        [msgfmt, "--check-format", "-o", str(fresh), str(_po_path(locale))],
        check=True,
        timeout=60,
    )
    if fresh.read_bytes() == mo.read_bytes():
        return
    # Another msgfmt version may lay the file out differently: compare content.
    assert _catalog(fresh) == _catalog(mo), (
        f"{mo} is stale: run `django-admin compilemessages` in livechat/"
    )


def test_catalogs_cover_every_marked_string(tmp_path):
    """Forgot makemessages? Every string marked in the app must be in the .po."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.skip("GNU gettext (xgettext, msgmerge) is not installed")
    copy = tmp_path / "livechat"
    shutil.copytree(
        APP_DIR,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"),
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "es", "--no-obsolete"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )

    def keys(path):
        return {
            (e.get("msgctxt"), e["msgid"], e.get("msgid_plural"))
            for e in _read_po(path)
            if e["msgid"]
        }

    extracted = keys(copy / "locale" / "es" / "LC_MESSAGES" / "django.po")
    for locale in LANGUAGES.values():
        shipped = keys(_po_path(locale))
        missing = sorted(m for _, m, _ in extracted - shipped)
        assert not missing, (
            f"{locale} lacks strings marked in the code: {missing}; run "
            "makemessages in livechat/, translate, then compilemessages"
        )
        unused = sorted(m for _, m, _ in shipped - extracted)
        assert not unused, f"{locale} has strings no longer in the code: {unused}"
