"""`sql-codegen-data import` on corpora written here: Spider- and BIRD-format datasets over real SQLite files (made with
sqlite3), a Parquet table shaped like sql-create-context and a CSV shaped like synthetic_text_to_sql, each checked on a
real PostgreSQL (pgserver). Every row says what should become of it: kept, or the reason it is not."""
import json, shlex, sqlite3
from collections import Counter
from pathlib import Path
import pyarrow as pa, pyarrow.parquet as pq
import pytest
from sql_codegen_slm.corpora import format_report, import_corpus, main
from sql_codegen_slm.data import ForeignDataError, load_records
from sql_codegen_slm.judge import evaluate

KEPT = "kept"


def sqlite_db(path, script):
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path); con.executescript(script); con.commit(); con.close()


CONCERT = """
CREATE TABLE stadium (Stadium_ID int PRIMARY KEY, Location text, Name text, Capacity int);
CREATE TABLE singer (Singer_ID int PRIMARY KEY, Name text, Country text, Song_Name text, Age int, Is_male bool);
CREATE TABLE concert (concert_ID int PRIMARY KEY, concert_Name text, Theme text, Stadium_ID text, Year text,
                      FOREIGN KEY (Stadium_ID) REFERENCES stadium(Stadium_ID));
CREATE TABLE singer_in_concert (concert_ID int, Singer_ID text, PRIMARY KEY (concert_ID, Singer_ID),
                                FOREIGN KEY (concert_ID) REFERENCES concert(concert_ID),
                                FOREIGN KEY (Singer_ID) REFERENCES singer(Singer_ID));
INSERT INTO stadium VALUES (1, 'Raith Rovers', 'Stark''s Park', 10104), (2, 'Ayr United', 'Somerset Park', 11998),
  (3, 'East Fife', 'Bayview Stadium', 2000);
INSERT INTO singer VALUES (1, 'Joe Sharp', 'Netherlands', 'You', 52, 'F'), (2, 'Timbaland', 'United States',
  'Dangerous', 32, 'T'), (3, 'Justin Brown', 'France', 'Hey Oh', 29, 'T'), (4, 'Rose White', 'France', 'Sun', 41, 'F'),
  (5, 'John Nizinik', 'France', 'Gentleman', 43, 'T'), (6, 'Tribal King', 'France', 'Love', 25, 'T');
INSERT INTO concert VALUES (1, 'Auditions', 'Free choice', '1', '2014'), (2, 'Super bootcamp', 'Free choice 2', '2',
  '2014'), (3, 'Home Visits', 'Bleeding Love', '2', '2015'), (4, 'Week 1', 'Wide Awake', '3', '2014');
INSERT INTO singer_in_concert VALUES (1, '2'), (1, '3'), (1, '5'), (2, '3'), (2, '6'), (3, '5'), (4, '4');
"""
PETS = """
CREATE TABLE Student (StuID INTEGER PRIMARY KEY, LName VARCHAR(12), Fname VARCHAR(12), Age INTEGER, Sex VARCHAR(1),
                      city_code VARCHAR(3));
CREATE TABLE Pets (PetID INTEGER PRIMARY KEY, PetType VARCHAR(20), pet_age INTEGER, weight REAL);
CREATE TABLE Has_Pet (StuID INTEGER, PetID INTEGER, FOREIGN KEY (PetID) REFERENCES Pets(PetID),
                      FOREIGN KEY (StuID) REFERENCES Student(StuID));
INSERT INTO Student VALUES (1001, 'Smith', 'Linda', 18, 'F', 'BAL'), (1002, 'Kim', 'Tracy', 19, 'F', 'HKG'),
  (1003, 'Jones', 'Shiela', 21, 'F', 'WAS'), (1004, 'Kumar', 'Dinesh', 20, 'M', 'CHI'),
  (1005, 'Gompers', 'Paul', 26, 'M', 'YYZ'), (1006, 'Schultz', 'Andy', 18, 'M', 'BAL');
INSERT INTO Pets VALUES (2001, 'cat', 3, 12.0), (2002, 'dog', 2, 13.4), (2003, 'dog', 1, 9.3);
INSERT INTO Has_Pet VALUES (1001, 2001), (1002, 2002), (1002, 2003);
"""
SPIDER = [  # (db_id, question, query, what should become of it)
    ("concert_singer", "How many singers do we have?", "SELECT count(*) FROM singer", KEPT),
    ("concert_singer", "Show name, country, age for all singers ordered by age from the oldest to the youngest.",
     "SELECT name ,  country ,  age FROM singer ORDER BY age DESC", KEPT),
    ("concert_singer", "What is the average, minimum, and maximum age of all singers from France?",
     "SELECT avg(age) ,  min(age) ,  max(age) FROM singer WHERE country  =  'France'", KEPT),
    ("concert_singer", "Show the name and the number of singers of each concert.",
     "SELECT T2.concert_name ,  count(*) FROM singer_in_concert AS T1 JOIN concert AS T2 ON T1.concert_id = "
     "T2.concert_id GROUP BY T2.concert_id", KEPT),
    ("concert_singer", "Which singers are from France?", 'SELECT Name FROM SINGER WHERE Country = "France"', KEPT),
    ("concert_singer", "Which stadium held the most concerts in 2014?",
     "SELECT T2.name FROM concert AS T1 JOIN stadium AS T2 ON T1.stadium_id = T2.stadium_id WHERE T1.year = 2014 "
     "GROUP BY T2.stadium_id ORDER BY count(*) DESC LIMIT 1", "pg_error:undefined_function"),  # text year = 2014
    ("concert_singer", "One singer of each country?", "SELECT country, name FROM singer GROUP BY country",
     "pg_error:grouping_error"),
    ("concert_singer", "Which singers are called Joe?", "SELECT name FROM singer WHERE name LIKE '%joe%'",
     "result_mismatch"),  # SQLite's LIKE ignores case, PostgreSQL's does not
    ("concert_singer", "Singers whose name starts with J?", "SELECT name FROM singer WHERE name GLOB 'J*'",
     "pg_error:syntax"),
    ("concert_singer", "What are the singers' nicknames?", "SELECT nickname FROM singer", "sqlite_error"),
    ("concert_singer", "  ", "SELECT count(*) FROM concert", "empty_question"),
    ("concert_singer", "how many singers do we have", "SELECT count(*) FROM singer", "duplicate"),
    ("flight_2", "How many flights are there?", "SELECT count(*) FROM flights", KEPT),  # tables.json only: it runs
    ("flight_2", "How many flights does JetBlue Airways have?",
     'SELECT count(*) FROM flights WHERE Airline = "JetBlue Airways"', "pg_error:invalid_text_representation"),
    ("world_1", "How many countries are there?", "SELECT count(*) FROM country", "no_database"),
    ("pets_1", "Find the number of students who do not have any pet.",
     "SELECT count(*) FROM student WHERE stuid NOT IN (SELECT T1.stuid FROM student AS T1 JOIN has_pet AS T2 ON "
     "T1.stuid = T2.stuid)", KEPT),
    ("pets_1", "Find the average and maximum age for each type of pet.",
     "SELECT avg(pet_age) ,  max(pet_age) ,  pettype FROM pets GROUP BY pettype", KEPT),
    ("pets_1", "Find the first names of students older than 19, in alphabetical order, first two.",
     "SELECT Fname FROM Student WHERE Age > 19 ORDER BY Fname LIMIT 2", KEPT),
    ("pets_1", "What is the average weight of dogs?", "SELECT avg(weight) FROM pets WHERE PetType = 'dog'", KEPT),
    ("pets_1", "Print each student's age as a string.", "SELECT printf('%d years', age) FROM student",
     "pg_error:undefined_function"),
]

