"""`sql-codegen-predict` against PostgreSQL (pgserver): the command on a schema file and on a live URL (its password
never shown), and the executor's refusals — statements that write, from the parser, from a read-only transaction even
for a role that could write — with the data checked unchanged afterwards."""
import json, os, subprocess, sys
from pathlib import Path

import pytest

from sql_codegen_slm.postgres import QueryError
from sql_codegen_slm.predict import read_schema, run_readonly

ROOT = Path(__file__).resolve().parent.parent
SCHOOL = ROOT / "sql_codegen_slm" / "sample_data" / "schemas" / "school.sql"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
PASSWORD = "Pr3dict-pw#42"
SHOP = """
CREATE SCHEMA sales;  -- test_catalog.live_database grants on it
CREATE SEQUENCE order_no;
CREATE TABLE customers (customer_id integer PRIMARY KEY, name text NOT NULL, city text);
CREATE TABLE orders (order_id integer PRIMARY KEY DEFAULT nextval('order_no'), customer_id integer
                     REFERENCES customers(customer_id), total numeric(8,2));
INSERT INTO customers VALUES (1, 'Ann', 'Boston'), (2, 'Bo', 'Austin'), (3, 'Cy', 'Boston');
INSERT INTO orders (customer_id, total) VALUES (1, 10.5), (3, 20);
"""
HOSTILE = {  # what a question like "delete the customers from Boston" could make a model write
    "DELETE FROM customers WHERE city = 'Boston'": "DeleteStmt is not a query",
    "WITH gone AS (DELETE FROM customers RETURNING *) SELECT count(*) FROM gone": "DeleteStmt",
    "SELECT * INTO backup FROM customers": "intoClause",
    "SELECT 1; DROP TABLE customers": "2 statements",
    "SELECT * FROM customers FOR UPDATE": "lockingClause",
}


def _predict(*args, env=None):
    return subprocess.run([sys.executable, "-m", "sql_codegen_slm.predict", *map(str, args)], cwd=ROOT,
                          env=env or ENV, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def adapter(tmp_path_factory):
    "A LoRA adapter on the embedded model (pre-trained on the sample corpus: it writes plausible SQL for school)."
    from test_export import _tiny_adapter
    return _tiny_adapter(tmp_path_factory.mktemp("predict") / "adapter")


@pytest.fixture(scope="module")
def writer_url(tmp_path_factory):
    "A live database reached as a role that COULD write (INSERT, UPDATE, DELETE, the sequence), with a password."
    from test_catalog import live_database
    import psycopg
    with live_database("shop_predict", ddl=SHOP, role="clerk", password=PASSWORD,
                       empty_dir=tmp_path_factory.mktemp("empty")) as (url, dbs):
        with psycopg.connect(dbs.admin_conninfo("shop_predict"), autocommit=True) as c:
            c.execute("GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO clerk; "
                      "GRANT USAGE, SELECT, UPDATE ON SEQUENCE order_no TO clerk")
        yield url, lambda q: psycopg.connect(dbs.admin_conninfo("shop_predict")).execute(q).fetchall()


def test_writing_sql_is_refused_before_the_server():
    s = read_schema(SCHOOL)
    for sql, why in HOSTILE.items():
        with pytest.raises(QueryError) as e: run_readonly(sql.replace("customers", "students"), s)
        assert e.value.kind == "refused" and why.replace("customers", "students") in e.value.message, (sql, e.value)


def test_a_role_that_could_write_still_cannot(writer_url, capsys):
    url, admin = writer_url
    s = read_schema(url)
    assert s.database == "shop_predict" and s.ddl.startswith("CREATE TABLE customers") and "INSERT" not in s.ddl
    assert PASSWORD not in repr(s)
    before = admin("SELECT count(*), (SELECT last_value FROM order_no) FROM customers")
    for sql in HOSTILE:
        with pytest.raises(QueryError) as e: run_readonly(sql, s)
        assert e.value.kind == "refused"
    for sql in ("SELECT nextval('order_no')", "SELECT setval('order_no', 100)"):  # SELECTs that write: the server
        with pytest.raises(QueryError) as e: run_readonly(sql, s)  # refuses them in the read-only transaction
        assert e.value.kind == "refused" and "read-only transaction" in e.value.message, e.value
    assert "can write to 'shop_predict'" in capsys.readouterr().err  # the role is named as too strong
    assert admin("SELECT count(*), (SELECT last_value FROM order_no) FROM customers") == before
    r = run_readonly("SELECT name FROM customers WHERE city = 'Boston' ORDER BY name", s, max_rows=1)
    assert r == dict(columns=["name"], rows=[["Ann"]], truncated=True)
    with pytest.raises(QueryError) as e: run_readonly("SELECT pg_sleep(5)", s, timeout_s=0.2)
    assert e.value.kind == "timeout"


def test_command_on_a_schema_file(adapter):
    r = _predict("--model", adapter, "--schema", SCHOOL, "List the names of all teachers.", "--run", "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["database"] == "school" and out["valid"] and out["error"] is None, out
    assert out["columns"] and len(out["rows"]) >= 1 and out["sql"].upper().startswith("SELECT")
    t = _predict("--model", adapter, "--schema", SCHOOL, "List the names of all teachers.", "--run",
                 "--max-rows", "2")
    lines = t.stdout.strip().splitlines()
    assert t.returncode == 0 and lines[0] == out["sql"] and lines[-1].startswith("(2 rows; more not shown"), t.stdout


def test_command_on_a_live_url_never_shows_the_password(adapter, writer_url):
    url, _ = writer_url
    r = _predict("--model", adapter, "--schema", url, "How many customers are there?", "--run")
    assert PASSWORD not in r.stdout + r.stderr and PASSWORD.replace("#", "%23") not in r.stdout + r.stderr
    assert r.returncode in (0, 1) and r.stdout.strip(), r.stderr[-2000:]  # the SQL, whatever the tiny model writes
    bad = _predict("--model", adapter, "--schema", url.replace("shop_predict", "no_such_db"), "How many?")
    assert bad.returncode == 2 and "clerk:***@" in bad.stderr, bad.stderr
    assert PASSWORD not in bad.stderr and PASSWORD.replace("#", "%23") not in bad.stderr


def test_bad_inputs_are_one_line(tmp_path, capsys):
    from sql_codegen_slm.predict import main
    (tmp_path / "empty.sql").write_text("-- nothing here\n")
    (tmp_path / "adapter").mkdir()
    for args, want in ((["--schema", tmp_path / "none.sql"], "no such file"),
                       (["--schema", tmp_path / "empty.sql"], "empty.sql"),
                       (["--schema", SCHOOL, "--model", tmp_path / "adapter"], "neither a run directory")):
        model = [] if "--model" in args else ["--model", tmp_path / "adapter"]
        assert main([*map(str, model + args), "How many?"]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and want in err, err
