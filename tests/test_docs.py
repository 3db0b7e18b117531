"""The documentation: docs/*.md build into a site with no warning (so a
broken link, heading anchor or reference fails the suite), and
docs/adapter.md lists exactly the adapter's methods, with their signatures."""

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from livechat import checks
from livechat.adapter import DefaultLivechatAdapter
from livechat.conf import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def sphinx_build(source, out):
    """Build ``source`` as the suite does: warnings are errors."""
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q"]
        + ["-b", "html", str(source), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_docs_build_without_a_warning(tmp_path):
    result = sphinx_build(DOCS, tmp_path)

    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    pages = {page.stem for page in DOCS.glob("*.md")}
    assert pages <= {page.stem for page in tmp_path.glob("*.html")}


# The checks the build makes, on a small site with the same conf.py -----------


PAGE = """# A page

## Going live

[home](index.md) [a heading](other.md#going-live-twice)
[here](#going-live) [the bench](../bench/README.md) [a script](../bench/run.py)
"""


@pytest.fixture
def small_site(tmp_path):
    """A repository with docs/ (the real conf.py), livechat/ and bench/."""
    docs = tmp_path / "repository" / "docs"
    docs.mkdir(parents=True)
    (docs / "conf.py").write_text((DOCS / "conf.py").read_text())
    (docs / "index.md").write_text("# Home\n\n```{toctree}\npage\nother\n```\n")
    (docs / "other.md").write_text("# Other\n\n## Going live twice\n")
    package = tmp_path / "repository" / "livechat"
    package.mkdir()
    (package / "__init__.py").write_text('__version__ = "1.0"\n')
    bench = tmp_path / "repository" / "bench"
    bench.mkdir()
    (bench / "README.md").write_text("# Bench\n")
    (bench / "run.py").write_text("print()\n")
    return docs


def test_links_to_pages_headings_and_repository_files_are_checked(small_site, tmp_path):
    (small_site / "page.md").write_text(PAGE)

    good = sphinx_build(small_site, tmp_path / "good")

    assert good.returncode == 0, good.stderr
    # The repository's files are copied into the site, and linked.
    html = (tmp_path / "good" / "page.html").read_text()
    assert re.search(r'href="_downloads/\w+/README\.md"', html)
    assert re.search(r'href="_downloads/\w+/run\.py"', html)
    assert 'href="other.html#going-live-twice"' in html


# Each broken link, with what the build says about it.
BROKEN = {
    "[x](other.md#no-such-heading)": "local id not found in doc 'other'",
    "[x](#no-such-heading)": "target not found: 'no-such-heading'",
    "[x](missing.md)": "target not found: 'missing.md'",
    "[x](../bench/MISSING.md)": "target not found: '../bench/MISSING.md'",
    "[x](../bench/missing.py)": "target not found: '../bench/missing.py'",
    "![x](img/missing.png)": "image file not readable: img/missing.png",
}


def test_broken_links_and_pages_left_out_fail_the_build(small_site, tmp_path):
    (small_site / "page.md").write_text(PAGE + "\n" + "\n\n".join(BROKEN) + "\n")
    (small_site / "orphan.md").write_text("# Orphan\n")

    result = sphinx_build(small_site, tmp_path / "html")

    assert result.returncode != 0
    for link, warning in BROKEN.items():
        assert warning in result.stderr, (link, result.stderr)
    assert "orphan.md: WARNING: document isn't included in any toctree" in (
        result.stderr
    )
    assert result.stderr.count("WARNING") == len(BROKEN) + 1, result.stderr


# docs/adapter.md against DefaultLivechatAdapter ------------------------------

# A member's heading: ### `name(parameters)` for a method, ### `name` for an
# attribute, whose default is the first "**Default:** `value`" after it.
MEMBER = re.compile(r"^#{2,6} `(?P<name>[A-Za-z_]\w*)(?P<parameters>\(.*\))?`\s*$")
DEFAULT = re.compile(r"\*\*Default:\*\* `(?P<value>[^`]*)`")


def documented_members(text):
    """{name: (parameters or None, the text under its heading)}."""
    members, name = {}, None
    for line in text.splitlines():
        found = MEMBER.match(line)
        if found:
            name = found["name"]
            members[name] = (found["parameters"], [])
        elif line.startswith("#"):
            name = None
        elif name is not None:
            members[name][1].append(line)
    return {
        name: (params, "\n".join(lines)) for name, (params, lines) in members.items()
    }


def public_members(cls):
    members = {}
    for klass in reversed(cls.__mro__[:-1]):
        members.update(
            {name: value for name, value in vars(klass).items() if name[0] != "_"}
        )
    return members


def written_signature(parameters):
    """The inspect.Signature that ``(a, b=None)``, as written, declares."""
    namespace = {}
    exec(f"def member{parameters}: pass", {"__builtins__": {}}, namespace)  # noqa: S102
    return inspect.signature(namespace["member"])


def shape_parameters(signature):
    return [p for p in signature.parameters.values() if p.name != "self"]


def shape(signature):
    return [(p.name, p.kind, p.default) for p in shape_parameters(signature)]


def adapter_doc_problems(text, cls=DefaultLivechatAdapter):
    """What ``text`` gets wrong about ``cls``'s public methods and attributes."""
    documented = documented_members(text)
    problems = []
    for name, value in public_members(cls).items():
        if name not in documented:
            problems.append(f"{name} is not documented")
            continue
        parameters, body = documented[name]
        if callable(value):
            actual = inspect.signature(value)
            if parameters is None:
                problems.append(f"{name} is documented without its parameters")
            elif shape(written_signature(parameters)) != shape(actual):
                problems.append(
                    f"{name}{parameters} is documented, the code has "
                    f"{name}{actual.replace(parameters=shape_parameters(actual))}"
                )
        else:
            default = DEFAULT.search(body)
            if default is None or default["value"] != repr(value):
                problems.append(f"{name} is documented without its default {value!r}")
    for name in documented.keys() - public_members(cls).keys():
        problems.append(f"{name} is documented but the adapter has no such member")
    return problems


def adapter_page():
    return (DOCS / "adapter.md").read_text()


def test_the_adapter_page_documents_every_member_with_its_signature():
    assert adapter_doc_problems(adapter_page()) == []


@pytest.mark.parametrize(
    "heading, written, problem",
    [
        (
            "### `get_visitor_context(visitor, request)`",
            "### `get_visitor_context(visitor, session=None)`",
            "get_visitor_context(visitor, session=None) is documented, the code "
            "has get_visitor_context(visitor, request)",
        ),
        (
            "### `suggest_offers(visitor, context=None)`",
            "### `suggest_offers(visitor, context)`",
            "suggest_offers(visitor, context) is documented",
        ),
        (
            "### `describe_page(url)`",
            "### `describe_page`",
            "describe_page is documented without its parameters",
        ),
        (
            "### `orders_between(start, end)`",
            "### Orders",
            "orders_between is not documented",
        ),
        (
            "### `max_concurrent_chats(user)`",
            "### `max_concurrent_chats(user)`\n\n### `max_open_chats(user)`",
            "max_open_chats is documented but the adapter has no such member",
        ),
        (
            "**Default:** `()`: no cookie is kept.",
            "**Default:** no cookie is kept.",
            "context_cookies is documented without its default ()",
        ),
    ],
)
def test_a_wrong_adapter_page_is_caught(heading, written, problem):
    page = adapter_page()
    assert heading in page

    problems = adapter_doc_problems(page.replace(heading, written))

    assert len(problems) == 1 and problems[0].startswith(problem), problems


# docs/configuration.md against livechat.conf and livechat.checks -------------


def test_every_setting_and_system_check_is_in_the_configuration_page():
    page = (DOCS / "configuration.md").read_text()
    settings = [f"`LIVECHAT_{name}`" for name in DEFAULTS]
    ids = re.findall(r'id="(livechat\.[EW]\d+)"', Path(checks.__file__).read_text())

    assert ids
    assert [s for s in settings if f"| {s} |" not in page] == []
    assert [i for i in sorted(set(ids)) if f"| `{i}` |" not in page] == []
