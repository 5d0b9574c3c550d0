# Sphinx config for the docs site that `python scripts/build_docs.py` builds into _docs/ (no Quarto needed).
# The pages are the notebooks executed and processed by scripts/build_docs.py, rendered by myst-nb with those outputs
# (not executed again here); the API reference is autodoc over each module's `__all__`; search is Sphinx's, served from
# the site itself.
import re
from configparser import ConfigParser
from pathlib import Path

_cfg = ConfigParser()
_cfg.read(Path(__file__).resolve().parent.parent / "settings.ini")
_s = _cfg["DEFAULT"]

project = _s["title"]
author = _s["author"]
copyright = _s["copyright"]
release = _s["version"]

extensions = ["myst_nb", "sphinx.ext.autodoc"]
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

nb_execution_mode = "off"                # build_docs.py has executed the cells; GPU (`#| cuda`) cells never run
nb_render_markdown_format = "myst"       # show_doc output is Markdown: headings, tables, links to other pages
nb_output_stderr = "remove"              # progress bars and warnings captured while processing are noise on a page
myst_enable_extensions = ["colon_fence", "attrs_inline"]
suppress_warnings = ["myst.header"]     # nbdev's show_doc headings are H3 under the H1 title, as on nbdev's sites
myst_heading_anchors = 3                 # `page.md#load_config` links, as nbdev writes them, resolve and are checked

autodoc_member_order = "bysource"
add_module_names = False                 # `load_config(...)` under the `sql_codegen_slm.config` title
autodoc_typehints = "signature"
autodoc_default_options = {"members": True}  # with `__all__`, exactly those names

html_theme = "furo"
html_title = project
html_static_path = [str(Path(__file__).resolve().parent.parent / "_docs_src" / "static")]  # nbs/styles.css, copied
html_css_files = ["styles.css"]  # the build copies it there
html_theme_options = {"navigation_with_keys": True}
html_show_sourcelink = False
html_copy_source = False

# Docstrings here are nbdev's: plain text with `code` in backticks, not reStructuredText. Read backticks as code and
# keep characters that RST would take as markup (`|x|` substitutions, `*` emphasis) as they are written.
default_role = "code"


def _plain_docstring(app, what, name, obj, options, lines):
    lines[:] = [l.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*") for l in lines]


def _nbdev_anchors(app, doctree, docname):
    "nbdev links to `page.html#load_config` (the name, lowercased): give each name heading that id too"
    from docutils import nodes
    for sec in doctree.findall(nodes.section):
        slug = sec[0].astext().strip().lower()
        if re.fullmatch(r"[\w.]+", slug) and slug not in sec["ids"]: sec["ids"].append(slug)


def setup(app):
    app.connect("autodoc-process-docstring", _plain_docstring)
    app.connect("doctree-resolved", _nbdev_anchors)
