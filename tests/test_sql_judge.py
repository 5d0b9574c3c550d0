"SQL judge on a real PostgreSQL (pgserver): gold vs itself, hand-made wrong answers, safety, timeouts, the CLI."
import json, shutil, subprocess, sys, time
from pathlib import Path

import psycopg
import pytest

from sql_codegen_slm.judge import evaluate, judge
from sql_codegen_slm.data import read_records, sample_data_dir
from sql_codegen_slm.postgres import READER, PostgresDatabases, QueryError

SAMPLE = sample_data_dir()
HAVE_SAMPLE = (SAMPLE / "val.jsonl").exists() and (SAMPLE / "schemas").is_dir()
needs_sample = pytest.mark.skipif(not HAVE_SAMPLE, reason=f"shipped sample data not found under {SAMPLE}")

# A small database of our own, so these tests do not depend on the sample data's contents.
# Insertion order is not alphabetical, two amounts tie, one timestamp is exactly midnight, some NULLs.
SHOP_SQL = """
CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT, joined DATE);
CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(customer_id),
                     amount NUMERIC(8,2), placed_at TIMESTAMP, note TEXT);
INSERT INTO customers VALUES (1, 'Mia', 'Paris', '2023-05-01'), (2, 'Ann', 'Lyon', '2022-01-15'),
  (3, 'Zoe', 'Paris', '2024-02-29'), (4, 'Bob', NULL, '2023-05-01'), (5, 'Eve', 'Lyon', NULL);
INSERT INTO orders VALUES (10, 1, 19.99, '2024-01-05 10:00', NULL), (11, 1, 5.00, '2024-02-10 12:30', 'gift'),
  (12, 2, 19.99, '2024-02-11 09:15', NULL), (13, 3, 100.10, '2024-03-01 00:00', 'rush'),
  (14, 4, 7.50, '2024-03-15 18:45', NULL), (15, 3, 5.00, '2024-03-20 08:00', NULL);
"""
SYSTEM = "You are a PostgreSQL expert. Write one SQL query that answers the question. Return only the SQL."


def rec(question, gold, category=None, alts=None, db_id="shop"):
    r = {"db_id": db_id, "category": category, "messages": [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Database: {db_id}\nSchema:\n...\nQuestion: {question}"},
        {"role": "assistant", "content": gold}]}
    if alts: r["gold_alternatives"] = alts
    return r


@pytest.fixture(scope="module")
def db_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("schemas")
    (d / "shop.sql").write_text(SHOP_SQL)
    if HAVE_SAMPLE:
        for f in (SAMPLE / "schemas").glob("*.sql"): shutil.copy(f, d / f.name)
    return d


@pytest.fixture(scope="module")
def dbs(db_dir):
    with PostgresDatabases(db_dir, timeout_s=1.0) as d:
        d.prepare(["shop"])
        yield d


def _fingerprint(dbs):
    "Row counts and a hash of every row of the shop tables, read as the superuser."
    with psycopg.connect(dbs.admin_conninfo("shop")) as c:
        return [c.execute(f"SELECT count(*), sum(hashtext(t::text)) FROM {t} AS t").fetchone()
                for t in ("customers", "orders")]


PARIS = "SELECT name FROM customers WHERE city = 'Paris';"
ABC = "List all customer names in alphabetical order."

