"""Shape of the code, for the notes: lines and public names per module, export cells (median length, cells with more
than one definition), lines over 120 characters, functions over 60 lines, result types.
Usage: python scripts/code_stats.py [REPO_DIR]"""
import ast, json, statistics, sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
cells, multi, long_lines = [], 0, 0
for nb in sorted((root / "nbs").rglob("*.ipynb")):
    for c in json.loads(nb.read_text())["cells"]:
        src = "".join(c["source"])
        long_lines += sum(len(l) > 120 for l in src.splitlines())
        if c["cell_type"] != "code" or not src.lstrip().startswith("#| export"): continue
        body = [l for l in src.splitlines()[1:] if l.strip()]
        cells.append(len(body))
        try: tree = ast.parse(src)
        except SyntaxError: continue
        defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))]
        multi += len(defs) > 1
print(f"export cells: {len(cells)}, median {statistics.median(cells):.0f} lines, {multi} ({multi / len(cells):.0%}) "
      f"with more than one definition; notebook lines over 120 chars: {long_lines}")
print(f"{'module':22} {'lines':>5} {'public':>6}  functions over 60 lines")
for py in sorted((root / "sql_codegen_slm").glob("*.py")):
    if py.name in ("_modidx.py", "__init__.py"): continue
    src = py.read_text(); tree = ast.parse(src)
    allv = next((ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                 and getattr(n.targets[0], "id", "") == "__all__"), [])
    big = [f"{n.name} ({n.end_lineno - n.lineno + 1})" for n in ast.walk(tree)
           if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > 60]
    print(f"{py.stem:22} {len(src.splitlines()):5} {len(allv):6}  {', '.join(big)}")
