"""The shipped sample data: format, pglast parse, and execution of every gold query on a real PostgreSQL (pgserver)."""
import json, re
from pathlib import Path

import pglast
import pytest

DATA = Path(__file__).resolve().parent.parent / "sql_codegen_slm" / "sample_data"
SCHEMAS = DATA / "schemas"
SYSTEM = "You are a PostgreSQL expert. Write one SQL query that answers the question. Return only the SQL."


def _load(name):
    recs = []
    with open(DATA / name, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            assert line.strip(), f"{name}:{i} empty line"
            recs.append(json.loads(line))
    return recs


def _create_lines(db_id):
    """The CREATE TABLE statements of a schema file, as they appear in the prompts."""
    text = (SCHEMAS / f"{db_id}.sql").read_text()
    return "\n".join(l for l in text.splitlines() if l.startswith("CREATE TABLE "))


TRAIN, VAL = _load("train.jsonl"), _load("val.jsonl")
ALL = [("train", i, r) for i, r in enumerate(TRAIN, 1)] + [("val", i, r) for i, r in enumerate(VAL, 1)]
DBS = sorted(p.stem for p in SCHEMAS.glob("*.sql"))


def test_counts():
    assert len(TRAIN) >= 320 and len(VAL) >= 64, (len(TRAIN), len(VAL))
    assert len(DBS) >= 4
    for recs in (TRAIN, VAL):
        assert {r["db_id"] for r in recs} == set(DBS)
        assert len({r["category"] for r in recs}) >= 8


def test_format():
    for split, i, r in ALL:
        where = f"{split}.jsonl:{i}"
        assert set(r) <= {"db_id", "category", "messages", "gold_alternatives"}, where
        assert r["db_id"] in DBS, where
        assert isinstance(r["category"], str) and r["category"], where
        msgs = r["messages"]
        assert [m["role"] for m in msgs] == ["system", "user", "assistant"], where
        assert all(isinstance(m["content"], str) and m["content"].strip() for m in msgs), where
        assert msgs[0]["content"] == SYSTEM, where
        user = msgs[1]["content"]
        prefix = f"Database: {r['db_id']}\nSchema:\n{_create_lines(r['db_id'])}\nQuestion: "
        assert user.startswith(prefix), where
        assert "\n" not in user[len(prefix):], where
        sql = msgs[2]["content"]
        assert sql.endswith(";") and sql.count(";") == 1, where
        assert len(user) + len(sql) <= 1400, where


def test_order_by_matches_question():
    """ORDER BY only where the question asks for an order, so a tiny model can learn when to sort."""
    words = re.compile(r"\b(sorted|sort|order|ordered|top|highest|lowest|most|largest|smallest|minimum|latest|newest|"
                       r"most recent|alphabetical|alphabetically|priciest|best|longest)\b", re.I)
    for split, i, r in ALL:
        q = r["messages"][1]["content"].rsplit("Question: ", 1)[1]
        if "ORDER BY" in r["messages"][2]["content"]:
            assert words.search(q), f"{split}.jsonl:{i} ORDER BY without an order in: {q}"


def test_gold_parses_as_one_statement():
    for split, i, r in ALL:
        stmts = pglast.parse_sql(r["messages"][2]["content"])
        assert len(stmts) == 1, f"{split}.jsonl:{i}"


def test_no_question_overlap_between_splits():
    train_q = {(r["db_id"], r["messages"][1]["content"]) for r in TRAIN}
    overlap = [r["messages"][1]["content"] for r in VAL if (r["db_id"], r["messages"][1]["content"]) in train_q]
    assert not overlap, overlap[:3]
    # val gold queries are unseen instances, not rephrasings of train ones
    train_sql = {(r["db_id"], r["messages"][2]["content"]) for r in TRAIN}
    assert not [r for r in VAL if (r["db_id"], r["messages"][2]["content"]) in train_sql]


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    """One PostgreSQL server with a database per schema file; yields {db_id: uri}."""
    pgserver = pytest.importorskip("pgserver")
    srv = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="delete")
    uris = {}
    import psycopg
    for db in DBS:
        srv.psql(f"CREATE DATABASE {db};")
        uris[db] = srv.get_uri(db)
        with psycopg.connect(uris[db], autocommit=True) as conn:
            conn.execute((SCHEMAS / f"{db}.sql").read_text())
    yield uris
    srv.cleanup()


def test_gold_executes(pg):
    import psycopg
    conns = {db: psycopg.connect(uri, autocommit=True) for db, uri in pg.items()}
    errors, nonempty = [], 0
    try:
        for split, i, r in ALL:
            try:
                with conns[r["db_id"]].cursor() as cur:
                    cur.execute(r["messages"][2]["content"])
                    nonempty += len(cur.fetchall()) >= 1
            except psycopg.Error as e:
                errors.append(f"{split}.jsonl:{i} {r['db_id']}: {e}".strip())
    finally:
        for c in conns.values(): c.close()
    assert not errors, "\n".join(errors[:10])
    assert nonempty >= 0.9 * len(ALL), (nonempty, len(ALL))