RIGHT = [  # (record, prediction, verdict)
    (rec("Names of customers in Paris?", PARIS), "SELECT c.name AS customer FROM customers c WHERE c.city='Paris' ORDER BY 1 DESC", "exact"),
    (rec("Names of customers in Paris?", PARIS), "SELECT customer_id, name FROM customers WHERE city = 'Paris'", "subset"),
    (rec("Average order amount?", "SELECT AVG(amount) FROM orders;"), "SELECT avg(amount)::float8 AS a FROM orders", "exact"),
    (rec("Days with orders before March?", "SELECT DISTINCT placed_at::date AS d FROM orders WHERE placed_at < '2024-03-01';"),
     "SELECT date_trunc('day', placed_at) AS d FROM orders WHERE placed_at < '2024-03-01'", "exact"),
    (rec("Customers per city?", "SELECT city, COUNT(*) FROM customers GROUP BY city;"),
     "SELECT COUNT(*) AS n, city FROM customers GROUP BY city", "exact"),
    (rec("Order ids and amounts sorted by amount descending.", "SELECT order_id, amount FROM orders ORDER BY amount DESC;"),
     "SELECT order_id, amount FROM orders ORDER BY amount DESC, order_id DESC", "exact"),  # ties may swap
    (rec("Which cities have customers?", "SELECT DISTINCT city FROM customers WHERE city IS NOT NULL;"),
     "SELECT city FROM customers WHERE city IS NOT NULL", "exact"),  # duplicates dropped
    (rec("Names of customers in Paris?", PARIS),
     "<s>[INST] sys\nQuestion: Names? [/INST] Sure:\n```sql\nSELECT name FROM customers WHERE city = 'Paris';\n```\nDone.", "exact"),
]

WRONG = [  # (what is wrong, record, prediction, verdict, error kind)
    ("wrong column", rec("Names of customers in Paris?", PARIS), "SELECT city FROM customers WHERE city = 'Paris'", "mismatch", None),
    ("wrong filter", rec("Names of customers in Paris?", PARIS), "SELECT name FROM customers WHERE city = 'Lyon'", "mismatch", None),
    ("extra rows", rec("Names of customers in Paris?", PARIS), "SELECT name FROM customers", "mismatch", None),
    ("missing gold column", rec("Names and cities in Lyon?", "SELECT name, city FROM customers WHERE city = 'Lyon';"),
     "SELECT name FROM customers WHERE city = 'Lyon'", "mismatch", None),
    ("missing GROUP BY (error)", rec("Customers per city?", "SELECT city, COUNT(*) FROM customers GROUP BY city;"),
     "SELECT city, COUNT(*) FROM customers", "error", "other"),
    ("missing GROUP BY (runs)", rec("Customers per city?", "SELECT city, COUNT(*) FROM customers GROUP BY city;"),
     "SELECT COUNT(*) FROM customers", "mismatch", None),
    ("wrong order when asked", rec(ABC, "SELECT name FROM customers ORDER BY name;"), "SELECT name FROM customers ORDER BY name DESC", "mismatch", None),
    ("no order when asked", rec(ABC, "SELECT name FROM customers ORDER BY name;"), "SELECT name FROM customers", "mismatch", None),
    ("order by the wrong key", rec("Order ids sorted by amount descending.", "SELECT order_id, amount FROM orders ORDER BY amount DESC;"),
     "SELECT order_id, amount FROM orders ORDER BY order_id", "mismatch", None),
    ("LIMIT too large", rec("Id of the largest order?", "SELECT order_id FROM orders ORDER BY amount DESC LIMIT 1;"),
     "SELECT order_id FROM orders ORDER BY amount DESC LIMIT 3", "mismatch", None),
    ("= NULL instead of IS NULL", rec("Orders without a note?", "SELECT COUNT(*) FROM orders WHERE note IS NULL;"),
     "SELECT COUNT(*) FROM orders WHERE note = NULL", "mismatch", None),
    ("date boundary", rec("Orders from March 1 on?", "SELECT order_id FROM orders WHERE placed_at >= '2024-03-01';"),
     "SELECT order_id FROM orders WHERE placed_at > '2024-03-01'", "mismatch", None),
    ("unrounded", rec("Average amount to the cent?", "SELECT ROUND(AVG(amount), 2) FROM orders;"),
     "SELECT AVG(amount) FROM orders", "mismatch", None),
    ("wrong join", rec("Total spent per customer?", "SELECT c.name, SUM(o.amount) FROM customers AS c JOIN orders AS o ON o.customer_id = c.customer_id GROUP BY c.name;"),
     "SELECT c.name, SUM(o.amount) FROM customers AS c JOIN orders AS o ON o.order_id - 9 = c.customer_id GROUP BY c.name", "mismatch", None),
    ("undefined table", rec("Names?", PARIS), "SELECT name FROM clients", "error", "undefined_table"),
    ("undefined column", rec("Names?", PARIS), "SELECT fullname FROM customers", "error", "undefined_column"),
    ("syntax", rec("Names?", PARIS), "SELEC name FROM customers", "error", "syntax"),
    ("empty", rec("Names?", PARIS), "", "error", "empty"),
    ("runtime error", rec("Names?", PARIS), "SELECT 1 / 0", "error", "other"),
]


