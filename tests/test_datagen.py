"""`sql-codegen-datagen` against a real chat-completions server on 127.0.0.1 and a real PostgreSQL (pgserver)."""
import json, os, shutil, signal, subprocess, sys, time
from pathlib import Path
import pytest
from chat_server import ChatServer
from sql_codegen_slm.data import load_records, sample_data_dir, tokenize_record
from sql_codegen_slm.datagen import generate, main
from sql_codegen_slm.postgres import PostgresDatabases
from sql_codegen_slm.teacher import Budget, content_hash, prompt_token_bound
from sql_codegen_slm.teacher_client import AuthError

SCHEMAS = sample_data_dir() / "schemas"
KEY_ENV, KEY = "DATAGEN_TEST_KEY", "sk-test-secret-123"
ROOT = Path(__file__).resolve().parents[1]

@pytest.fixture(scope="module")
def dbs():
    with PostgresDatabases(SCHEMAS, timeout_s=1.0) as d:
        yield d.prepare(["bookstore", "clinic", "flights", "school"])

@pytest.fixture(autouse=True)
def key(monkeypatch): monkeypatch.setenv(KEY_ENV, KEY)

def run(srv, out, dbs, **kw):
    kw = dict(dict(total=10, budget_usd=100.0, model="teacher-test", price_in=1.0, price_out=2.0, concurrency=1,
                   pairs_per_request=5, max_tokens=400, timeout_s=5.0, max_retries=3, api_key_env=KEY_ENV), **kw)
    return generate(SCHEMAS, out, teacher_url=srv.url, dbs=dbs, log=lambda m: None, **kw)

def lines(p): return [json.loads(l) for l in Path(p).read_text().splitlines()]

def no_key_on_disk(d):
    for p in Path(d).rglob("*"):
        if p.is_file(): assert KEY.encode() not in p.read_bytes(), p

def test_twenty_records_load_tokenize_and_carry_metadata(tmp_path, dbs):
    from sql_codegen_slm.model import load_tokenizer
    with ChatServer(KEY) as srv: rep = run(srv, tmp_path / "d.jsonl", dbs, total=20, concurrency=2)
    assert (rep["stop_reason"], rep["records"], rep["rejected"]) == ("done", 20, {})
    recs, skipped = load_records(tmp_path / "d.jsonl")
    assert len(recs) == 20 and not skipped and len({r["id"] for r in recs}) == 20
    from sql_codegen_slm.prompts import PromptFormat
    fmt = PromptFormat(load_tokenizer("tiny"))
    for r in recs:
        t = tokenize_record(fmt, r["messages"], 512)
        assert t is not None and not t["cut"] and any(l != -100 for l in t["labels"])
        m = r["meta"]
        assert m["teacher_model"] == "teacher-test" and m["rows"] == 1 and m["request_id"].startswith("req_")
        assert m["tokens_in"] > 0 and m["cost_usd"] > 0 and "aggregate" in m["features"]
        assert r["messages"][1]["content"].startswith(f"Database: {r['db_id']}\nSchema:\nCREATE TABLE")
    assert {r["db_id"] for r in recs} == {"bookstore", "clinic", "flights", "school"}
    work = tmp_path / "d.jsonl.datagen"
    assert {"report.json", "report.md", "report.png"} <= {p.name for p in work.iterdir()}
    assert all(a == f"Bearer {KEY}" for a in [e["auth"] for e in srv.log])
    before = (tmp_path / "d.jsonl").read_text()
    with ChatServer(KEY) as srv2: rep2 = run(srv2, tmp_path / "d.jsonl", dbs, total=20, concurrency=2)
    assert len(srv2.log) == 0 and rep2["kept_this_run"] == 0 and (tmp_path / "d.jsonl").read_text() == before
    no_key_on_disk(tmp_path)