FLIGHTS = dict(  # a tables.json entry (Spider's layout) of a database that has no SQLite file here
    db_id="flight_2", table_names_original=["airlines", "airports", "flights"],
    column_names_original=[[-1, "*"], [0, "uid"], [0, "Airline"], [0, "Abbreviation"], [0, "Country"], [1, "City"],
                           [1, "AirportCode"], [1, "AirportName"], [2, "Airline"], [2, "FlightNo"],
                           [2, "SourceAirport"], [2, "DestAirport"]],
    column_types=["text", "number", "text", "text", "text", "text", "text", "text", "number", "number", "text", "text"],
    primary_keys=[1, 6], foreign_keys=[[11, 6], [10, 6]])
SQLITE_DBS = ("concert_singer", "pets_1")

SCHOOLS = """
CREATE TABLE schools (CDSCode TEXT PRIMARY KEY, County TEXT, City TEXT, OpenDate DATE, Virtual TEXT);
CREATE TABLE frpm (CDSCode TEXT REFERENCES schools(CDSCode), `Academic Year` TEXT, `County Name` TEXT,
                   `Enrollment (K-12)` REAL, `Free Meal Count (K-12)` REAL);
INSERT INTO schools VALUES ('01100170109835', 'Alameda', 'Hayward', '1980-09-01', 'N'),
  ('01100170112607', 'Alameda', 'Oakland', '2005-08-29', 'N'), ('01100170118489', 'Alameda', 'Oakland', '1980-08-28',
  'F'), ('10621661030659', 'Fresno', 'Fresno', '1995-09-05', 'N'), ('10621661035831', 'Fresno', 'Clovis', NULL, 'N');
INSERT INTO frpm VALUES ('01100170109835', '2014-2015', 'Alameda', 1087.0, 565.0),
  ('01100170112607', '2014-2015', 'Alameda', 395.0, 186.0), ('01100170118489', '2014-2015', 'Alameda', 244.0, 182.0),
  ('10621661030659', '2014-2015', 'Fresno', 1200.0, 950.0);
"""
BIRD = [  # (question, evidence, SQL, difficulty, what should become of it)
    ("What is the highest eligible free rate for K-12 students in the schools in Alameda County?",
     "Eligible free rate for K-12 = `Free Meal Count (K-12)` / `Enrollment (K-12)`",
     "SELECT `Free Meal Count (K-12)` / `Enrollment (K-12)` FROM frpm WHERE `County Name` = 'Alameda' "
     "ORDER BY (CAST(`Free Meal Count (K-12)` AS REAL) / `Enrollment (K-12)`) DESC LIMIT 1", "simple", KEPT),
    ("Which city has the school with the most students enrolled?", "",
     "SELECT T2.City FROM frpm AS T1 INNER JOIN schools AS T2 ON T1.CDSCode = T2.CDSCode "
     "ORDER BY T1.`Enrollment (K-12)` DESC LIMIT 1", "simple", KEPT),
    ("How many schools opened in 1980?", "opened in 1980 refers to year(OpenDate) = 1980",
     "SELECT COUNT(CDSCode) FROM schools WHERE strftime('%Y', OpenDate) = '1980'", "moderate", KEPT),
    ("What percentage of schools are in Fresno county?", "percentage = count(Fresno) * 100 / count(all)",
     "SELECT CAST(SUM(CASE WHEN County = 'Fresno' THEN 1 ELSE 0 END) AS REAL) * 100 / COUNT(CDSCode) FROM schools",
     "moderate", KEPT),
    ("Which schools are exclusively virtual?", "exclusively virtual refers to Virtual = 'F'",
     "SELECT CDSCode FROM schools WHERE Virtual = 'F'", "simple", KEPT),
    ("How many days after 1980 did each Alameda school open?", "",
     "SELECT julianday(OpenDate) - julianday('1980-01-01') FROM schools WHERE County = 'Alameda'", "challenging",
     "pg_error:undefined_function"),
    ("", "", "SELECT 1", "simple", "empty_question"),
]


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpora")
    sqlite_db(root / "spider" / "database" / "concert_singer" / "concert_singer.sqlite", CONCERT)
    sqlite_db(root / "spider" / "database" / "pets_1" / "pets_1.sqlite", PETS)
    (root / "spider" / "train_spider.json").write_text(json.dumps(
        [dict(db_id=d, question=q, query=s, query_toks=s.split()) for d, q, s, _ in SPIDER], indent=2))
    (root / "spider" / "tables.json").write_text(json.dumps([FLIGHTS]))
    sqlite_db(root / "bird" / "train_databases" / "california_schools" / "california_schools.sqlite", SCHOOLS)
    (root / "bird" / "train.json").write_text(json.dumps(
        [dict(db_id="california_schools", question=q, evidence=e, SQL=s, difficulty=c) for q, e, s, c, _ in BIRD]))
    return root