def test_right_answers_all_correct(dbs, db_dir):
    res = evaluate([r for r, _, _ in RIGHT], [p for _, p, _ in RIGHT], db_dir, dbs=dbs)
    assert [it["verdict"] for it in res["items"]] == [v for _, _, v in RIGHT]
    assert res["execution_accuracy"] == 1.0 and res["errors"] == {}


def test_alternative_gold(dbs):
    r = rec("Customers with a known city?", PARIS, alts=["SELECT name FROM customers WHERE city IN ('Paris', 'Lyon');"])
    v = judge(dbs, r, "SELECT name FROM customers WHERE city IS NOT NULL")
    assert v["correct"] and v["matched_gold"] == 1
    assert not judge(dbs, r, "SELECT name FROM customers")["correct"]


def test_wrong_answers_score_zero(dbs, db_dir):
    res = evaluate([r for _, r, _, _, _ in WRONG], [p for _, _, p, _, _ in WRONG], db_dir, dbs=dbs)
    assert res["execution_accuracy"] == 0.0
    got = [(w[0], it["verdict"], it["error_kind"]) for w, it in zip(WRONG, res["items"])]
    assert got == [(w[0], w[3], w[4]) for w in WRONG]
    assert res["errors"] == {"other": 2, "undefined_table": 1, "undefined_column": 1, "syntax": 1, "empty": 1}
    assert res["per_db"] == {"shop": {"n": len(WRONG), "execution_accuracy": 0.0}}


DESTRUCTIVE = ["DROP TABLE orders", "DELETE FROM orders", "UPDATE customers SET name = 'x'", "TRUNCATE orders",
               "COPY customers TO PROGRAM 'touch /tmp/sqljudge-pwned'", "SELECT 1; DROP TABLE orders;",
               "SELECT name FROM customers; DELETE FROM orders", "WITH d AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM d",
               "SELECT * INTO stolen FROM customers", "INSERT INTO customers VALUES (9, 'x', 'y', NULL)",
               "CREATE TABLE t (a int)", "SELECT * FROM orders FOR UPDATE", "SET statement_timeout = 0"]


def test_destructive_statements_refused_and_data_intact(dbs):
    before = _fingerprint(dbs)
    for sql in DESTRUCTIVE:
        with pytest.raises(QueryError) as e: dbs.run("shop", sql)
        assert e.value.kind == "refused", (sql, e.value)
    # a query that kills its own connection fails cleanly, and the next query reconnects
    with pytest.raises(QueryError): dbs.run("shop", "SELECT pg_terminate_backend(pg_backend_pid())")
    assert dbs.run("shop", "SELECT count(*) FROM orders").rows == [(6,)]
    # server-side files and programs are out of the reader's reach
    for sql in ["SELECT pg_read_file('/etc/passwd')", "SELECT lo_import('/etc/passwd')"]:
        with pytest.raises(QueryError) as e: dbs.run("shop", sql)
        assert e.value.kind == "refused", (sql, e.value)
    # session settings changed by one query are rolled back with it
    dbs.run("shop", "SELECT set_config('default_transaction_read_only', 'off', false), set_config('search_path', 'pg_catalog', false)")
    assert dbs.run("shop", "SELECT current_setting('transaction_read_only'), count(*) FROM orders").rows == [("on", 6)]
    assert _fingerprint(dbs) == before and not Path("/tmp/sqljudge-pwned").exists()


def test_each_query_read_only_with_timeout_as_reader(dbs):
    row = dbs.run("shop", "SELECT current_setting('transaction_read_only'), current_user, current_setting('statement_timeout')").rows[0]
    assert row == ("on", READER, "1s")


