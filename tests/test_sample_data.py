"""The shipped sample data: format, pglast parse, and execution of every gold query on a real PostgreSQL (pgserver);
the held-out database (unseen.jsonl) never leaks into training data; the synthetic data regenerates byte for byte."""
import json, random, re, sys
from pathlib import Path

import pglast
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "sql_codegen_slm" / "sample_data"
SCHEMAS, SYNTH_SCHEMAS, HELDOUT_SCHEMAS = DATA / "schemas", DATA / "synth_schemas", DATA / "heldout_schemas"
HELDOUT = "apiary_coop"  # heldout_schemas/apiary_coop.sql: evaluation only (unseen.jsonl)
HELDOUT_TABLES = ("beekeepers", "apiaries", "hives", "harvests")
HELDOUT_WORDS = ("beekeep", "apiar", "hive", "honey", "harvest", "queen", "floral", "nectar", "pollen", "varroa")
SYSTEM = "You are a PostgreSQL expert. Write one SQL query that answers the question. Return only the SQL."


def _load(name):
    recs = []
    with open(DATA / name, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            assert line.strip(), f"{name}:{i} empty line"
            recs.append(json.loads(line))
    return recs


_CREATE = {}

def _create_lines(db_id, schemas=SCHEMAS):
    """The CREATE TABLE statements of a schema file, as they appear in the prompts."""
    if (db_id, schemas) not in _CREATE:
        text = (schemas / f"{db_id}.sql").read_text()
        _CREATE[db_id, schemas] = "\n".join(l for l in text.splitlines() if l.startswith("CREATE TABLE "))
    return _CREATE[db_id, schemas]


def _question(r): return r["messages"][1]["content"].rsplit("\nQuestion: ", 1)[1]


TRAIN, VAL, UNSEEN, SYNTH = _load("train.jsonl"), _load("val.jsonl"), _load("unseen.jsonl"), _load("synth_train.jsonl")
ALL = [("train", i, r) for i, r in enumerate(TRAIN, 1)] + [("val", i, r) for i, r in enumerate(VAL, 1)]
UNSEEN_SYNTH = ([("unseen", i, r) for i, r in enumerate(UNSEEN, 1)]
                + [("synth_train", i, r) for i, r in enumerate(SYNTH, 1)])
DBS = sorted(p.stem for p in SCHEMAS.glob("*.sql"))
SYNTH_DBS = sorted(p.stem for p in SYNTH_SCHEMAS.glob("*.sql"))
CATEGORIES = {"select", "filter", "aggregate", "group_by", "having", "join", "order_limit", "date", "subquery",
              "distinct"}


def _scripts():
    """scripts/make_sample_data.py and scripts/make_synthetic_data.py as modules."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_sample_data, make_synthetic_data
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    return make_sample_data, make_synthetic_data


def test_counts():
    assert len(TRAIN) >= 320 and len(VAL) >= 64, (len(TRAIN), len(VAL))
    assert len(DBS) == 4 and HELDOUT not in DBS, DBS  # schemas/: the training databases only (datagen reads it)
    assert sorted(p.stem for p in HELDOUT_SCHEMAS.glob("*.sql")) == [HELDOUT]
    for recs in (TRAIN, VAL):
        assert {r["db_id"] for r in recs} == set(DBS)
        assert len({r["category"] for r in recs}) >= 8
    assert 100 <= len(UNSEEN) <= 150 and {r["db_id"] for r in UNSEEN} == {HELDOUT}
    assert {r["category"] for r in UNSEEN} == CATEGORIES and {r["category"] for r in VAL} <= CATEGORIES
    assert 300 <= len(SYNTH_DBS) <= 600 and 5000 <= len(SYNTH) <= 10000, (len(SYNTH_DBS), len(SYNTH))
    assert {r["db_id"] for r in SYNTH} == set(SYNTH_DBS) and not set(SYNTH_DBS) & set(DBS)
    assert {r["category"] for r in SYNTH} == CATEGORIES
    assert (DATA / "synth_train.jsonl").stat().st_size <= 8e6
    assert sum(p.stat().st_size for p in SYNTH_SCHEMAS.glob("*.sql")) <= 3e6


def _check_format(name, recs, dbs, schemas):
    for i, r in enumerate(recs, 1):
        where = f"{name}:{i}"
        assert set(r) <= {"db_id", "category", "messages", "gold_alternatives"}, where
        assert r["db_id"] in dbs, where
        assert isinstance(r["category"], str) and r["category"], where
        msgs = r["messages"]
        assert [m["role"] for m in msgs] == ["system", "user", "assistant"], where
        assert all(isinstance(m["content"], str) and m["content"].strip() for m in msgs), where
        assert msgs[0]["content"] == SYSTEM, where
        user = msgs[1]["content"]
        prefix = f"Database: {r['db_id']}\nSchema:\n{_create_lines(r['db_id'], schemas)}\nQuestion: "
        assert user.startswith(prefix), where
        assert "\n" not in user[len(prefix):], where
        sql = msgs[2]["content"]
        assert sql.endswith(";") and sql.count(";") == 1, where
        assert len(user) + len(sql) <= 1400, where


def test_format():
    _check_format("train.jsonl", TRAIN, DBS, SCHEMAS)
    _check_format("val.jsonl", VAL, DBS, SCHEMAS)


def test_format_unseen_and_synthetic():
    _check_format("unseen.jsonl", UNSEEN, [HELDOUT], HELDOUT_SCHEMAS)
    _check_format("synth_train.jsonl", SYNTH, set(SYNTH_DBS), SYNTH_SCHEMAS)
    # no database's questions repeat, and no gold SQL repeats within a synthetic database
    for recs in (UNSEEN, SYNTH):
        assert len({(r["db_id"], _question(r)) for r in recs}) == len(recs)
    assert len({(r["db_id"], r["messages"][2]["content"]) for r in SYNTH}) == len(SYNTH)


def test_order_by_matches_question():
    """ORDER BY only where the question asks for an order, so a tiny model can learn when to sort."""
    words = re.compile(r"\b(sorted|sort|order|ordered|top|highest|lowest|most|largest|smallest|minimum|latest|newest|"
                       r"most recent|alphabetical|alphabetically|priciest|best|longest)\b", re.I)
    for split, i, r in ALL + UNSEEN_SYNTH:
        q = r["messages"][1]["content"].rsplit("Question: ", 1)[1]
        if "ORDER BY" in r["messages"][2]["content"]:
            assert words.search(q), f"{split}.jsonl:{i} ORDER BY without an order in: {q}"


def test_gold_parses_as_one_statement():
    for split, i, r in ALL + UNSEEN_SYNTH:
        stmts = pglast.parse_sql(r["messages"][2]["content"])
        assert len(stmts) == 1, f"{split}.jsonl:{i}"


def test_no_question_overlap_between_splits():
    train_q = {(r["db_id"], r["messages"][1]["content"]) for r in TRAIN}
    overlap = [r["messages"][1]["content"] for r in VAL if (r["db_id"], r["messages"][1]["content"]) in train_q]
    assert not overlap, overlap[:3]
    # val gold queries are unseen instances, not rephrasings of train ones
    train_sql = {(r["db_id"], r["messages"][2]["content"]) for r in TRAIN}
    assert not [r for r in VAL if (r["db_id"], r["messages"][2]["content"]) in train_sql]


# ~30 synthetic databases, a fixed seeded sample, are loaded and all their gold queries run
SYNTH_SAMPLE = sorted(random.Random(20240601).sample(SYNTH_DBS, min(30, len(SYNTH_DBS))))


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    """One PostgreSQL server with a database per schema file of schemas/ and per sampled synthetic database;
    yields {db_id: uri}."""
    pgserver = pytest.importorskip("pgserver")
    srv = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="delete")
    uris = {}
    import psycopg
    with psycopg.connect(srv.get_uri("postgres"), autocommit=True) as conn:  # throwaway data: skip the disk syncs
        for k in ("fsync", "synchronous_commit", "full_page_writes"): conn.execute(f"ALTER SYSTEM SET {k} = off")
        conn.execute("SELECT pg_reload_conf()")
    for db, path in [(d, SCHEMAS / f"{d}.sql") for d in DBS] + [(HELDOUT, HELDOUT_SCHEMAS / f"{HELDOUT}.sql")] + \
            [(d, SYNTH_SCHEMAS / f"{d}.sql") for d in SYNTH_SAMPLE]:
        srv.psql(f"CREATE DATABASE {db};")
        uris[db] = srv.get_uri(db)
        with psycopg.connect(uris[db], autocommit=True) as conn:
            conn.execute(path.read_text())
    yield uris
    srv.cleanup()


def _run_all(pg, named_recs):
    """Run each gold query on its database: (errors, [(where, rows)])."""
    import psycopg
    conns = {db: psycopg.connect(uri, autocommit=True) for db, uri in pg.items()}
    errors, results = [], []
    try:
        for where, r in named_recs:
            try:
                with conns[r["db_id"]].cursor() as cur:
                    cur.execute(r["messages"][2]["content"])
                    results.append((where, cur.fetchall()))
            except psycopg.Error as e:
                errors.append(f"{where} {r['db_id']}: {e}".strip())
    finally:
        for c in conns.values(): c.close()
    return errors, results


def _empty(rows): return not rows or all(v is None for row in rows for v in row)


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


def test_unseen_gold_executes_with_rows(pg):
    errors, results = _run_all(pg, [(f"unseen.jsonl:{i}", r) for i, r in enumerate(UNSEEN, 1)])
    assert not errors, "\n".join(errors[:10])
    empty = [w for w, rows in results if _empty(rows)]
    assert not empty, empty[:10]


def test_synthetic_sample_gold_executes_with_rows(pg):
    recs = [(f"synth_train.jsonl:{i}", r) for i, r in enumerate(SYNTH, 1) if r["db_id"] in SYNTH_SAMPLE]
    assert len(recs) >= 10 * len(SYNTH_SAMPLE), len(recs)
    errors, results = _run_all(pg, recs)
    assert not errors, "\n".join(errors[:10])
    empty = [w for w, rows in results if _empty(rows)]
    assert not empty, empty[:10]


# ---------------------------------------------------------------- the held-out database stays out of training
_HELD_RE = re.compile(r"\b(" + "|".join(HELDOUT_WORDS + HELDOUT_TABLES + (HELDOUT,)) + r")", re.I)


def test_leak_detector_finds_held_out_words():
    assert _HELD_RE.search("SELECT * FROM harvests;") and _HELD_RE.search("Which Beekeepers joined?")
    assert _HELD_RE.search("Database: apiary_coop") and not _HELD_RE.search("archive of shivers")
    msd, msy = _scripts()
    assert msd.HELDOUT_WORDS == HELDOUT_WORDS and msd.HELDOUT_DB == HELDOUT
    assert tuple(t["name"] for t in msd.HELDOUT["tables"]) == HELDOUT_TABLES
    assert msy.leaks("How much honey per hive?") == {"honey", "hive"} and not msy.leaks("How many rooms per hotel?")


def test_held_out_schema_in_no_training_file():
    for name in ("train.jsonl", "synth_train.jsonl"):
        text = (DATA / name).read_text(encoding="utf-8")
        hits = sorted({m.group(0).lower() for m in _HELD_RE.finditer(text)})
        assert not hits, f"{name} mentions the held-out database: {hits}"
    for p in SYNTH_SCHEMAS.glob("*.sql"):
        m = _HELD_RE.search(p.read_text())
        assert not m, f"{p.name}: {m.group(0)}"
    held_schema = (HELDOUT_SCHEMAS / f"{HELDOUT}.sql").read_text()
    for t in HELDOUT_TABLES: assert f"CREATE TABLE {t} (" in held_schema


def test_no_unseen_question_or_database_in_training():
    training = TRAIN + SYNTH
    assert HELDOUT not in {r["db_id"] for r in training}
    pairs = {(r["db_id"], _question(r)) for r in training}
    assert not [r for r in UNSEEN if (r["db_id"], _question(r)) in pairs]
    questions = {_question(r) for r in training}   # nor the same wording under another database
    assert not [q for q in map(_question, UNSEEN) if q in questions]


# ---------------------------------------------------------------- regeneration
def test_make_sample_data_reproduces_train_val_and_unseen():
    """train/val from the shared templates, and unseen.jsonl verified on PostgreSQL, equal the shipped files."""
    msd, _ = _scripts()
    rng = random.Random(0)
    train, val = msd.split(msd.build(rng), rng)
    _, msy = _scripts()
    assert msy.jsonl_text(train) == (DATA / "train.jsonl").read_text(encoding="utf-8")
    assert msy.jsonl_text(val) == (DATA / "val.jsonl").read_text(encoding="utf-8")
    for db, spec in msd.DBS.items(): assert msd.schema_file(db, spec) == (SCHEMAS / f"{db}.sql").read_text()
    held_sql = (HELDOUT_SCHEMAS / f"{HELDOUT}.sql").read_text()
    assert msd.schema_file(HELDOUT, msd.HELDOUT, msd.HELDOUT_NOTE) == held_sql
    with msd.Postgres() as pg:
        pg.load(HELDOUT, held_sql)
        unseen, _ = msd.heldout_records(pg)
    assert msy.jsonl_text(unseen) == (DATA / "unseen.jsonl").read_text(encoding="utf-8")


def test_make_synthetic_data_reproduces_files_byte_for_byte():
    """Regenerating every synthetic database (with PostgreSQL verification) gives the shipped files exactly."""
    _, msy = _scripts()
    files, recs, _ = msy.generate(range(1, len(SYNTH_DBS) + 1), verify=True)
    assert sorted(files) == SYNTH_DBS
    bad = [db for db, text in files.items() if (SYNTH_SCHEMAS / f"{db}.sql").read_text() != text]
    assert not bad, bad[:5]
    assert msy.jsonl_text(msy.shuffled(recs)) == (DATA / "synth_train.jsonl").read_text(encoding="utf-8")


def test_verifier_rejects_bad_gold():
    """The generator's check: errors, empty and all-NULL results and ties at LIMIT are refused."""
    msd, _ = _scripts()
    with msd.Postgres() as pg:
        pg.load("t", "CREATE TABLE x (id INTEGER PRIMARY KEY, v INTEGER, w INTEGER);"
                     "INSERT INTO x VALUES (1, 5, NULL), (2, 5, NULL), (3, 7, NULL);")
        assert pg.check("t", "SELECT id FROM x WHERE v > 1;") is None
        assert pg.check("t", "SELECT id FROM x ORDER BY v DESC LIMIT 1;") is None      # 7 is alone at the top
        assert pg.check("t", "SELECT id FROM x ORDER BY v ASC LIMIT 1;") == "tie at LIMIT 1"
        assert pg.check("t", "SELECT id FROM x WHERE v > 100;") == "empty"
        assert pg.check("t", "SELECT MAX(w) FROM x;") == "all NULL"
        assert pg.check("t", "SELECT nope FROM x;").startswith("error:")
        assert pg.check("t", "SELEC id FROM x;").startswith("parse:")
        assert pg.check("t", "SELECT 1; SELECT 2;") == "2 statements"