def expected(rows, what) -> tuple[int, dict]:
    "(kept, rejected by reason) the rows' own labels say."
    n = Counter(what(r) for r in rows)
    return n.pop(KEPT, 0), dict(n)


def records(out):
    "The records an import wrote, training then validation."
    files = [Path(out) / n for n in ("train.jsonl", "val.jsonl")]
    return [r for p in files if p.exists() and p.stat().st_size for r in load_records(p)[0]]


def test_spider_kept_only_where_postgres_agrees_with_sqlite(corpora, tmp_path, capsys):
    out = tmp_path / "spider"
    rep = import_corpus(corpora / "spider" / "train_spider.json", out, val_fraction=0.3, split_by="schema")
    print(format_report(rep))
    kept, rejected = expected(SPIDER, lambda r: r[3])
    assert (rep["kept"], rep["rejected"]) == (kept, rejected), json.dumps(rep["examples"], indent=1)
    assert rep["format"] == "spider" and "found by its columns" in rep["chosen"]
    a = rep["sqlite_postgres_agreement"]  # every pair SQLite answered (the duplicate too) was compared
    answered = [w for d, q, _, w in SPIDER if d in SQLITE_DBS and q.strip() and w != "sqlite_error"]
    assert a["compared"] == len(answered) and a["agreed"] == answered.count(KEPT) + answered.count("duplicate")
    assert sum(a["disagreed"].values()) == a["compared"] - a["agreed"] == 5
    assert rep["per_schema"]["pets_1"] == {"kept": 4, "pg_error:undefined_function": 1}
    assert rep["per_schema"]["flight_2"] == {"kept": 1, "pg_error:invalid_text_representation": 1}
    assert len(rep["split"]["val_schemas"]) == 1 and rep["split"]["train"] > 0  # round(0.3 x 3 schemas)
    recs = records(out)
    assert sorted(r.question for r in recs) == sorted(q for _, q, _, w in SPIDER if w == KEPT)
    assert {p.name for p in (out / "schemas").iterdir()} == {"concert_singer.sql", "pets_1.sql", "flight_2.sql"}
    for r in recs:
        assert r.schema.startswith("CREATE TABLE") and r["meta"]["verified"] == (
            "sqlite=postgres" if r.database in SQLITE_DBS else "runs on postgres (tables.json: no rows)")
        assert r["split"] == ("val" if r.database in rep["split"]["val_schemas"] else "train")
    assert "SELECT name FROM singer WHERE country = 'France';" in [r.gold_sql for r in recs]
    # the judge loads the schema files as they are and finds each kept gold query right
    res = evaluate(recs, [r.gold_sql for r in recs], out / "schemas")
    assert (res["execution_accuracy"], res["gold_errors"]) == (1.0, 0), res["errors"]
    ddl = (out / "schemas" / "concert_singer.sql").read_text()
    assert "singer_id text REFERENCES singer (singer_id)" not in ddl  # text against integer: left out, and said
    assert any("singer_in_concert: FOREIGN KEY (Singer_ID)" in x for x in rep["constraints_left_out"]["concert_singer"])
    assert "concert_id integer REFERENCES concert (concert_id)" in ddl