def test_reader_role_cannot_write_even_outside_read_only_transactions(dbs):
    "The role is a second wall: with read-only mode switched off in its own session, writes are still denied."
    before = _fingerprint(dbs)
    with psycopg.connect(dbs.reader_conninfo("shop"), autocommit=True) as c:
        c.execute("SET default_transaction_read_only = off")
        for sql in ["DELETE FROM orders", "DROP TABLE orders", "CREATE TABLE t (a int)", "UPDATE customers SET name = 'x'",
                    "COPY (SELECT 1) TO PROGRAM 'touch /tmp/sqljudge-pwned'", "CREATE DATABASE x"]:
            with pytest.raises(psycopg.Error) as e: c.execute(sql)
            assert e.value.sqlstate == "42501", (sql, e.value.sqlstate, e.value)  # insufficient privilege
    assert _fingerprint(dbs) == before


def test_timeout_classified(dbs):
    t0 = time.perf_counter()
    with pytest.raises(QueryError) as e: dbs.run("shop", "SELECT pg_sleep(5)")
    assert e.value.kind == "timeout" and time.perf_counter() - t0 < 4
    assert dbs.run("shop", "SELECT 1").rows == [(1,)]  # the connection is usable afterwards


def test_db_url(dbs, db_dir, capsys):
    "An existing server: databases named by db_id; a writable role gets a warning; a missing database a clear error."
    recs, preds = [r for r, _, _ in RIGHT[:3]], [p for _, p, _ in RIGHT[:3]]
    assert evaluate(recs, preds, db_dir, db_url=dbs.reader_conninfo("postgres"))["execution_accuracy"] == 1.0
    assert "warning" not in capsys.readouterr().err
    assert evaluate(recs, preds, db_dir, db_url=dbs.admin_conninfo())["execution_accuracy"] == 1.0
    assert "can write" in capsys.readouterr().err
    with pytest.raises(RuntimeError, match="createdb nope"):
        evaluate([rec("q", PARIS, db_id="nope")], [PARIS], db_dir, db_url=dbs.reader_conninfo("postgres"))


@needs_sample
def test_gold_against_itself_on_sample_val(dbs, db_dir):
    val = read_records(SAMPLE / "val.jsonl")
    res = evaluate(val, [r.gold_sql for r in val], db_dir, dbs=dbs)
    assert res["n"] == len(val) > 0
    assert res["execution_accuracy"] == 1.0, [it for it in res["items"] if not it["correct"]][:3]
    assert res["valid_sql_rate"] == res["exact_match"] == 1.0 and res["gold_errors"] == 0


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "sql_codegen_slm.sql_eval", *map(str, args)], capture_output=True, text=True, timeout=120)


@needs_sample
def test_cli_on_sample_data(tmp_path):
    val = read_records(SAMPLE / "val.jsonl")
    preds = [{"sql": r.gold_sql} for r in val]
    preds[0] = {"sql": "SELECT 1 FROM nowhere"}; preds[1] = {"sql": "DROP TABLE x"}
    pred = tmp_path / "pred.jsonl"
    pred.write_text("".join(json.dumps(p) + "\n" for p in preds))
    out = tmp_path / "out" / "report.json"
    p = _cli("--gold", SAMPLE / "val.jsonl", "--predictions", pred, "--db-sql", SAMPLE / "schemas", "--output", out)
    assert p.returncode == 0, p.stderr
    assert "execution_accuracy" in p.stdout and "queries judged/s" in p.stdout
    res = json.loads(out.read_text())
    assert res["n"] == len(val) and res["execution_accuracy"] == round((len(val) - 2) / len(val), 4)
    assert res["errors"] == {"undefined_table": 1, "refused": 1} and len(res["items"]) == len(val)
    # {"index": i, "sql": ...} lines, in any order
    pred.write_text("".join(json.dumps({"index": i, "sql": r.gold_sql}) + "\n" for i, r in reversed(list(enumerate(val)))))
    p = _cli("--gold", SAMPLE / "val.jsonl", "--predictions", pred, "--db-sql", SAMPLE / "schemas")
    assert p.returncode == 0 and "100.0%" in p.stdout, p.stderr


