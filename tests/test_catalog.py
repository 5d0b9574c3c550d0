"""`catalog.schema_sql` on a live PostgreSQL (pgserver) reached as a role with a real password (scram-sha-256)."""
import contextlib
from pathlib import Path
import pytest
from sql_codegen_slm.catalog import redact_url, schema_sql, url_database
from sql_codegen_slm.postgres import PostgresDatabases

PASSWORD, ROLE = "Pw-s3cret!xyz#9", "shop_ro"
SHOP = """
CREATE SCHEMA sales;
CREATE TABLE regions (region_id integer PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE stores (store_id integer PRIMARY KEY, region_id integer REFERENCES regions(region_id), "Opened On" date,
                     note text);
CREATE TABLE stock (store_id integer REFERENCES stores(store_id), sku text, qty integer NOT NULL,
                    price numeric(8,2), PRIMARY KEY (store_id, sku));
CREATE TABLE moves (move_id bigint PRIMARY KEY, store_id integer, sku text, at timestamp,
                    FOREIGN KEY (store_id, sku) REFERENCES stock(store_id, sku));
CREATE TABLE sales.receipts (receipt_id integer PRIMARY KEY, total numeric(10,2));
INSERT INTO regions VALUES (1, 'North'), (2, 'South'), (3, 'O''Neill Bay'), (4, 'East');
INSERT INTO stores VALUES (10, 1, '2020-01-02', NULL), (2, 2, '2021-06-30', repeat('x', 200)), (3, 3, NULL, 'ok');
INSERT INTO stock VALUES (10, 'A-1', 5, 9.99), (2, 'B-7', 0, 100), (3, 'A-1', 12, NULL);
INSERT INTO moves VALUES (1, 10, 'A-1', '2024-01-01 10:00'), (2, 2, 'B-7', '2024-02-01 11:30');
INSERT INTO sales.receipts VALUES (1, 19.98);
"""

@contextlib.contextmanager
def live_database(name="shop_live", ddl=SHOP, role=ROLE, password=PASSWORD, empty_dir=None):
    "A pgserver cluster holding database `name` (from `ddl`) and a read-only role that must log in with `password`; "
    "yields (the role's URL with its password, the judge's `PostgresDatabases` on that cluster)."
    import psycopg
    from psycopg.conninfo import conninfo_to_dict
    with PostgresDatabases(empty_dir or Path(__file__).parent) as dbs:
        with psycopg.connect(dbs.admin_conninfo(), autocommit=True) as c:
            c.execute(f"CREATE DATABASE {name}")
            c.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
            hba = Path(c.execute("SHOW hba_file").fetchone()[0])
        with psycopg.connect(dbs.admin_conninfo(name), autocommit=True) as c:
            c.execute(ddl)
            for s in ("public", "sales"):
                c.execute(f"GRANT USAGE ON SCHEMA {s} TO {role}; GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {role}")
        hba.write_text(f"local all {role} scram-sha-256\nhost all {role} 127.0.0.1/32 scram-sha-256\n"
                       + hba.read_text())  # this role: a real password check; the others stay as pgserver has them
        with psycopg.connect(dbs.admin_conninfo(), autocommit=True) as c: c.execute("SELECT pg_reload_conf()")
        host = conninfo_to_dict(dbs.admin_conninfo())["host"]
        yield f"postgresql://{role}:{password.replace('#', '%23')}@/{name}?host={host}", dbs

@pytest.fixture(scope="module")
def live():
    with live_database() as got: yield got

def test_schema_round_trips_through_a_schema_file(live, tmp_path):
    url, _ = live
    text = schema_sql(url, sample_rows=2)
    assert PASSWORD not in text and PASSWORD.replace("#", "%23") not in text and f"{ROLE}:***@" in text
    lines = text.splitlines()
    assert lines[1:5] == [  # referenced tables first: the text loads
        "CREATE TABLE regions (region_id integer PRIMARY KEY, name text NOT NULL UNIQUE);",
        'CREATE TABLE stores (store_id integer PRIMARY KEY, region_id integer REFERENCES regions(region_id), '
        '"Opened On" date, note text);',
        "CREATE TABLE stock (store_id integer REFERENCES stores(store_id), sku text, qty integer NOT NULL, "
        "price numeric(8,2), PRIMARY KEY (store_id, sku));",
        "CREATE TABLE moves (move_id bigint PRIMARY KEY, store_id integer, sku text, at timestamp without time zone, "
        "FOREIGN KEY (store_id, sku) REFERENCES stock(store_id, sku));"]
    assert "receipts" not in text  # another schema: only when asked for
    assert "  (2, 2, '2021-06-30', '" + "x" * 80 + "...')," in text  # primary-key order, long text cut
    assert "  (3, 'O''Neill Bay')" not in text and "(1, 'North'),\n  (2, 'South');" in text  # 2 rows, key order
    whole = schema_sql(url, sample_rows=10)  # every row: the text is a schema file that loads and reads back the same
    (tmp_path / "shop_copy.sql").write_text(whole)
    with PostgresDatabases(tmp_path) as copy:
        copy.prepare(["shop_copy"])
        again = schema_sql(copy.reader_conninfo("shop_copy"), sample_rows=10)
    assert again.splitlines()[1:] == whole.splitlines()[1:] and len(whole.splitlines()) == len(lines) + 4  # 4 more rows
    other = schema_sql(url, schema="sales", sample_rows=0)
    assert other.splitlines()[1:] == ["CREATE TABLE receipts (receipt_id integer PRIMARY KEY, total numeric(10,2));",
                                      ""]