def test_each_rejection_reason_is_counted(tmp_path, dbs):
    good = {"question": "How many authors are there?", "sql": "SELECT COUNT(*) FROM authors"}
    bad = [{"question": "q1", "sql": "SELEC name FROM authors"}, {"question": "q2", "sql": "DELETE FROM authors"},
           {"question": "q3", "sql": "SELECT 1; SELECT 2"}, {"question": "q4", "sql": "SELECT * FROM nope"},
           {"question": "q5", "sql": "SELECT * FROM authors WHERE 1 = 0"},
           {"question": "q6", "sql": "SELECT pg_sleep(3)"},
           {"question": "", "sql": "SELECT 1"}, "not a pair", good,
           {"question": "how many AUTHORS are there", "sql": "SELECT name FROM authors"},  # same question
           {"question": "Count the authors.", "sql": "select count(*) from authors;"},  # same SQL
           {"question": "Authors\u0000?", "sql": "SELECT name FROM authors"},  # a NUL in the question
           {"question": "q7", "sql": "SELECT 1\u0000; DROP TABLE authors"}]  # the parser would stop at the NUL
    script = [{"pairs": bad}, {"content": "Sure! Here are pairs: ..."},
              {"content": '{"pairs": [{"question"', "finish_reason": "length"},
              {"content": '{"items": []}'}, {"pairs": [good]}]
    with ChatServer(KEY, script) as srv:
        rep = run(srv, tmp_path / "d.jsonl", dbs, total=2, features=["aggregate"], oversample=20)
    assert rep["rejected"] == {"syntax": 2, "not_read_only": 1, "multiple_statements": 1, "execution_error": 1,
                               "empty_result": 1, "timeout": 1, "malformed_pair": 3, "duplicate": 3,
                               "malformed_reply": 2, "truncated_reply": 1}, rep["rejected"]
    kept = lines(tmp_path / "d.jsonl")
    assert [r["messages"][-1]["content"] for r in kept][0] == "SELECT COUNT(*) FROM authors;"
    assert rep["records"] == 2 and rep["duplicates_removed"] == 3
    print(f"\nkept rate on the scripted server: {rep['kept_rate']}; rejected {rep['rejected']}; "
          f"verification {rep['verify_ms_per_pair']} ms/pair")

def test_429_500_and_timeout_are_retried_honouring_retry_after(tmp_path, dbs):
    script = [{"status": 429, "retry_after": 0.6}, {"status": 429, "retry_after": 0.6}, {"status": 500}, {"sleep": 2.0}]
    with ChatServer(KEY, script) as srv:
        rep = run(srv, tmp_path / "d.jsonl", dbs, total=5, timeout_s=1.0, max_retries=5)
    assert (rep["stop_reason"], rep["records"], rep["rejected"]) == ("done", 5, {})
    t = [e["t"] for e in srv.log]
    assert len(t) == 5, len(t)  # 429, 429, 500, timed out, answered
    assert t[1] - t[0] >= 0.55 and t[2] - t[1] >= 0.55  # Retry-After, not the 0.5 s default backoff with jitter
    assert t[4] - t[3] >= 0.95  # the client gave up on the slow reply after its timeout

def test_request_failing_after_retries_is_counted_and_skipped(tmp_path, dbs):
    with ChatServer(KEY, [{"status": 500}] * 2) as srv:
        rep = run(srv, tmp_path / "d.jsonl", dbs, total=5, max_retries=1)
    assert rep["rejected"] == {"request_failed": 1} and rep["records"] == 5 and len(srv.log) == 3

def test_wrong_key_fails_at_once_progress_saved(tmp_path, dbs, monkeypatch):
    out = tmp_path / "d.jsonl"
    with ChatServer(KEY) as srv: run(srv, out, dbs, total=5)
    monkeypatch.setenv(KEY_ENV, "sk-wrong-key-456")
    with ChatServer(KEY) as srv:
        with pytest.raises(AuthError, match=f"refused the API key in \\${KEY_ENV}") as e:
            run(srv, out, dbs, total=10, max_retries=3)
    assert "sk-wrong" not in str(e.value) and len(srv.log) == 1  # not retried
    assert len(lines(out)) == 5
    assert json.loads((tmp_path / "d.jsonl.datagen/report.json").read_text())["stop_reason"] == "auth"
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(AuthError, match=f"{KEY_ENV} is not set"): run(srv, out, dbs, total=10)