def test_cli_bad_prediction_line_named(tmp_path, db_dir):
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r, _, _ in RIGHT[:2]))
    pred = tmp_path / "pred.jsonl"
    pred.write_text('{"sql": "SELECT 1"}\n{"sql": SELECT 2}\n')
    p = _cli("--gold", gold, "--predictions", pred, "--db-sql", db_dir)
    assert p.returncode == 2 and f"{pred}:2" in p.stderr, p.stderr
    pred.write_text('{"sql": "SELECT 1"}\n')
    p = _cli("--gold", gold, "--predictions", pred, "--db-sql", db_dir)
    assert p.returncode == 2 and "1 predictions for 2 gold records" in p.stderr, p.stderr


@needs_sample
def test_cli_with_adapter(tmp_path):
    "--adapter: loads a (random, tiny) base + LoRA adapter with its tokenizer, generates, judges."
    import torch
    from peft import LoraConfig, get_peft_model
    from tokenizers import Tokenizer, Regex, models, pre_tokenizers
    from transformers import MistralConfig, MistralForCausalLM, PreTrainedTokenizerFast
    chars = sorted(set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n*,;().=_'"))
    tk = Tokenizer(models.WordLevel({"<unk>": 0, "<s>": 1, "</s>": 2} | {c: i + 3 for i, c in enumerate(chars)}, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Split(Regex("[\\s\\S]"), "isolated")
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="</s>")
    torch.manual_seed(0)
    base = MistralForCausalLM(MistralConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                            num_attention_heads=2, num_key_value_heads=1, head_dim=16))
    base.save_pretrained(tmp_path / "base"); tok.save_pretrained(tmp_path / "base")
    base = MistralForCausalLM.from_pretrained(tmp_path / "base")
    model = get_peft_model(base, LoraConfig(r=2, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"))
    model.save_pretrained(tmp_path / "adapter"); tok.save_pretrained(tmp_path / "adapter")
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(l + "\n" for l in (SAMPLE / "val.jsonl").read_text().splitlines()[:5]))
    out = tmp_path / "out.json"
    p = _cli("--gold", gold, "--adapter", tmp_path / "adapter", "--db-sql", SAMPLE / "schemas", "--output", out,
             "--max-new-tokens", "6", "--batch-size", "2")
    assert p.returncode == 0, p.stderr[-3000:]
    res = json.loads(out.read_text())
    assert res["n"] == 5 and res["generation"]["n"] == 5 and "queries/s" in p.stdout


def test_prediction_cannot_end_or_lock_other_sessions(db_dir):
    "A prediction that ends the judge's other sessions, or keeps a session lock, is refused; the next one is judged."
    (Path(db_dir) / "shop2.sql").write_text(SHOP_SQL)
    kill = ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = current_user "
            "AND pid <> pg_backend_pid()")
    cancel = kill.replace("pg_terminate_backend", "pg_cancel_backend")
    with PostgresDatabases(db_dir, timeout_s=1.0) as d:
        d.prepare(["shop", "shop2"])  # two open reader sessions: the attack on one aims at the other
        for attack in (kill, cancel, "SELECT pg_advisory_lock(42)", "SELECT pg_try_advisory_lock_shared(1, 2)"):
            bad = judge(d, rec("Names of customers in Paris?", PARIS), attack)
            assert not bad["correct"] and bad["error_kind"] == "refused", (attack, bad)
            good = judge(d, rec("Names of customers in Paris?", PARIS, db_id="shop2"), PARIS)
            assert good["correct"], (attack, good)
        # no lock outlives its query: the superuser can take the key the prediction asked for
        with psycopg.connect(d.admin_conninfo("shop")) as c:
            assert c.execute("SELECT pg_try_advisory_lock(42)").fetchone() == (True,)
            row = c.execute(f"SELECT rolsuper, pg_has_role('{READER}', 'pg_signal_backend', 'member') "
                            f"FROM pg_roles WHERE rolname = '{READER}'").fetchone()
            assert row == (False, False)
        # a transaction-scoped lock is still fine: it ends with the judged query's rollback
        assert d.run("shop", "SELECT pg_try_advisory_xact_lock(7)").rows == [(True,)]


# ---- nothing silent, nothing false ----------------------------------------------------------------------------------
def _one_line_error(p, *words):
    "Exit 2 with one line on stderr that names each of `words`."
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2 and len(lines) == 1 and all(w in lines[0] for w in words), (p.returncode, p.stderr[-2000:])
    return lines[0]


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), 1e10])
def test_timeout_must_be_a_positive_finite_number(db_dir, bad):
    "Once --timeout 0 became 1 ms: every query timed out, 0% execution beside 100% exact match."
    with pytest.raises(ValueError, match="timeout"): PostgresDatabases(db_dir, timeout_s=bad)
    with pytest.raises(ValueError, match="timeout"): evaluate([rec("q", PARIS)], [PARIS], db_dir, timeout_s=bad)