def test_bird_evidence_is_the_hint_and_max_rows_caps_both_engines(corpora, tmp_path):
    out = tmp_path / "bird"
    rep = import_corpus(corpora / "bird" / "train.json", out, val_fraction=0, max_rows=4, log=lambda m: None)
    print(format_report(rep))
    kept, rejected = expected(BIRD, lambda r: r[4])
    assert (rep["format"], rep["kept"], rep["rejected"]) == ("bird", kept, rejected), json.dumps(rep["examples"])
    assert rep["tables_capped"] == {"california_schools": {"schools": 5}} and rep["max_rows_per_table"] == 4
    recs = {r.question.split("\n")[0]: r for r in records(out)}
    r = recs[BIRD[0][0]]
    assert r.question.endswith("\nHint: " + BIRD[0][1]) and r["category"] == "simple"
    assert '"free meal count (k-12)" / NULLIF("enrollment (k-12)", 0)' in r.gold_sql
    assert '"free meal count (k-12)" double precision' in r.schema
    # the Fresno share is over the 4 copied schools, not the 5 SQLite has: both engines answered on the copy
    fresno = recs[BIRD[3][0]]
    assert fresno["meta"]["rows"] == 1 and "NULLIF(COUNT(cdscode), 0)" in fresno.gold_sql
    assert evaluate([fresno], ["SELECT 25.0"], out / "schemas")["execution_accuracy"] == 1.0