def test_budget_cap_is_never_crossed_and_survives_a_rerun(tmp_path, dbs):
    out, cap, price = tmp_path / "d.jsonl", 3.0, 1000.0  # $1000 per million tokens: one request costs ~$0.4-1.4
    with ChatServer(KEY) as srv:
        rep = run(srv, out, dbs, total=100, budget_usd=cap, price_in=price, price_out=price, max_tokens=300)
    paid = sum((i + o) * price / 1e6 for i, o in srv.usage)
    assert rep["stop_reason"] == "budget" and "budget $3.000000 reached" in rep["message"]
    assert rep["cost_usd_total"] == pytest.approx(paid, abs=1e-9) and paid <= cap
    ledger = lines(out.parent / "d.jsonl.datagen/spend.jsonl")
    assert len(ledger) == len(srv.usage) == rep["paid_requests_total"]
    worst_next = float(rep["message"].split("could cost $")[1].split(" ")[0])
    assert paid + worst_next > cap  # it stopped only when the next worst case did not fit
    print(f"\nbudget test: spent ${paid:.6f} of a ${cap} cap in {len(srv.usage)} requests "
          f"(next worst case ${worst_next:.4f})")
    n = len(lines(out))
    with ChatServer(KEY) as srv2:  # the same command again: the ledger keeps the spend, nothing new is paid
        rep2 = run(srv2, out, dbs, total=100, budget_usd=cap, price_in=price, price_out=price, max_tokens=300)
    assert rep2["stop_reason"] == "budget" and rep2["cost_usd_this_run"] == 0 and len(lines(out)) == n
    assert len(srv2.log) == 0 and rep2["cache_hits"] == len(srv.usage)

def test_cache_hit_costs_nothing_and_a_corrupt_entry_is_refetched(tmp_path, dbs):
    cache = tmp_path / "cache"
    with ChatServer(KEY) as srv: a = run(srv, tmp_path / "a.jsonl", dbs, total=10, cache_dir=cache)
    n = len(srv.log)
    assert n == 2 and a["cost_usd_this_run"] > 0
    with ChatServer(KEY) as srv: b = run(srv, tmp_path / "b.jsonl", dbs, total=10, cache_dir=cache)
    assert len(srv.log) == 0 and (b["cache_hits"], b["cost_usd_this_run"], b["records"]) == (n, 0, 10)
    assert lines(tmp_path / "a.jsonl") == lines(tmp_path / "b.jsonl")
    victim = sorted(cache.glob("*.json"))[0]
    victim.write_text(victim.read_text()[:50])
    with ChatServer(KEY) as srv: c = run(srv, tmp_path / "c.jsonl", dbs, total=10, cache_dir=cache)
    assert (len(srv.log), c["cache_corrupt_refetched"], c["cache_hits"], c["records"]) == (1, 1, n - 1, 10)
    assert c["cost_usd_this_run"] > 0 and json.loads(victim.read_text())["request"]["model"] == "teacher-test"

def test_concurrency_8_throughput(tmp_path, dbs):
    with ChatServer(KEY, default={"sleep": 0.2}) as srv:
        rep = run(srv, tmp_path / "d.jsonl", dbs, total=32, pairs_per_request=1, oversample=1.0, concurrency=8)
    t = sorted(e["t"] for e in srv.log)
    rps = (len(t) - 1) / (t[-1] - t[0])
    print(f"\nconcurrency 8 against the local server (0.2 s per reply): {rps:.1f} requests/s, "
          f"verification {rep['verify_ms_per_pair']} ms/pair, wall {rep['wall_s']} s")
    assert rep["records"] == 32 and rps > 10  # one at a time would be < 5/s