@pytest.mark.parametrize("bad", ["0", "-1", "nan", "inf", "1e10", "soon"])
def test_cli_timeout_checked_before_anything_starts(tmp_path, db_dir, bad):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps(rec("Names of customers in Paris?", PARIS)) + "\n")
    pred = tmp_path / "pred.jsonl"
    pred.write_text(json.dumps({"sql": PARIS}) + "\n")
    _one_line_error(_cli("--gold", gold, "--predictions", pred, "--db-sql", db_dir, "--timeout", bad), "--timeout")


OVERSIZED = ["SELECT repeat('x', 3000000)", "SELECT repeat('x', 2000) FROM generate_series(1, 2000)",
             "SELECT string_agg(name, ',') FROM customers, generate_series(1, 400000)"]


def test_result_bytes_are_capped_and_counted_as_oversized(db_dir):
    "A query returning huge values is cut off on the server at --max-result-mb, judged wrong and reported by kind."
    with PostgresDatabases(db_dir, timeout_s=5, max_bytes=1 << 20) as d:
        for sql in OVERSIZED:
            with pytest.raises(QueryError) as e: d.run("shop", sql)
            assert e.value.kind == "oversized" and "1048576 bytes" in e.value.message, (sql, e.value)
        assert d.run("shop", "SELECT repeat('x', 1000) FROM generate_series(1, 500)").rows[0] == ("x" * 1000,)
        assert d.run("shop", ABC_ORDERED := "SELECT name FROM customers ORDER BY name DESC").rows == \
            [("Zoe",), ("Mia",), ("Eve",), ("Bob",), ("Ann",)]  # the wrapped query keeps the gold's order
        res = evaluate([rec("Names of customers in Paris?", PARIS)] * 2 + [rec("x", OVERSIZED[0])],
                       [OVERSIZED[1], PARIS, PARIS], db_dir, dbs=d)
        assert res["errors"] == {"oversized": 1} and res["gold_errors"] == 1 and res["execution_accuracy"] == 0.3333
        assert "oversized 1" in __import__("sql_codegen_slm.judge", fromlist=["x"]).format_report(res)


