"""Sphinx configuration: the Markdown pages of docs/ built with MyST.

``make test`` builds them with warnings as errors (tests/test_docs.py), so a
link to a page, a heading or a file that does not exist fails the suite. The
build needs no network: the theme is Sphinx's own alabaster and nothing is
fetched (no intersphinx).
"""

import re
from pathlib import Path

from sphinx import addnodes
from sphinx.transforms import SphinxTransform

DOCS = Path(__file__).resolve().parent
REPOSITORY = DOCS.parent

project = "livechat"
author = "livechat's authors"
release = re.search(
    r"""__version__\s*=\s*["']([^"']+)""",
    (REPOSITORY / "livechat" / "__init__.py").read_text(),
).group(1)
version = release

extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# `page.md#a-heading` links: every heading gets its GitHub-style slug, and a
# link to a slug that does not exist is a warning (an error under -W).
myst_heading_anchors = 6

# Examples shortened with "..." or "…" are not valid JSON or HTTP: Pygments
# then highlights them leniently, which is what they need.
suppress_warnings = ["misc.highlighting_failure"]

html_theme = "alabaster"
html_title = f"livechat {release}"
html_theme_options = {"description": "Live chat for Django stores"}
html_show_sourcelink = False


class RepositoryFileLinks(SphinxTransform):
    """A link to a Markdown file of the repository outside docs/
    (``../bench/README.md``) becomes a download of that file.

    MyST takes every ``.md`` target for a page of the site, and one outside
    docs/ is no page of it. As a download, the file is copied into the
    built site, so the link works there as it does on a repository browser,
    and a file that does not exist is still a warning (other files, such as
    ``../example_shop/shop/livechat_adapter.py``, MyST already turns into
    downloads when they exist).
    """

    default_priority = 100  # before anything reads the references

    def apply(self, **kwargs):
        srcdir = Path(self.env.srcdir).resolve()
        for node in list(self.document.findall(addnodes.pending_xref)):
            if node.get("refdomain") != "doc" or node.get("reftype") != "myst":
                continue
            target = Path(node["reftarget"])
            if not target.is_absolute():
                target = srcdir / target
            target = target.resolve()
            if target.is_relative_to(srcdir):
                continue  # a page of the site: Sphinx checks it
            found = next(
                (
                    target.with_name(target.name + suffix)
                    for suffix in self.config.source_suffix
                    if target.with_name(target.name + suffix).is_file()
                ),
                None,
            )
            if found is None or not found.is_relative_to(REPOSITORY):
                continue  # left to MyST, which reports it
            page_dir = Path(self.env.doc2path(self.env.docname)).resolve().parent
            download = addnodes.download_reference(
                "",
                "",
                *node.children,
                refdomain=None,
                reftype="myst",
                reftarget=Path(
                    *[".."] * len(page_dir.relative_to(REPOSITORY).parts),
                    found.relative_to(REPOSITORY),
                ).as_posix(),
                refdoc=self.env.docname,
                refexplicit=node.get("refexplicit", False),
            )
            download.source, download.line = node.source, node.line
            node.replace_self(download)


def setup(app):
    app.add_transform(RepositoryFileLinks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
