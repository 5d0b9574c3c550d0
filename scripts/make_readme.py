"""Generate README.md from nbs/index.ipynb.

nbdev_readme renders through Quarto, which cannot be installed offline; this does the same job for our index: markdown
cells as they are, code cells as code blocks, `#|` directive lines dropped, `#| hide` cells and frontmatter left out,
image links made relative to the repo root. CI regenerates README.md and fails if it differs from the committed one.
"""
from pathlib import Path
import nbformat

ROOT = Path(__file__).resolve().parent.parent

def readme_text(nb_path=ROOT / "nbs" / "index.ipynb") -> str:
    parts = []
    for cell in nbformat.read(nb_path, as_version=4).cells:
        lines = cell.source.splitlines()
        if cell.cell_type == "raw" or not lines: continue
        if cell.cell_type == "code":
            if any(l.startswith("#|") and "hide" in l for l in lines): continue
            body = "\n".join(l for l in lines if not l.startswith("#|")).strip()
            if body: parts.append(f"```python\n{body}\n```")
        else:
            parts.append(cell.source.replace("](images/", "](nbs/images/"))
    return "<!-- generated from nbs/index.ipynb by scripts/make_readme.py: edit the notebook, not this file -->\n\n" + "\n\n".join(parts) + "\n"

if __name__ == "__main__":
    (ROOT / "README.md").write_text(readme_text())
    print("README.md written")