def test_errors_name_the_url_without_its_password(live):
    url, _ = live
    for bad, words in [(url.replace(PASSWORD.replace("#", "%23"), "wrong-pw"), "password authentication failed"),
                       (url.replace("/shop_live?", "/nope?"), 'database "nope" does not exist'),
                       (url.replace("/shop_live?", "?"), "names no database")]:
        with pytest.raises((RuntimeError, ValueError)) as e: schema_sql(bad)
        assert words in str(e.value) and "wrong-pw" not in str(e.value) and PASSWORD not in str(e.value), e.value
    with pytest.raises(ValueError, match="schema 'nope' holds no tables"): schema_sql(url, schema="nope")
    assert url_database(url) == "shop_live" and PASSWORD not in redact_url(url)

def test_the_connection_is_read_only_and_timed_out(live, monkeypatch):
    import psycopg
    url, _ = live
    seen, real = [], psycopg.connect
    monkeypatch.setattr(psycopg, "connect", lambda *a, **k: seen.append((a, real(*a, **k))) or seen[-1][1])
    schema_sql(url, timeout_s=2.5)
    ((args, c),) = seen
    assert "default_transaction_read_only=on" in args[0] and "statement_timeout=2500" in args[0], args
    assert c.read_only is True and c.closed
    with real(args[0]) as c2:  # the same connection string cannot write, even where the role could
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction): c2.execute("CREATE TABLE t (x int)")

def test_sql_eval_with_db_url_reads_the_schemas_from_the_catalog(live, tmp_path, capsys):
    import json
    from sql_codegen_slm.data import record_messages
    from sql_codegen_slm.sql_eval import main
    url, _ = live
    schema = "CREATE TABLE regions (region_id integer PRIMARY KEY, name text NOT NULL UNIQUE);"
    gold = [dict(db_id="shop_live", messages=record_messages("shop_live", schema, q, sql)) for q, sql in
            [("How many regions?", "SELECT count(*) FROM regions;"), ("Names?", "SELECT name FROM regions;")]]
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gold))
    (tmp_path / "pred.jsonl").write_text('{"sql": "SELECT COUNT(*) FROM regions"}\n{"sql": "SELECT 1"}\n')
    base = ["--gold", tmp_path / "gold.jsonl", "--predictions", tmp_path / "pred.jsonl"]
    assert main([str(a) for a in base + ["--db-url", url]]) == 0  # no --db-sql: the databases are there
    out, err = capsys.readouterr()
    assert "databases read from the catalog of postgresql://shop_ro:***@/shop_live" in out
    assert "shop_live (4 tables)" in out
    assert "execution_accuracy    50.0%" in out and err == "", (out, err)
    gold[1]["messages"] = record_messages("shop_live", schema + "\nCREATE TABLE staff (id int);", "Staff?",
                                          "SELECT * FROM staff")
    gold.append(dict(db_id="nope", messages=gold[0]["messages"]))
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gold))
    (tmp_path / "pred.jsonl").write_text('{"sql": "SELECT 1"}\n' * 3)
    assert main([str(a) for a in base + ["--db-url", url]]) == 2
    out, err = capsys.readouterr()
    assert "database 'shop_live' at postgresql://shop_ro:***@/shop_live" in err and "has no table staff" in err, err
    assert 'cannot read the schema of' in err and 'database "nope" does not exist' in err, err
    assert PASSWORD not in out + err and PASSWORD.replace("#", "%23") not in out + err
    assert main([str(a) for a in base]) == 2 and "--db-sql is required" in capsys.readouterr().err