def test_parquet_with_create_table_contexts(tmp_path):
    rows = [  # (question, context, answer, what should become of it)
        ("How many heads of the departments are older than 56 ?", "CREATE TABLE head (age INTEGER)",
         "SELECT COUNT(*) FROM head WHERE age > 56", KEPT),
        ("What is the name of the department with id 3?",
         "CREATE TABLE department (name VARCHAR, department_id VARCHAR)",
         "SELECT name FROM department WHERE department_id = 3", "pg_error:undefined_function"),
        ("Is there a department called Treasury?", "CREATE TABLE department (name VARCHAR, department_id VARCHAR)",
         'SELECT name FROM department WHERE name = "Treasury"', KEPT),
        ("When was the head born?", "CREATE TABLE head (age INTEGER)", "SELECT born FROM head",
         "pg_error:undefined_column"),
        ("Drop it?", "CREATE TABLE t (a INT); DROP TABLE t", "SELECT a FROM t", "schema_error"),
        (None, "CREATE TABLE head (age INTEGER)", "SELECT 1", "empty_question"),
        ("how many heads of the departments are older than 56", "CREATE TABLE head (age INTEGER)",
         "SELECT count(*) FROM head WHERE age > 56", "duplicate")]
    path = tmp_path / "sql_create_context.parquet"
    pq.write_table(pa.table({k: [r[i] for r in rows] for i, k in enumerate(("question", "context", "answer"))}), path)
    rep = import_corpus(path, tmp_path / "out", val_fraction=0, log=lambda m: None)
    print(format_report(rep))
    kept, rejected = expected(rows, lambda r: r[3])
    assert (rep["format"], rep["kept"], rep["rejected"]) == ("sql-create-context", kept, rejected), rep["examples"]
    assert rep["sqlite_postgres_agreement"] is None
    recs = records(tmp_path / "out")
    assert len({r.database for r in recs}) == 2 and all(r.database.startswith("context_") for r in recs)
    assert evaluate(recs, [r.gold_sql for r in recs], tmp_path / "out" / "schemas")["execution_accuracy"] == 1.0
    assert "schema_error" in rep["examples"] and "DropStmt" in rep["examples"]["schema_error"][0]


def test_csv_with_a_column_mapping_and_rows_in_the_context(tmp_path, capsys):
    ctx = ("CREATE TABLE products (product_id INT, name VARCHAR(50), category VARCHAR(20), price DECIMAL(6,2), "
           "added DATE); INSERT INTO products VALUES (1, 'Laptop', 'Electronics', 999.99, '2023-01-05'), "
           "(2, 'Desk', 'Furniture', 150.00, '2021-06-30');")
    rows = [("What is the average price of electronics?", ctx,
             'SELECT AVG(price) FROM products WHERE category = "Electronics";', "retail", KEPT),
            ("Products added in the last year?", ctx,
             "SELECT name FROM products WHERE added >= DATE_SUB(CURDATE(), INTERVAL 1 YEAR);", "retail", KEPT),
            ("Delete cheap products.", ctx, "DELETE FROM products WHERE price < 10;", "retail", "pg_error:refused"),
            ("Revenue per flight?", "CREATE TABLE flights (id INT, revenue FLOAT);",
             "SELECT id, SUM(revenue) FROM flights GROUP BY id;", "aviation", KEPT)]
    path = tmp_path / "synthetic.csv"
    import csv
    with open(path, "w", newline="") as f:
        w = csv.writer(f); w.writerow(["id", "prompt", "ddl", "query", "area"])
        w.writerows([(i, q, c, s, d) for i, (q, c, s, d, _) in enumerate(rows)])
    argv = ["import", str(path), "--out", str(tmp_path / "out"), "--question", "prompt", "--sql", "query",
            "--schema", "ddl", "--db", "area", "--dialect", "mysql", "--val-fraction", "0"]
    assert main(argv) == 0
    rep = json.loads((tmp_path / "out" / "report.json").read_text())
    kept, rejected = expected(rows, lambda r: r[4])
    assert (rep["format"], rep["kept"], rep["rejected"]) == ("columns", kept, rejected), rep["examples"]
    recs = records(tmp_path / "out")
    assert {r.database.rsplit("_", 1)[0] for r in recs} == {"retail", "aviation"}
    assert "INSERT" not in recs[0].schema and "CREATE TABLE products" in recs[0].schema
    assert "'Electronics'" in recs[0].gold_sql and recs[0]["meta"]["rows"] == 1
    assert evaluate(recs, [r.gold_sql for r in recs], tmp_path / "out" / "schemas")["execution_accuracy"] == 1.0
    assert main(argv) == 2  # the import is there: not overwritten without --overwrite
    assert main(argv + ["--overwrite", "--sql", "nope"]) == 2 and (tmp_path / "out" / "train.jsonl").exists()
    assert main(argv + ["--overwrite", "--limit", "1"]) == 0 and len(records(tmp_path / "out")) == 1
    assert "warning" not in capsys.readouterr().err  # --val-fraction 0: no val.jsonl asked for
    one = argv[:-2] + ["--val-fraction", "0.1", "--overwrite", "--limit", "1"]
    assert main(one) == 0  # one record, none in validation: said, in the report and on stderr
    err, rep = capsys.readouterr().err, json.loads((tmp_path / "out" / "report.json").read_text())
    assert "warning: val.jsonl is empty: none of 1 records" in err and rep["split"]["empty_val"] in err
    assert main(one + ["--split-by", "schema"]) == 0 and "splitting by schema needs two" in capsys.readouterr().err