def test_oversized_result_never_reaches_the_judge_memory(db_dir):
    "400 MB of text on the server; the judge process grows by far less (the cut is made before the rows are sent)."
    code = ("import resource, sys; from sql_codegen_slm.postgres import PostgresDatabases, QueryError\n"
            "with PostgresDatabases(sys.argv[1], timeout_s=30, max_bytes=1 << 20) as d:\n"
            "    d.prepare(['shop']); before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "    try: d.run('shop', \"SELECT repeat('x', 400000000)\"); print('no error')\n"
            "    except QueryError as e: print(e.kind)\n"
            "    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n")
    p = subprocess.run([sys.executable, "-c", code, str(db_dir)], capture_output=True, text=True, timeout=120)
    kind, grew_mb = p.stdout.split()
    assert kind == "oversized" and int(grew_mb) < 100, p.stdout + p.stderr


def test_nul_byte_in_a_prediction_is_judged_not_run_in_part(dbs):
    "pglast reads a C string: 'SELECT 1\\x00; DROP ...' looked like one valid query."
    for sql in ["SELECT name FROM customers\x00; DROP TABLE orders", "SELECT 'a\x00b'"]:
        with pytest.raises(QueryError) as e: dbs.run("shop", sql)
        assert e.value.kind == "syntax" and "NUL" in e.value.message
    from sql_codegen_slm.sql import is_valid_sql
    assert not is_valid_sql("SELECT 1\x00; DROP TABLE orders")
    assert dbs.run("shop", "SELECT 1; -- a comment after the statement").rows == [(1,)]


BAD_SCHEMA = "CREATE TABLE t (a int);\n-- rows\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES ('not a number');\n"


def test_schema_that_does_not_load_names_file_and_statement(tmp_path):
    (tmp_path / "bad.sql").write_text(BAD_SCHEMA)
    with pytest.raises(ValueError) as e: evaluate([rec("q", "SELECT a FROM t", db_id="bad")], ["SELECT 1"], tmp_path)
    msg = str(e.value)
    assert str(tmp_path / "bad.sql") in msg and "line 4" in msg and "INSERT INTO t VALUES ('not a number')" in msg, msg
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps(rec("q", "SELECT a FROM t", db_id="bad")) + "\n")
    pred = tmp_path / "pred.jsonl"
    pred.write_text('{"sql": "SELECT 1"}\n')
    _one_line_error(_cli("--gold", gold, "--predictions", pred, "--db-sql", tmp_path), str(tmp_path / "bad.sql"),
                    "line 4")
    (tmp_path / "bad.sql").write_bytes(b"CREATE TABLE t (a text);\nINSERT INTO t VALUES ('\xff');\n")
    _one_line_error(_cli("--gold", gold, "--predictions", pred, "--db-sql", tmp_path), str(tmp_path / "bad.sql"),
                    "UTF-8")


def test_adapter_directory_checked_before_loading(tmp_path, db_dir):
    "A missing --adapter once gave a hub traceback, an empty one blamed sentencepiece."
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps(rec("q", PARIS)) + "\n")
    for adapter in (tmp_path / "nope", tmp_path):
        line = _one_line_error(_cli("--gold", gold, "--adapter", adapter, "--db-sql", db_dir), str(adapter))
        assert "adapter_config.json" in line and "tokenizer" in line, line


def test_cli_inputs_one_clear_line(tmp_path, db_dir):
    "Every flag of sql-codegen-eval: a wrong value, a missing path, a file for a directory and the reverse."
    gold, pred = tmp_path / "gold.jsonl", tmp_path / "pred.jsonl"
    gold.write_text(json.dumps(rec("Names of customers in Paris?", PARIS)) + "\n")
    pred.write_text(json.dumps({"sql": PARIS}) + "\n")
    ok = ["--gold", gold, "--predictions", pred, "--db-sql", db_dir]
    def args(**kw):
        a = dict(zip(ok[::2], ok[1::2])) | {f"--{k.replace('_', '-')}": v for k, v in kw.items()}
        return [x for k, v in a.items() if v is not None for x in (k, v)]
    cases = [  # (flags, words the one line must hold)
        (dict(gold=tmp_path / "none.jsonl"), ["none.jsonl"]), (dict(gold=tmp_path), [str(tmp_path), "directory"]),
        (dict(predictions=tmp_path / "none.jsonl"), ["none.jsonl"]), (dict(db_sql=tmp_path / "nope"), ["nope"]),
        (dict(db_sql=gold), [str(gold), "directory"]), (dict(output=tmp_path), ["--output", str(tmp_path)]),
        (dict(output=gold / "r.json"), ["--output"]), (dict(max_result_mb="0"), ["--max-result-mb"]),
        (dict(max_result_mb="nan"), ["--max-result-mb"]), (dict(batch_size="0"), ["--batch-size"]),
        (dict(max_new_tokens="-3"), ["--max-new-tokens"]), (dict(db_url="not a url"), ["--db-url"]),
    ]
    for kw, words in cases:
        _one_line_error(_cli(*args(**kw)), *words)
    for bad, words in ((b'{"sql": "SELECT 1"}\n\xff\xfe\n', [f"{pred}:2", "UTF-8"]),
                       (b"\x00\x00\n", [f"{pred}:1"]), (b'[{"sql": "SELECT 1"}]\n', [f"{pred}:1", "object"])):
        pred.write_bytes(bad)
        _one_line_error(_cli(*ok), *words)
    pred.write_text(json.dumps({"sql": "SELECT name FROM customers WHERE city = 'Par\x00is'"}) + "\n")  # valid JSON
    p = _cli(*ok, "--output", tmp_path / "out" / "r.json")
    assert p.returncode == 0, p.stderr
    assert json.loads((tmp_path / "out" / "r.json").read_text())["errors"] == {"syntax": 1}


