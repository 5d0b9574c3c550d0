"SQL judge on a real PostgreSQL (pgserver): gold vs itself, hand-made wrong answers, safety, timeouts, the CLI."
import json, shutil, subprocess, sys, time
from pathlib import Path

import psycopg
import pytest

from sql_codegen_slm.sql_eval import READER, PostgresDatabases, QueryError, evaluate, judge
from sql_codegen_slm.data import read_records, sample_data_dir

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
    res = evaluate(val, [r["messages"][-1]["content"] for r in val], db_dir, dbs=dbs)
    assert res["n"] == len(val) > 0
    assert res["execution_accuracy"] == 1.0, [it for it in res["items"] if not it["correct"]][:3]
    assert res["valid_sql_rate"] == res["exact_match"] == 1.0 and res["gold_errors"] == 0


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "sql_codegen_slm.sql_eval", *map(str, args)], capture_output=True, text=True, timeout=120)


@needs_sample
def test_cli_on_sample_data(tmp_path):
    val = read_records(SAMPLE / "val.jsonl")
    preds = [{"sql": r["messages"][-1]["content"]} for r in val]
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
    pred.write_text("".join(json.dumps({"index": i, "sql": r["messages"][-1]["content"]}) + "\n" for i, r in reversed(list(enumerate(val)))))
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
