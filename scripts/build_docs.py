"""Build the docs site into _docs/ without Quarto: `python scripts/build_docs.py`.

`nbdev_docs` renders through Quarto, a binary that cannot be installed from the package registries. This keeps nbdev's
conventions and swaps only the renderer:
1. every notebook is executed, as `nbdev_test` runs it (same skips: `#| slow`, `#| cuda`, `eval: false`, `skip_exec`;
   `#| hide` cells too, unless they import: they are tests, which `nbdev_test` runs), in one shell per notebook, two
   notebooks at a time; so every example shows what it prints, displays or plots, a cell that raises fails the build,
   and a skipped cell says why (a `#| cuda` cell keeps its saved output from a GPU run, marked as such). Executing at
   build time (not committing executed notebooks, nbdev's way) keeps outputs current with no step anyone can forget
   while several people add cells at once;
2. every notebook goes through nbdev's own processors (`FilterDefaults`: `#|` directives, hidden cells, `show_doc` for
   exported cells, frontmatter from the `# Title` + `> summary` cell) exactly as `nbdev_proc_nbs` does for Quarto;
3. the few Quarto-only marks those processors leave (`#| echo: false`, pandoc link attributes, absolute doc links) are
   turned into what myst-nb reads (cell tags, plain links to the sibling page);
4. an API reference page per module is generated: Sphinx autodoc over `__all__`;
5. Sphinx (myst-nb + furo, `docs/conf.py`) renders those outputs and fails on any warning: a missing page or anchor, a
   missing image; an error output fails the build too.
Pages keep nbdev's names (`00_config.ipynb` -> `config.html`), so links nbdev writes (`config.html#load_config`) hold.
"""
import ast, os, re, shutil, subprocess, sys, time, warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import yaml
from execnb.nbio import read_nb, write_nb, mk_cell
from nbdev.config import get_config
from nbdev.doclinks import nbglob, _nbpath2html
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory
from nbdev.process import Processor
from nbdev.processors import FilterDefaults, add_show_docs, exec_show_docs

ROOT = Path(__file__).resolve().parent.parent
BUILD, OUT = ROOT / "_docs_src", ROOT / "_docs"  # myst-nb writes beside Sphinx's output dir: keep it all in BUILD
SRC, HTML = BUILD / "src", BUILD / "html"
_TAGS = {("echo", "false"): "remove-input", ("output", "false"): "remove-output", ("include", "false"): "remove-cell"}


_SKIPPED = {"slow": "Slow cell (`#| slow`): not executed in this build; `nbdev_test --flags slow` runs it.",
            "cuda": "GPU-only cell (`#| cuda`): not executed in this build.",
            "skip_exec": "Not executed in this build, nor are the cells below: this notebook is an entry point that "
                         "runs the smoke or a full training; run it with papermill (see above)."}
_GPU_SAVED = "Output saved from a GPU run (`#| cuda` cell; this build has no GPU and does not execute it):"


def _imports(src):
    "Does a cell import anything (a hidden cell that imports is run: later examples may need the names)"
    try: return any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(ast.parse(src)))
    except SyntaxError: return True


def _note(text):
    return dict(output_type="display_data", metadata={"build_note": True}, data={"text/markdown": f"*{text}*"})


class execute_cells(Processor):
    """Run the notebook's cells in one shell, as `nbdev_test` does (same skips: `#| slow`, `#| cuda`, `eval: false`,
    `skip_exec`; and hidden tests), so every example keeps what it printed, displayed or plotted; a cell that raises
    fails the build.
    A skipped cell shows why instead; a `#| cuda` cell's saved output (from a GPU run) is kept and marked as such."""
    path = None  # the notebook, set by `render`: the shell runs in its folder with it on sys.path, as nbdev_test

    def begin(self):
        fm = getattr(self.nb, "frontmatter_", {})
        self.k = None if str(fm.get("skip_exec", "")).lower() in ("true", "1", "yes") else CaptureShell(self.path)
        if self.k: self.k.run_cell("from nbdev.showdoc import show_doc")
        self.noted = False

    def skip(self, cell):
        d = cell.directives_ if hasattr(cell, "directives_") else {}
        if "nbdev_export" + "(" in cell.source or d.get("eval:", [""])[0].lower() == "false": return "eval"
        if self.k is None: return "skip_exec"
        if "hide" in d and not _imports(cell.source): return "hidden"  # a test: nbdev_test runs it, no reader sees it
        return next((f for f in ("cuda", "slow") if f in d), None)

    def __call__(self, cell):
        if cell.cell_type != "code" or not cell.source.strip(): return
        why = self.skip(cell)
        if why == "cuda" and cell.get("outputs"): cell.outputs = [_note(_GPU_SAVED), *cell.outputs]
        elif why == "skip_exec":  # said once, under the first code cell
            cell.outputs, self.noted = [] if self.noted else [_note(_SKIPPED[why])], True
        elif why in _SKIPPED: cell.outputs = [_note(_SKIPPED[why])]
        elif not why:
            cell.outputs = []
            with working_directory(self.path.parent): self.k.cell(cell)
            if self.k.exc:
                raise RuntimeError(f"{self.path.name}: a cell failed:\n{cell.source}\n\n"
                                   + self.k.prettytb(fname=self.path)) from None