def test_sigkill_then_same_command_resumes_without_loss_or_duplicate(tmp_path):
    out = tmp_path / "d.jsonl"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with ChatServer(KEY, default={"sleep": 0.3}) as srv:
        cmd = [sys.executable, "-c",
               "import sys; from sql_codegen_slm.datagen import main; sys.exit(main(sys.argv[1:]))",
               "--schemas", str(SCHEMAS), "--out", str(out), "--total", "24", "--budget-usd", "10", "--model",
               "teacher-test", "--price-in", "1", "--price-out", "2", "--pairs-per-request", "3", "--concurrency", "2",
               "--api-key-env", KEY_ENV, "--teacher-url", srv.url]
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and (not out.exists() or out.read_text().count("\n") < 6): time.sleep(0.05)
        p.send_signal(signal.SIGKILL); p.wait()
        before = out.read_text().splitlines()
        assert 6 <= len(before) < 24
        with open(out, "a") as f: f.write(before[-1][: len(before[-1]) // 2])  # what a kill inside a write leaves
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    after = lines(out)
    assert len(after) == 24 and len({x["id"] for x in after}) == 24
    assert [json.dumps(x) for x in after[:len(before)]] == before
    rep = json.loads((tmp_path / "d.jsonl.datagen/report.json").read_text())
    assert rep["torn_lines_dropped"] == 1 and rep["already_written"] == len(before) and rep["records"] == 24
    assert KEY not in r.stdout + r.stderr
    no_key_on_disk(tmp_path)

def test_rate_limit_json_mode_fallback_and_val_split(tmp_path, dbs):
    with ChatServer(KEY, json_mode=False) as srv:
        rep = run(srv, tmp_path / "d.jsonl", dbs, total=12, pairs_per_request=2, rps=4.0, val_fraction=0.5,
                  split_by="schema")
    t = [e["t"] for e in srv.log]
    # a refused JSON-mode try, then 6 at 4/s: 5 gaps of 0.25 s on average (one late arrival may shorten the next gap
    # as seen by the server: the limiter spaces the sends, the clock here is the server's)
    gaps = [b - a for a, b in zip(t[1:], t[2:])]
    assert len(t) == 7 and sum(gaps) >= 5 * 0.25 - 0.03 and min(gaps) >= 0.15, gaps
    train, val = load_records(tmp_path / "d.jsonl")[0], load_records(tmp_path / "d.val.jsonl")[0]
    assert len(train) + len(val) == rep["records"] == 12 and train and val
    assert not {r["db_id"] for r in train} & {r["db_id"] for r in val}  # by schema: no schema on both sides
    assert {r["split"] for r in val} == {"val"}

def test_cli_exit_codes_budget_and_dry_run(tmp_path, capsys):
    args = ["--schemas", str(SCHEMAS), "--out", str(tmp_path / "d.jsonl"), "--total", "50", "--model", "teacher-test",
            "--price-in", "1000", "--price-out", "1000", "--api-key-env", KEY_ENV, "--max-tokens", "300"]
    with ChatServer(KEY) as srv:
        assert main(args + ["--budget-usd", "2", "--teacher-url", srv.url, "--dry-run"]) == 0
        assert len(srv.log) == 0 and "worst case: $" in capsys.readouterr().out
        assert main(args + ["--budget-usd", "2", "--teacher-url", srv.url]) == 3
        err = capsys.readouterr().err
        assert "BudgetExceeded: budget $2.000000 reached" in err
        os.environ[KEY_ENV] = "sk-wrong-key-456"
        assert main(args + ["--budget-usd", "100", "--teacher-url", srv.url]) == 4
    err = capsys.readouterr().err
    assert f"refused the API key in ${KEY_ENV}" in err and "sk-wrong" not in err

def test_twenty_generated_records_train_through_the_smoke(tmp_path, dbs):
    "The plan's end-to-end check: 20 generated samples, then `nbs/train.ipynb` in smoke mode trains on them."
    with ChatServer(KEY) as srv: rep = run(srv, tmp_path / "data.jsonl", dbs, total=20, concurrency=2)
    assert rep["records"] == 20
    r = subprocess.run([sys.executable, "-m", "papermill", str(ROOT / "nbs/train.ipynb"), str(tmp_path / "smoke.ipynb"),
                        "-p", "mode", "smoke", "-p", "train_file", str(tmp_path / "data.jsonl"),
                        "-p", "output_dir", str(tmp_path / "run"),  # CPU time: 4 steps, the kill after checkpoint 2
                        "-y", "overrides: [training.max_steps=4, training.save_steps=2, training.eval_steps=4]"],
                       cwd=ROOT, capture_output=True, text=True, timeout=400, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert r.returncode == 0, r.stderr[-3000:]
    smoke = json.loads((tmp_path / "run/report.json").read_text())
    data = next(c for c in smoke["checks"] if c["name"] == "data_loading")
    assert smoke["passed"] and data["message"].startswith("20 train"), data


# ---- nothing silent, nothing false ----------------------------------------------------------------------------------
BASE = ["--schemas", str(SCHEMAS), "--total", "10", "--budget-usd", "1", "--model", "teacher-test", "--price-in", "1",
        "--price-out", "2", "--api-key-env", KEY_ENV]


def _main(capsys, *args):
    "main(args): exit code and the lines it wrote to stderr."
    try: rc = main([str(a) for a in args])
    except SystemExit as e: rc = e.code  # argparse: a flag's value it cannot take
    return rc, capsys.readouterr().err.strip().splitlines()


@pytest.fixture
def no_postgres(monkeypatch):
    "PostgreSQL must not start: the input is checked first."
    def boom(*a, **k): raise AssertionError("PostgreSQL started before the flags were checked")
    monkeypatch.setattr("sql_codegen_slm.datagen.PostgresDatabases", boom)


BAD_NUMBERS = [("--total", "-5"), ("--total", "0"), ("--total", "nan"), ("--total", "1e12"), ("--total", "10000000"),
               ("--budget-usd", "-1"), ("--budget-usd", "nan"), ("--budget-usd", "inf"),
               ("--pairs-per-request", "0"), ("--pairs-per-request", "-2"), ("--pairs-per-request", "100000"),
               ("--concurrency", "0"), ("--concurrency", "100000"), ("--max-tokens", "0"), ("--temperature", "-1"),
               ("--temperature", "nan"), ("--rps", "0"), ("--rps", "-3"), ("--timeout", "0"), ("--timeout", "nan"),
               ("--max-retries", "-1"), ("--oversample", "0"), ("--oversample", "0.5"), ("--oversample", "nan"),
               ("--oversample", "1e9"), ("--val-fraction", "-0.1"), ("--val-fraction", "1"), ("--sql-timeout", "0"),
               ("--sql-timeout", "nan"), ("--price-in", "-1"), ("--price-out", "nan")]


@pytest.mark.parametrize("flag,value", BAD_NUMBERS)
@pytest.mark.parametrize("dry", [False, True])
def test_every_numeric_flag_checked_before_anything_starts(tmp_path, capsys, no_postgres, flag, value, dry):
    "--total -5 planned '-1 requests', --pairs-per-request 0 divided by zero, --concurrency 0 failed after PostgreSQL."
    args = list(BASE)
    if flag in args: del args[args.index(flag):args.index(flag) + 2]
    rc, err = _main(capsys, *args, flag, value, "--out", tmp_path / "d.jsonl", *(["--dry-run"] if dry else []))
    assert rc == 2 and len(err) == 1 and flag in err[0], (rc, err)
    assert not (tmp_path / "d.jsonl.datagen").exists()


@pytest.mark.parametrize("flag,value,words", [("--features", "", ["--features"]),
                                              ("--features", "joins", ["--features", "joins", "join"]),
                                              ("--model", "", ["--model"]), ("--api-key-env", "", ["--api-key-env"]),
                                              ("--teacher-url", "127.0.0.1:8000/v1", ["--teacher-url", "http"]),
                                              ("--teacher-url", "", ["--teacher-url"])])
def test_empty_and_malformed_flags_named(tmp_path, capsys, no_postgres, flag, value, words):
    rc, err = _main(capsys, *BASE, "--out", tmp_path / "d.jsonl", flag, value)
    assert rc == 2 and len(err) == 1 and all(w in err[0] for w in words), (rc, err)
    assert main(BASE + ["--out", str(tmp_path / "d.jsonl"), "--features", "join,,cte ", "--dry-run"]) == 0
    assert "features: join, cte" in capsys.readouterr().out  # an empty item is only a stray comma: accepted


def test_out_of_another_shape_or_a_directory_is_refused_untouched(tmp_path, capsys, no_postgres):
    "An --out that is not this command's own output is named, not appended to (nor cut at its last newline)."
    cases = {"notes.jsonl": b'{"text": "hello"}\n{"text": "world"}', "table.jsonl": b"a,b\n1,2",
             "array.jsonl": b'[{"id": "x"}]\n', "binary.jsonl": b"\xff\xfe\x00\x01\n",
             "records.jsonl": json.dumps({"messages": [{"role": "user", "content": "q"}]}).encode() + b"\n"}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        rc, err = _main(capsys, *BASE, "--out", tmp_path / name)
        assert rc == 2 and len(err) == 1 and f"{tmp_path / name}:1" in err[0] and "--out" in err[0], (name, err)
        assert (tmp_path / name).read_bytes() == data, f"{name} was changed"
    (tmp_path / "dir").mkdir()
    rc, err = _main(capsys, *BASE, "--out", tmp_path / "dir")
    assert rc == 2 and len(err) == 1 and "--out" in err[0] and "directory" in err[0], err
    rc, err = _main(capsys, *BASE, "--out", tmp_path / "notes.jsonl" / "d.jsonl")
    assert rc == 2 and len(err) == 1 and "--out" in err[0], err
    rc, err = _main(capsys, *BASE, "--out", tmp_path / "new.jsonl", "--cache-dir", tmp_path / "table.jsonl")
    assert rc == 2 and len(err) == 1 and "--cache-dir" in err[0], err


def test_schema_that_does_not_load_names_file_and_statement(tmp_path, capsys):
    schemas = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, schemas)
    (schemas / "zoo.sql").write_text("CREATE TABLE animals (id INTEGER PRIMARY KEY, name TEXT);\n"
                                     "INSERT INTO animals VALUES (1, 'cat');\nINSERT INTO animals VALUES (1, 'dog');\n")
    rc, err = _main(capsys, *BASE[2:], "--schemas", schemas, "--out", tmp_path / "d.jsonl",
                    "--teacher-url", "http://127.0.0.1:9/v1")
    assert rc == 2 and err[-1].count(str(schemas / "zoo.sql")) == 1 and "line 3" in err[-1], err
    assert "duplicate key" in err[-1], err
    (schemas / "zoo.sql").write_bytes(b"CREATE TABLE animals (name TEXT);\nINSERT INTO animals VALUES ('\xe9');\n")
    rc, err = _main(capsys, *BASE[2:], "--schemas", schemas, "--out", tmp_path / "d.jsonl", "--dry-run")
    assert rc == 2 and len(err) == 1 and str(schemas / "zoo.sql") in err[0] and "UTF-8" in err[0], err


def _dead_url():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"  # nothing listens there once closed


def test_dead_teacher_url_stops_after_a_few_failures_and_names_it(tmp_path, capsys):
    "Once: 80 futile requests in 143 s, then 'APIConnectionError' without the URL."
    url, t0 = _dead_url(), time.monotonic()
    rc, err = _main(capsys, *BASE, "--total", "100", "--out", tmp_path / "d.jsonl", "--teacher-url", url,
                    "--max-retries", "1")
    took = time.monotonic() - t0
    assert rc == 2 and url in err[-1] and "--teacher-url" in err[-1], err
    assert sum("failed" in l for l in err[:-1]) <= 4 and took < 60, (took, err)
    rep = json.loads((tmp_path / "d.jsonl.datagen/report.json").read_text())
    assert rep["stop_reason"] == "unreachable" and url in rep["message"]


def test_exit_1_when_the_kept_rate_falls_below_the_floor(tmp_path, capsys):
    "Each exit code the docs name: 0 done, 1 kept rate under the floor, 2 bad input, 3 budget, 4 key refused."
    with ChatServer(KEY, default={"content": "no JSON here"}) as srv:
        rc = main(BASE + ["--out", str(tmp_path / "d.jsonl"), "--teacher-url", srv.url, "--oversample", "1"])
    out, err = capsys.readouterr()
    assert rc == 1 and "kept_rate" in out and len(err.splitlines()) == 1, err
    assert err.startswith("stopped: the teacher kept 0 of 100 pairs asked for in its last 20 replies (0%), below "
                          "--min-kept-rate 0.1; rejected most: malformed_reply 20. Its replies are not the JSON"), err
    assert "lower --min-kept-rate" in err and "0 of 10 records are written" in err
    with ChatServer(KEY) as srv:
        assert main(BASE + ["--out", str(tmp_path / "e.jsonl"), "--teacher-url", srv.url]) == 0


def test_empty_schema_file_is_named(tmp_path, capsys, no_postgres):
    "A schema file without a CREATE statement once went to the teacher as an empty schema."
    schemas = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, schemas)
    (schemas / "empty.sql").write_text("-- nothing here yet\n")
    rc, err = _main(capsys, *BASE[2:], "--schemas", schemas, "--out", tmp_path / "d.jsonl", "--dry-run")
    assert rc == 2 and len(err) == 1 and str(schemas / "empty.sql") in err[0] and "no CREATE" in err[0], err


# ---- issue 28: the budget waits for requests in flight; the target is reached past the plan; live databases ---------
EXPENSIVE = dict(price_in=1000.0, price_out=1000.0, max_tokens=3700)  # a request: worst case ~$5.1, real cost ~$0.45


def test_budget_waits_for_requests_in_flight_and_reports_the_real_spend(tmp_path, dbs):
    "Once: --budget-usd 9, concurrency 8, one $0.46 request, then 'spent $0.000000, the next could cost $5.135000'."
    out, cap = tmp_path / "d.jsonl", 9.0
    with ChatServer(KEY, default={"sleep": 0.05}) as srv:
        rep = run(srv, out, dbs, total=200, budget_usd=cap, concurrency=8, **EXPENSIVE)
    paid = [(i + o) * 1000 / 1e6 for i, o in srv.usage]
    worst_next = float(rep["message"].split("could cost $")[1].split(" ")[0])
    spent_said = float(rep["message"].split("spent $")[1].split(",")[0])
    print(f"\nbudget case: cap ${cap}, concurrency 8, worst case per request ${worst_next:.4f}: {len(paid)} requests "
          f"paid ${sum(paid):.6f} (mean ${sum(paid) / len(paid):.4f}), {rep['records']} records; stopped: "
          f"{rep['stop_reason']}: {rep['message']}")
    assert rep["stop_reason"] == "budget" and sum(paid) <= cap  # never crossed
    assert spent_said == pytest.approx(sum(paid), abs=1e-6) == rep["cost_usd_total"]  # the real spend, all settled
    assert sum(paid) + worst_next > cap  # it stopped when the next request could cross the cap
    # and not before: the last request sent was reserved at its own worst case (prompts differ, so worst cases do:
    # CI once saw the next one's $0.01 above the last sent one's) while all others had settled or held theirs
    at = Budget(cap, EXPENSIVE["price_in"], EXPENSIVE["price_out"])  # its prices, as the run reserved by them
    worst = [at.cost(prompt_token_bound(r["messages"]), r["max_tokens"]) for r in srv.answered]
    assert cap >= min(sum(paid) - p + w for p, w in zip(paid, worst)) - 1e-9
    assert len(paid) >= 8 and rep["requests_paid_this_run"] == len(paid) == len(lines(out.parent / f"{out.name}.datagen"
                                                                                      "/spend.jsonl"))


def test_target_is_reached_with_new_prompts_past_the_plan(tmp_path, capsys):
    "Once: --total 10 with a teacher keeping ~45 %: 8 of 10 records, 'plan_exhausted', exit 1, nothing on stderr, and "
    "the same command replayed the same plan from the cache."
    out = tmp_path / "d.jsonl"
    args = BASE + ["--out", str(out), "--concurrency", "8", "--budget-usd", "1000", "--price-in", "1000",
                   "--price-out", "1000", "--max-tokens", "3700"]
    with ChatServer(KEY, default={"kept": 0.45}) as srv:
        args += ["--teacher-url", srv.url]
        rc = main(args)
        first = json.loads((tmp_path / "d.jsonl.datagen/report.json").read_text())
        n_first = len(srv.usage)
        rc2 = main([a if a != "10" else "20" for a in args])  # a larger target: the cache replays, new prompts follow
    err = capsys.readouterr().err
    rep = json.loads((tmp_path / "d.jsonl.datagen/report.json").read_text())
    print(f"\ntarget case: --total 10, kept ~45 %, concurrency 8: {first['records']} records, "
          f"{first['requests_paid_this_run']} requests ({first['requests_planned']} planned up front), kept rate "
          f"{first['kept_rate']}, stopped: {first['stop_reason']}; then --total 20: {rep['records']} records, "
          f"{rep['cache_hits']} cache hits, {rep['requests_paid_this_run']} new requests, stopped: "
          f"{rep['stop_reason']}")
    assert (rc, first["stop_reason"], first["records"]) == (0, "done", 10) and err == ""
    assert first["requests_paid_this_run"] == n_first > first["requests_planned"] == 4  # past the plan
    assert (rc2, rep["stop_reason"], rep["records"], rep["already_written"]) == (0, "done", 20, 10)
    assert rep["cache_hits"] == n_first and rep["requests_paid_this_run"] == len(srv.usage) - n_first > 0
    assert len(list((tmp_path / "d.jsonl.datagen/cache").glob("*.json"))) == len(srv.usage)  # no prompt asked twice
    assert 0.3 < first["kept_rate"] < 0.6 and set(rep["rejected"]) == {"execution_error"}


def test_importer_directory_with_other_files_is_accepted(tmp_path, capsys, no_postgres):
    schemas = tmp_path / "imported"
    shutil.copytree(SCHEMAS, schemas)
    (schemas / "report.json").write_text('{"kept": 3}'); (schemas / "records.jsonl").write_text('{"a": 1}\n')
    assert main(BASE[2:] + ["--schemas", str(schemas), "--out", str(tmp_path / "d.jsonl"), "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "schemas (4): bookstore, clinic, flights, school" in out
    rc, err = _main(capsys, *BASE[2:], "--schemas", schemas / "records.jsonl", "--out", tmp_path / "d.jsonl",
                    "--dry-run")
    assert rc == 2 and len(err) == 1 and "records.jsonl: not a directory" in err[0], err


def test_live_database_schema_and_verification_never_show_the_password(tmp_path, capsys, monkeypatch):
    from test_catalog import PASSWORD, live_database
    import psycopg
    script = [{"pairs": [{"question": "Next ticket?", "sql": "SELECT nextval('ticket_seq')"},  # a query that writes
                         {"question": "Wait a bit?", "sql": "SELECT pg_sleep(3), 1"},  # past --sql-timeout
                         {"question": "How many regions?", "sql": "SELECT count(*) FROM regions"}]}]
    with live_database() as (url, cluster), ChatServer(KEY, script) as srv:
        with psycopg.connect(cluster.admin_conninfo("shop_live"), autocommit=True) as c:
            c.execute("CREATE SEQUENCE ticket_seq; GRANT USAGE, UPDATE ON SEQUENCE ticket_seq TO shop_ro")
        with monkeypatch.context() as m:  # no embedded cluster can start: the pairs run on the live database itself
            m.setattr("sql_codegen_slm.postgres._pgserver", lambda: (_ for _ in ()).throw(AssertionError("a copy")))
            rc, err = _main(capsys, *BASE[2:], "--schemas", url, "--out", tmp_path / "d.jsonl", "--total", "6",
                            "--sql-timeout", "0.5", "--teacher-url", srv.url, "--concurrency", "2")
        with psycopg.connect(cluster.admin_conninfo("shop_live")) as c:
            assert c.execute("SELECT last_value, is_called FROM ticket_seq").fetchone() == (1, False)  # never moved
    out = capsys.readouterr().out
    rep = json.loads((tmp_path / "d.jsonl.datagen/report.json").read_text())
    assert rc == 0 and rep["records"] == 6 and {r["db_id"] for r in lines(tmp_path / "d.jsonl")} == {"shop_live"}
    assert rep["rejected"] == {"not_read_only": 1, "timeout": 1}, rep["rejected"]  # read-only tx refused it
    user = lines(tmp_path / "d.jsonl")[0]["messages"][1]["content"]
    assert user.startswith("Database: shop_live\nSchema:\nCREATE TABLE regions (region_id integer PRIMARY KEY")
    assert "INSERT" not in user and "read from" not in user
    enc = PASSWORD.replace("#", "%23")
    assert not any(p in out + "\n".join(err) for p in (PASSWORD, enc))
    for f in tmp_path.rglob("*"):
        if f.is_file(): assert PASSWORD.encode() not in f.read_bytes() and enc.encode() not in f.read_bytes(), f
    no_key_on_disk(tmp_path)


def test_unreachable_live_database_is_one_line_without_the_password(tmp_path, capsys):
    url = _dead_url().replace("http://", "postgresql://reader:Sup3r-s3cret@").replace("/v1", "/shop")
    for extra in (["--dry-run"], ["--teacher-url", "http://127.0.0.1:9/v1"]):
        rc, err = _main(capsys, *BASE[2:], "--schemas", url, "--out", tmp_path / "d.jsonl", *extra)
        assert rc == 2 and len(err) == 1 and "cannot read the schema of postgresql://reader:***@127.0.0.1:" in err[0]
        assert "Sup3r" not in err[0], err