_OWNER = """import os, sys, time
from sql_codegen_slm.postgres import PostgresDatabases
how = sys.argv[2]
if how == "with_exception":
    with PostgresDatabases(sys.argv[1]) as d:
        d.prepare(["shop"]); print(d.tmp, d.server.get_pid(), flush=True); sys.stdin.readline(); raise RuntimeError
d = PostgresDatabases(sys.argv[1]).__enter__().prepare(["shop"])
print(d.tmp, d.server.get_pid(), flush=True)
sys.stdin.readline()  # the test has seen the server
if how == "sigkill": time.sleep(120)
if how == "exception": raise RuntimeError("boom")
if how == "os_exit": os._exit(3)
"""


def _alive(pid):
    try: return open(f"/proc/{pid}/stat").read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError: return False


def _servers_of(tmp):
    "PIDs of the postgres processes whose command line names `tmp`."
    out = []
    for p in Path("/proc").iterdir():
        try: cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError: continue
        if p.name.isdigit() and "postgres" in cmd and str(tmp) in cmd: out.append(int(p.name))
    return out


@pytest.mark.parametrize("how", ["sigkill", "exception", "with_exception", "clean_exit", "os_exit"])
def test_judge_server_never_outlives_its_owner(db_dir, how):
    "Whichever way the process that started PostgreSQL ends, SIGKILL included, its server and data dir go with it."
    before = set(Path("/dev/shm").glob("sqljudge-*")) if Path("/dev/shm").is_dir() else set()
    owner = subprocess.Popen([sys.executable, "-c", _OWNER, str(db_dir), how], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tmp, pid = owner.stdout.readline().split()
    assert _alive(pid) and Path(tmp).is_dir() and _servers_of(tmp)
    if how == "sigkill": owner.kill()
    else: owner.stdin.write("go\n"); owner.stdin.flush()
    owner.wait(60)
    deadline = time.time() + 10
    while time.time() < deadline and (_alive(pid) or Path(tmp).exists() or _servers_of(tmp)): time.sleep(0.1)
    assert not _alive(pid) and not _servers_of(tmp), f"{how}: postgres of {tmp} still running"
    assert not Path(tmp).exists(), f"{how}: {tmp} left behind"
    if Path("/dev/shm").is_dir() and tmp.startswith("/dev/shm"):
        assert Path(tmp) not in set(Path("/dev/shm").glob("sqljudge-*")) - before


def test_cli_never_overwrites_its_inputs_nor_judges_nothing(tmp_path, db_dir):
    gold, pred = tmp_path / "gold.jsonl", tmp_path / "pred.jsonl"
    gold.write_text(json.dumps(rec("Names of customers in Paris?", PARIS)) + "\n")
    pred.write_text(json.dumps({"sql": PARIS}) + "\n")
    _one_line_error(_cli("--gold", gold, "--predictions", pred, "--db-sql", db_dir, "--output", pred), "--output")
    assert json.loads(pred.read_text()) == {"sql": PARIS}  # not overwritten by the report
    gold.write_text("\n")
    _one_line_error(_cli("--gold", gold, "--predictions", pred, "--db-sql", db_dir), str(gold), "no gold records")