class add_show_docs_in_order(add_show_docs):
    "nbdev's `add_show_docs`, with a cell's names in the order it defines them (nbdev inserts them reversed)"
    def begin(self):
        super().begin()
        out, run = [], []
        for c in self.nb.cells:
            if c.get("has_sd"): run.append(c)
            else: out += run[::-1] + [c]; run = []
        self.nb.cells[:] = out + run[::-1]


class DocsProcs(FilterDefaults):
    def base_procs(self):
        "nbdev's processors, with the cells executed right after `show_doc` cells are added (not only those it needs)"
        procs = [add_show_docs_in_order if p is add_show_docs else p
                 for p in super().base_procs() if p is not exec_show_docs]
        i = procs.index(add_show_docs_in_order)
        return procs[:i + 1] + [execute_cells] + procs[i + 1:]


def page_names(nbs, readme_nb):
    "nbdev's page names (`00_config.ipynb` -> `config`), made unique (`train.ipynb` and `06_train.ipynb` are `train`)"
    names = {}
    for p in nbs:
        name = "index" if p.name == readme_nb else _nbpath2html(Path(p.name)).stem
        names[p] = name if name not in names.values() else p.stem + "_notebook"
    return names


def to_myst(nb, links):
    "Turn what nbdev leaves for Quarto into what myst-nb reads"
    cells = []
    for c in nb.cells:
        if c.cell_type == "raw" and c.source.startswith("---"):
            fm = yaml.safe_load(c.source.strip().strip("-")) or {}
            head = f"# {fm['title']}" if "title" in fm else ""
            if fm.get("description"): head += f"\n\n> {fm['description']}"
            if head: cells.append(mk_cell(head, "markdown"))
            continue
        if c.cell_type == "markdown" and c.source.startswith("<!-- WARNING: THIS FILE WAS AUTOGENERATED"): continue
        if c.cell_type == "code":
            lines = c.source.splitlines()
            dirs = [tuple(p.strip() for p in l[3:].split(":", 1)) for l in lines if l.startswith("#|") and ":" in l]
            tags = sorted({_TAGS[d] for d in dirs if d in _TAGS})
            c.source = "\n".join(l for l in lines if not l.startswith("#|")).strip()
            c.pop("has_sd", None)
            if ("output", "asis") in dirs:  # Quarto puts the Markdown output (show_doc's) into the page itself
                md = "".join("".join(o.get("data", {}).get("text/markdown", "")) for o in c.get("outputs", []))
                md = re.sub(r"^\s*---\n", "", md)  # show_doc's leading rule: the heading already separates entries
                src = re.search(r"\n\[source\]\([^)]*\)[^\n]*\n", md)  # floated right by Quarto; here it goes last
                if src: md = md.replace(src.group(0), "\n") + "\n\n" + src.group(0).strip()
                cells.append(mk_cell(fix_md(md, links), "markdown"))
                continue
            if tags: c.metadata["tags"] = sorted(set(c.metadata.get("tags", [])) | set(tags))
            if not c.source and not c.get("outputs"): continue
            for o in c.get("outputs", []):
                if o.get("output_type") == "error":
                    sys.exit(f"docs: a saved output is an error ({o.get('ename')}: {o.get('evalue')}) in the cell:\n"
                             f"{c.source}\nre-run the notebook, or clear that output, and save it")
                if "text/markdown" in o.get("data", {}):
                    o["data"]["text/markdown"] = fix_md(o["data"]["text/markdown"], links)
        else: c.source = fix_md(c.source, links)
        cells.append(c)
    nb.cells = cells


def fix_md(text, links):
    "Links nbdev writes to the published site, and to a notebook's file, go to the page; pandoc-only attributes go"
    doc_url, pages = links
    if isinstance(text, list): text = "".join(text)
    text = re.sub(r"\[`(_\w+)`\]\(" + re.escape(doc_url) + r"[^)]*\)", r"`\1`", text)  # private: no doc to link
    text = re.sub(r"\]\((?:\./)?([\w.-]+)\.ipynb", lambda m: f"]({pages.get(m[1], m[1])}.ipynb", text)
    text = re.sub(re.escape(doc_url) + r"([\w.-]+)\.html", r"\1.ipynb", text)
    return re.sub(r'\]\((https?://[^)]+)\)\{target="_blank"[^}]*\}', r"](\1)", text)


