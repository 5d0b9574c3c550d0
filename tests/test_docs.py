"""The docs site as a reader gets it: `_docs/` served on 127.0.0.1 and opened in headless Chromium (Debian's `chromium`,
driven over the DevTools protocol). Every page reachable from the home page loads without console errors or failed
requests, every internal link and `#anchor` resolves, every image loads, search finds a public name; the examples show
their outputs (the build executes the notebooks): printed findings and reports, a plot beside the code that draws it,
the smoke's loss curve, and a note where a cell was not run; screenshots go to `runs/docs_screenshots/`. `_docs/` is
built by `python scripts/build_docs.py` (built here first if it is missing)."""
import functools, http.server, itertools, json, os, shutil, subprocess, sys, threading, time, urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest
import websocket

pytestmark = pytest.mark.needs("chromium", how="apt-get install -y chromium (Debian's; .ci/run does)")

ROOT = Path(__file__).resolve().parent.parent
DOCS, SHOTS = ROOT / "_docs", ROOT / "runs" / "docs_screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


class Chromium:
    "Headless Chromium and one tab, spoken to over the DevTools protocol (commands in order, events kept)"
    def __init__(self, tmp: Path):
        if not CHROMIUM: pytest.fail("chromium not found: install Debian's (apt-get install -y chromium); .ci/run does")
        prof = tmp / "profile"
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--remote-debugging-port=0", f"--user-data-dir={prof}", "--window-size=1280,900", "about:blank"]
        self.proc = subprocess.Popen([CHROMIUM, *flags], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file, t0 = prof / "DevToolsActivePort", time.time()
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.time() - t0 > 30:
                self.close(); pytest.fail(f"{CHROMIUM} did not start (exit {self.proc.poll()})")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        tabs = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        self.ws = websocket.create_connection(next(t for t in tabs if t["type"] == "page")["webSocketDebuggerUrl"],
                                              timeout=30, suppress_origin=True)
        self.ids, self.events = itertools.count(1), []
        for domain in ("Page", "Runtime", "Log", "Network"): self.send(f"{domain}.enable")

    def send(self, method, **params):
        i = next(self.ids)
        self.ws.send(json.dumps({"id": i, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == i:
                if "error" in msg: raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]
            if "method" in msg: self.events.append(msg)

    def js(self, expr):
        r = self.send("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r: raise RuntimeError(f"{expr}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def goto(self, url, timeout=30):
        "Open `url` and wait for its load event and for the network to go quiet; returns this page's events"
        self.events = []
        self.send("Page.navigate", url=url)
        t0, last = time.time(), time.time()
        while time.time() - t0 < timeout:
            self.ws.settimeout(0.3)
            try: self.events.append(json.loads(self.ws.recv())); last = time.time()
            except websocket.WebSocketTimeoutException:
                loaded = any(e.get("method") == "Page.loadEventFired" for e in self.events)
                if loaded and time.time() - last > 0.3: break
            finally: self.ws.settimeout(30)
        else: raise TimeoutError(f"{url} did not finish loading in {timeout} s")
        return self.events

    def screenshot(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        import base64
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"]))

    def close(self):
        if getattr(self, "ws", None): self.ws.close()
        self.proc.terminate()
        try: self.proc.wait(10)
        except subprocess.TimeoutExpired: self.proc.kill()


def page_problems(events, url):
    "Console errors, uncaught exceptions and failed requests among one page load's events"
    out = []
    for e in events:
        m, p = e.get("method"), e.get("params", {})
        if "/favicon.ico" in json.dumps(p): continue  # the browser asks for it by itself; the site links none
        if m == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            out.append(f"{url}: JS exception {d.get('exception', {}).get('description', d.get('text'))}")
        elif m == "Runtime.consoleAPICalled" and p["type"] == "error":
            out.append(f"{url}: console.error {[a.get('value', a.get('description')) for a in p['args']]}")
        elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
            out.append(f"{url}: {p['entry']['text']} {p['entry'].get('url', '')}")
        elif m == "Network.responseReceived" and p["response"]["status"] >= 400:
            out.append(f"{url}: HTTP {p['response']['status']} for {p['response']['url']}")
        elif m == "Network.loadingFailed" and not p.get("canceled"):
            out.append(f"{url}: request failed ({p['errorText']})")
    return out


def crawl(browser, base, seeds=("index.html", "search.html", "genindex.html", "py-modindex.html"), depth=None):
    "Visit every HTML page reachable from `seeds` (within `depth` links, if given); returns (pages visited, problems)"
    queue, seen, ids, anchors, problems = [(base + s, 0) for s in seeds], set(), {}, [], []
    while queue:
        url, d = queue.pop(0)
        if url in seen: continue
        seen.add(url)
        if not url.endswith(".html"):  # files the site links to (an image, the object inventory): they must exist
            try: urllib.request.urlopen(url).close()
            except urllib.error.HTTPError as e: problems.append(f"broken link: {url} (HTTP {e.code})")
            continue
        problems += page_problems(browser.goto(url), url)
        if browser.js("document.title").startswith("404"): problems.append(f"broken link: {url}")
        problems += [f"{url}: image did not load: {s}" for s in
                     browser.js("[...document.images].filter(i => !i.complete || !i.naturalWidth).map(i => i.src)")]
        ids[url] = set(browser.js("[...document.querySelectorAll('[id], a[name]')].map(e => e.id || e.name)"))
        for href in browser.js("[...document.querySelectorAll('a[href]')].map(a => a.href)"):
            target, frag = urldefrag(href)
            if not target.startswith(base): continue  # external: not reachable offline, never followed
            target = target.split("?")[0]
            if target.endswith("/"): target += "index.html"
            if frag and not target.endswith("search.html"): anchors.append((url, target, unquote(frag)))
            if depth is None or d < depth: queue.append((target, d + 1))
    problems += [f"{src}: missing anchor #{frag} in {target}" for src, target, frag in anchors
                 if target in ids and frag not in ids[target]]
    return seen, problems


@pytest.fixture(scope="module")
def site():
    if not (DOCS / "index.html").exists():
        subprocess.run([sys.executable, str(ROOT / "scripts" / "build_docs.py")], check=True)
    return DOCS


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass


def serve(folder: Path):
    handler = functools.partial(_Quiet, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    b = Chromium(tmp_path_factory.mktemp("chromium"))
    yield b
    b.close()


def test_site_crawl(site, browser):
    httpd, base = serve(site)
    try:
        t0 = time.time()
        pages, problems = crawl(browser, base)
        assert not problems, "\n".join(problems)
        html = [p for p in pages if p.endswith(".html")]
        # every notebook page and every API page were reached through links alone
        expected = {base + str(p.relative_to(site)) for p in site.rglob("*.html")}
        assert expected <= pages, f"pages no link reaches: {sorted(expected - pages)}"
        print(f"crawled {len(html)} pages in {time.time() - t0:.1f} s: no console error, broken link or image")
    finally: httpd.shutdown()


def test_pages_and_search(site, browser):
    httpd, base = serve(site)
    try:
        browser.goto(base + "index.html")
        assert "sql-codegen-slm" in browser.js("document.querySelector('h1').textContent")
        browser.screenshot(SHOTS / "home.png")
        img = browser.js("(() => { const i = document.querySelector('img[src*=loss_curve]');"
                         " i.scrollIntoView({behavior: 'instant', block: 'center'});"
                         " return [i.naturalWidth, i.naturalHeight]; })()")
        assert img[0] > 100 and img[1] > 100, img
        time.sleep(0.3)
        browser.screenshot(SHOTS / "home_loss_curve.png")
        nav = browser.js("[...document.querySelectorAll('.sidebar-tree a')].map(a => a.textContent.trim())")
        assert nav.index("Config") < nav.index("Data") < nav.index("Smoke test"), nav  # notebook order

        events = browser.goto(base + "config.html")
        assert not page_problems(events, "config.html")
        assert browser.js("!!document.getElementById('load_config')"), "show_doc heading for load_config missing"
        browser.screenshot(SHOTS / "notebook_config.png")

        events = browser.goto(base + "api/config.html")
        assert not page_problems(events, "api/config.html")
        sig = browser.js("document.getElementById('sql_codegen_slm.config.load_config').textContent")
        assert "load_config" in sig and "overrides" in sig, sig
        browser.screenshot(SHOTS / "api_config.png")

        events = browser.goto(base + "search.html?q=load_config")
        for _ in range(100):  # Sphinx fills the results in from its index after load
            hits = browser.js("[...document.querySelectorAll('#search-results li a')].map(a => a.href)")
            if hits and browser.js("!!document.querySelector('#search-results p.search-summary')"): break
            time.sleep(0.1)
        assert not page_problems(events, "search.html")
        assert any(h.startswith(base + "api/config.html") for h in hits), hits
        assert any(h.startswith(base + "config.html") for h in hits), hits
        browser.screenshot(SHOTS / "search_load_config.png")
    finally: httpd.shutdown()


def test_crawl_catches_breakage(site, browser, tmp_path):
    "The crawl can fail: a copy with a dead link, a dead anchor, a missing image and a script error is caught"
    bad = tmp_path / "site"
    shutil.copytree(site, bad)
    page = bad / "bad.html"  # a page of its own, linking to little: the crawl checks it and the pages one link away
    page.write_text("<html><head><title>bad</title></head><body>"
                    '<a href="no-such-page.html">x</a><a href="config.html#no-such-anchor">y</a>'
                    '<img src="_images/missing.png"><script>undefinedFunction()</script></body></html>')
    httpd, base = serve(bad)
    try: _, problems = crawl(browser, base, seeds=("bad.html",), depth=1)
    finally: httpd.shutdown()
    text = "\n".join(problems)
    for what in ("no-such-page.html", "#no-such-anchor", "_images/missing.png", "undefinedFunction"):
        assert what in text, f"{what} not reported:\n{text}"


def _cells(browser):
    "Per example cell of the page: (its source, its output's text, the output's images as [loaded, width])"
    return browser.js("""[...document.querySelectorAll('div.cell')].map(c => {
        const o = c.querySelector('div.cell_output');
        return [c.querySelector('div.cell_input')?.textContent.trim() ?? '', o ? o.textContent.trim() : null,
                o ? [...o.querySelectorAll('img')].map(i => [i.complete && i.naturalWidth > 0, i.naturalWidth]) : []];
    })""")


def _show(browser, selector, shot):
    "Scroll the first element matching `selector` into view and take a screenshot"
    el = f"document.querySelector({json.dumps(selector)})"
    browser.js(f"{el}.scrollIntoView({{behavior: 'instant', block: 'center'}})")
    time.sleep(0.3)
    browser.screenshot(SHOTS / shot)


def test_examples_show_outputs(site, browser):
    "The build ran the examples: what they print, return and plot is on the page, and a cell not run says so"
    httpd, base = serve(site)
    try:
        events = browser.goto(base + "findings.html")
        assert not page_problems(events, "findings.html")
        outs = [o for _, o, _ in _cells(browser) if o]
        assert any("FAILED   gpu" in o and "-> Runtime > Change runtime type" in o for o in outs), outs  # to_terminal
        _show(browser, "div.cell_output", "findings_output.png")

        browser.goto(base + "preflight.html")
        outs = [o for _, o, _ in _cells(browser) if o]
        assert any("PASSED   python" in o for o in outs) and any("memory estimate" in o for o in outs), outs

        browser.goto(base + "train.html")  # plot_losses' example draws the curves beside its code
        plots = [(src, imgs) for src, _, imgs in _cells(browser) if imgs]
        assert plots and "plot_losses" in plots[0][0], [p[0][:80] for p in plots]
        assert all(ok and w > 300 for ok, w in plots[0][1]), plots[0][1]
        _show(browser, "div.cell_output img", "train_loss_plot.png")

        browser.goto(base + "smoke.html")
        img = browser.js("(() => { const i = document.querySelector('img[src*=loss_curve]');"
                         " return i && [i.complete, i.naturalWidth, i.naturalHeight]; })()")
        assert img and img[0] and img[1] > 100 and img[2] > 100, img
        _show(browser, "img[src*=loss_curve]", "smoke_loss_curve.png")
        cells = _cells(browser)
        assert any(o and o.startswith("deleted ") and "\nkept " in o for _, o, _ in cells), cells  # clean_remote
        slow = [(src, o) for src, o, _ in cells if "run_smoke_test(load_config" in src]
        assert slow and "not executed in this build" in slow[0][1], slow  # the #| slow cell says why it is empty

        n = {p: None for p in ("findings", "preflight", "memory", "estimate", "train", "smoke", "validation_notebook")}
        for p in n:
            browser.goto(base + f"{p}.html")
            n[p] = sum(1 for _, o, _ in _cells(browser) if o)
        assert all(n.values()), n
        print(f"example cells with an output: {n}")
    finally: httpd.shutdown()


def test_build_runs_cells_and_fails_on_error(tmp_path, monkeypatch):
    "scripts/build_docs.py's `render` on a small notebook: outputs kept, a #| cuda cell noted, a raising cell fails"
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_docs
    monkeypatch.setattr(build_docs, "SRC", tmp_path)
    for k in ("IN_TEST", "OMP_NUM_THREADS"): monkeypatch.setenv(k, os.environ.get(k, "1"))  # render sets them
    cell = lambda src: {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": src}
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# T\n\n> a page"}, cell("print(6 * 7)"),
                    cell("#| cuda\nimport torch; torch.zeros(1, device='cuda')"), cell("1/0")],
          "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
          "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "t.ipynb"
    path.write_text(json.dumps(nb))
    with pytest.raises(RuntimeError, match="ZeroDivisionError"): build_docs.render(path, "t", ("x/", {}), "lib")
    nb["cells"].pop()
    path.write_text(json.dumps(nb))
    assert build_docs.render(path, "t", ("x/", {}), "lib")[2:4] == (1, 2)  # 1 of 2 example cells shows an output
    out = json.loads((tmp_path / "t.ipynb").read_text())["cells"]
    texts = ["".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/markdown", ""))
             for c in out if c["cell_type"] == "code" for o in c["outputs"]]
    assert texts == ["42\n", "*GPU-only cell (`#| cuda`): not executed in this build.*"], texts
