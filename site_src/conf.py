"""Sphinx configuration of the workbook's website (built by ``python3 tasks.py site``).

``tools/build_site.py`` copies this folder, the executed notebooks, the glossary, the teacher's
guide and a generated chip-catalog page into ``build/site_src/`` and runs Sphinx with MyST-NB
on it. Notebooks are rendered from their stored outputs: nothing is executed here.
"""

project = "Inference economics workbook"
author = "The workbook's authors"
copyright = "the workbook's authors, Apache-2.0"

extensions = ["myst_nb"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "**/.build-*"]
root_doc = "index"

# notebooks: show the stored outputs, never execute (the site builds offline, in seconds)
nb_execution_mode = "off"
nb_merge_streams = True
nb_output_stderr = "remove"
nb_mime_priority_overrides = [("html", "image/svg+xml", 5)]  # charts as SVG, before their text repr
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header", "myst.xref_missing", "toc.not_included"]

html_theme = "sphinx_book_theme"
html_title = "Inference economics workbook"
html_static_path = ["_static"]
html_css_files = ["workbook.css"]
html_theme_options = {
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "home_page_in_toc": True,
}
html_last_updated_fmt = None
html_copy_source = False
html_show_sourcelink = False