def api_page(mod):
    "One reference page: autodoc documents what the module's `__all__` lists (RST, hence eval-rst)"
    return f"# {mod}\n\n```{{eval-rst}}\n.. automodule:: {mod}\n```\n"


def render(path, name, links, lib):
    "One notebook: executed, processed as nbdev does, written for myst-nb; returns what the build reports"
    t0 = time.time()
    os.environ["IN_TEST"] = "1"  # as nbdev_test sets it: notebooks' own guards skip heavy work
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # one torch thread per worker: the workers share the cores
    warnings.filterwarnings("ignore", "Found cells containing imports")  # nbdev's; every cell runs here anyway
    nb = read_nb(path)
    mods = [f"{lib}.{m}" for m in re.findall(r"^#\|\s*default_exp\s+(\S+)",
            "\n".join(c.source for c in nb.cells if c.cell_type == "code"), re.M)]
    execute_cells.path = Path(path).resolve()
    DocsProcs()(nb)
    to_myst(nb, links)
    write_nb(nb, SRC / f"{name}.ipynb")
    ex = [c for c in nb.cells if c.cell_type == "code" and not {"remove-input", "remove-cell"} & set(
          c.metadata.get("tags", []))]
    out = [c for c in ex if any(not o.get("metadata", {}).get("build_note") for o in c.get("outputs", []))]
    return name, mods, len(out), len(ex), time.time() - t0


def build():
    t0 = time.time()
    cfg = get_config()
    shutil.rmtree(BUILD, ignore_errors=True); SRC.mkdir(parents=True)
    if (cfg.nbs_path / "images").is_dir(): shutil.copytree(cfg.nbs_path / "images", SRC / "images")
    (BUILD / "static").mkdir(); shutil.copy(cfg.nbs_path / "styles.css", BUILD / "static")  # docs/conf.py serves it
    doc_url = f"{cfg.doc_host.rstrip('/')}{cfg.doc_baseurl.rstrip('/')}/"
    order = lambda p: (p.name != cfg.readme_nb, not p.name[0].isdigit(), p.name)  # home, numbered, then the others
    nbs = sorted(nbglob(cfg.nbs_path, func=Path), key=order)
    names = page_names(nbs, cfg.readme_nb)
    links = doc_url, {p.stem: n for p, n in names.items()}
    pages, mods, shown, examples = [], [], 0, 0
    jobs = [(path, names[path], links, cfg.lib_path.name) for path in nbs]
    with ProcessPoolExecutor(os.cpu_count(), mp_context=get_context("fork")) as pool:
        done = pool.map(render, *zip(*jobs))
        try: done = list(done)
        except RuntimeError as e: sys.exit(f"docs: {e}\ndocs build failed: _docs/ is as it was")
        for path, (name, nb_mods, n_out, n_ex, secs) in zip(nbs, done):
            mods += nb_mods; shown += n_out; examples += n_ex
            if name != "index": pages.append(name)
            print(f"processed {path.name} -> {name}.html: {n_out} of {n_ex} example cells show an output "
                  f"({secs:.0f} s)", flush=True)
    mods += [m for m in (f"{cfg.lib_path.name}.{p.stem}" for p in sorted(cfg.lib_path.glob("*.py"))
             if not p.name.startswith("_")) if m not in mods]  # API pages in notebook order, then any other module
    (SRC / "api").mkdir()
    for m in mods: (SRC / "api" / f"{m.split('.', 1)[1]}.md").write_text(api_page(m))
    index = read_nb(SRC / "index.ipynb")
    index.cells.append(mk_cell("```{toctree}\n:hidden:\n:caption: Notebooks\n\n" + "\n".join(pages) + "\n```\n\n"
                               "```{toctree}\n:hidden:\n:caption: API reference\n\n"
                               + "\n".join(f"api/{m.split('.', 1)[1]}" for m in mods) + "\n```", "markdown"))
    write_nb(index, SRC / "index.ipynb")
    r = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going",
                        "-c", str(ROOT / "docs"), "-d", str(BUILD / "doctrees"), str(SRC), str(HTML)])
    if r.returncode: sys.exit("docs build failed: fix the warnings above (each names its page); _docs/ is as it was")
    shutil.rmtree(OUT, ignore_errors=True)
    shutil.move(HTML, OUT)
    (OUT / ".nojekyll").touch()
    n = len(list(OUT.rglob("*.html")))
    print(f"docs: {n} HTML pages in {OUT} ({len(pages) + 1} notebooks, {len(mods)} API pages); {shown} of {examples} "
          f"example cells show an output; {time.time() - t0:.0f} s")


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_docs  # the workers find `render` by module name: IPython's shell replaces their `__main__`
    build_docs.build()