def test_bad_rows_are_named_by_file_line_or_row_and_column(tmp_path, capsys):
    pq.write_table(pa.table({"question": ["ok?", "5"], "context": ["CREATE TABLE t (a int)"] * 2,
                             "answer": ["SELECT a FROM t", "SELECT a FROM t"]}), tmp_path / "ok.parquet")
    bad = pa.table({"question": pa.array([{"x": 1}, None]), "context": ["CREATE TABLE t (a int)"] * 2,
                    "answer": ["SELECT a FROM t"] * 2})
    pq.write_table(bad, tmp_path / "bad.parquet")
    assert main(["import", str(tmp_path / "bad.parquet"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path}/bad.parquet row 1: column 'question' (--question) holds dict" in err, err
    (tmp_path / "b.json").write_text('[\n {"db_id": "d", "question": "q", "query": "SELECT 1"},\n'
                                     ' {"db_id": "d",\n  "question": ["q"], "query": "SELECT 1"}\n]')
    (tmp_path / "database").mkdir()
    assert main(["import", str(tmp_path / "b.json"), "--out", str(tmp_path / "o")]) == 2
    assert f"{tmp_path}/b.json:3: column 'question' (--question) holds list" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "ok.parquet"), "--out", str(tmp_path / "o"), "--sql", "nope"]) == 2
    assert "no column --sql nope: the columns are question, context, answer" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()  # nothing written for bad input


def test_preflight_and_data_name_a_foreign_file_and_the_printed_command_works(corpora, tmp_path, capsys):
    from sql_codegen_slm.preflight import _data_file
    src = corpora / "spider" / "train_spider.json"
    with pytest.raises(ForeignDataError) as e: load_records(src, on_bad_record="skip")
    msg = str(e.value)
    assert msg.startswith(f"{src} is a Spider-format dataset (a JSON array; columns db_id, question, query")
    f, _ = _data_file("train_file", str(src))
    assert (f.status, f.message) == ("failed", msg) and "run that import" in f.advice
    cmd = msg.split("`")[3]  # the command between backticks
    assert cmd == (f"sql-codegen-data import {src} --out {src.parent / 'train_spider-imported'} "
                   f"--db-dir {corpora / 'spider' / 'database'}")
    argv = shlex.split(cmd)
    assert argv[0] == "sql-codegen-data" and main(argv[1:] + ["--limit", "3"]) == 0
    out = Path(argv[argv.index("--out") + 1])
    assert "| concert_singer | 3 |" in capsys.readouterr().out
    assert _data_file("train_file", str(out / "train.jsonl"))[0].status == "passed"
    for name, cols in (("t.parquet", "question, context, answer"), ("t.csv", "sql_prompt, sql_context, sql, domain")):
        p = tmp_path / name
        if name.endswith(".csv"): p.write_text(cols.replace(" ", "") + "\nq,CREATE TABLE t (a int),SELECT a FROM t,x\n")
        else: pq.write_table(pa.table({c: ["x"] for c in cols.split(", ")}), p)
        f, _ = _data_file("val_file", str(p))
        assert f.status == "failed" and f"columns {cols})" in f.message and f"import {p} --out" in f.message, f.message
