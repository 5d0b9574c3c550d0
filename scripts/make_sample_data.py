#!/usr/bin/env python
"""Generate the synthetic PostgreSQL text-to-SQL sample data shipped in `sql_codegen_slm/sample_data/`.

Deterministic (random.Random(0)), no network. Run from the repository root:
    python scripts/make_sample_data.py
Writes schemas/<db_id>.sql (CREATE TABLE + INSERT rows), train.jsonl and val.jsonl.
"""
import calendar, json, os, random, re, statistics
from collections import Counter
from datetime import date
from pathlib import Path

SYSTEM = "You are a PostgreSQL expert. Write one SQL query that answers the question. Return only the SQL."
OUT = Path(__file__).resolve().parent.parent / "sql_codegen_slm" / "sample_data"
VAL_SHARE = 0.17
MONTHS = "January February March April May June July August September October November December".split()

# ---------------------------------------------------------------- schemas and rows
# A database spec with grammar=True (and its tables) gets "an"/"a" and plurals right in the generic questions; the four
# below keep the plain "a" and "+s" their shipped questions were made with.
# Each table: columns [(name, type)], rows, and metadata used by the generic question templates:
#   S/P: singular/plural noun; label: the column naming a row; nums/cats: {col: English phrase};
#   cat_preps: {col: phrase with {v}} for "books in the {v} genre"; dates: {col: (clause, noun)};
#   bools: {col: (true clause, false clause)}.
DBS = {}

DBS["bookstore"] = dict(
    tables=[
        dict(name="authors", alias="a", S="author", P="authors", label="name",
             cols=[("author_id", "INTEGER PRIMARY KEY"), ("name", "TEXT NOT NULL"), ("country", "TEXT"), ("birth_year", "INTEGER")],
             rows=[(1, "Maria Lopez", "Spain", 1965), (2, "James Carter", "USA", 1972), (3, "Akira Sato", "Japan", 1980),
                   (4, "Emma Schultz", "Germany", 1958), (5, "Lucas Moreau", "France", 1990), (6, "Olivia Brown", "USA", 1985),
                   (7, "Kenji Watanabe", "Japan", 1977), (8, "Sofia Rossi", "Italy", 1969)],
             nums={"birth_year": "birth year"}, cats={"country": "country"}, cat_preps={"country": "from {v}"}),
        dict(name="books", alias="b", S="book", P="books", label="title",
             cols=[("book_id", "INTEGER PRIMARY KEY"), ("title", "TEXT NOT NULL"), ("author_id", "INTEGER REFERENCES authors(author_id)"),
                   ("genre", "TEXT"), ("price", "NUMERIC(6,2)"), ("published_date", "DATE"), ("in_stock", "BOOLEAN")],
             rows=[(1, "The Silent River", 1, "Fiction", 18.50, "2015-03-12", True), (2, "Shadows of Madrid", 1, "Mystery", 22.00, "2018-07-01", True),
                   (3, "Quantum Gardens", 2, "Science", 35.99, "2020-01-20", False), (4, "The Last Harbor", 2, "Fiction", 15.75, "2012-11-05", True),
                   (5, "Tokyo Nights", 3, "Mystery", 19.99, "2019-05-17", True), (6, "Empires of Salt", 4, "History", 42.00, "2010-09-30", False),
                   (7, "The Glass Dragon", 5, "Fantasy", 24.50, "2021-02-14", True), (8, "Stars Above Lyon", 5, "Science", 29.00, "2022-06-08", True),
                   (9, "Midnight Ledger", 6, "Mystery", 12.99, "2017-10-23", False), (10, "The Iron Crown", 6, "Fantasy", 27.25, "2023-04-02", True),
                   (11, "Rivers of Time", 7, "History", 31.40, "2016-08-19", True), (12, "The Paper Fox", 7, "Fiction", 14.20, "2021-12-01", True)],
             nums={"price": "price"}, cats={"genre": "genre"}, cat_preps={"genre": "in the {v} genre"},
             dates={"published_date": ("were published", "publication date")},
             bools={"in_stock": ("that are in stock", "that are out of stock")}),
        dict(name="customers", alias="c", S="customer", P="customers", label="name",
             cols=[("customer_id", "INTEGER PRIMARY KEY"), ("name", "TEXT NOT NULL"), ("city", "TEXT"), ("joined_date", "DATE"), ("is_member", "BOOLEAN")],
             rows=[(1, "Alice Green", "Boston", "2019-04-10", True), (2, "Brian Hall", "Chicago", "2020-08-22", False),
                   (3, "Chloe King", "Boston", "2021-01-15", True), (4, "Daniel Young", "Denver", "2018-12-03", False),
                   (5, "Ella Scott", "Seattle", "2022-05-30", True), (6, "Frank Adams", "Chicago", "2021-09-09", True),
                   (7, "Grace Turner", "Denver", "2023-02-18", False), (8, "Henry Baker", "Boston", "2020-03-27", False)],
             cats={"city": "city"}, cat_preps={"city": "from {v}"},
             dates={"joined_date": ("joined", "join date")}, bools={"is_member": ("who are members", "who are not members")}),
        dict(name="orders", alias="o", S="order", P="orders", label="order_id",
             cols=[("order_id", "INTEGER PRIMARY KEY"), ("customer_id", "INTEGER REFERENCES customers(customer_id)"),
                   ("book_id", "INTEGER REFERENCES books(book_id)"), ("quantity", "INTEGER"), ("order_date", "DATE")],
             rows=[(1, 1, 1, 2, "2023-01-05"), (2, 1, 5, 1, "2023-02-11"), (3, 2, 3, 1, "2023-02-20"), (4, 3, 7, 3, "2023-03-02"),
                   (5, 4, 2, 1, "2023-03-15"), (6, 5, 8, 2, "2023-04-01"), (7, 5, 10, 1, "2023-04-18"), (8, 6, 1, 4, "2023-05-06"),
                   (9, 6, 11, 1, "2023-05-21"), (10, 7, 5, 2, "2023-06-09"), (11, 8, 12, 1, "2023-06-30"), (12, 3, 2, 2, "2023-07-14"),
                   (13, 2, 7, 1, "2023-08-03"), (14, 1, 10, 5, "2023-08-25"), (15, 4, 1, 1, "2023-09-12")],
             nums={"quantity": "quantity"}, dates={"order_date": ("were placed", "order date")}),
    ],
    rels=[
        dict(child="books", parent="authors", fk="author_id", role="author", by="written by",
             count_q=["How many books has each author written?", "Count the books written by each author."]),
        dict(child="orders", parent="customers", fk="customer_id", role="customer", by="placed by",
             count_q=["How many orders has each customer placed?", "Count the orders placed by each customer."]),
        dict(child="orders", parent="books", fk="book_id", role="book", by="for",
             count_q=["How many orders does each book have?", "Count the orders for each book."]),
    ],
)

DBS["clinic"] = dict(
    tables=[
        dict(name="doctors", alias="d", S="doctor", P="doctors", label="name",
             cols=[("doctor_id", "INTEGER PRIMARY KEY"), ("name", "TEXT NOT NULL"), ("specialty", "TEXT"), ("hire_date", "DATE"), ("salary", "NUMERIC(10,2)")],
             rows=[(1, "Dr. Anna Berg", "Cardiology", "2012-05-01", 185000), (2, "Dr. Omar Haddad", "Pediatrics", "2016-09-15", 142000),
                   (3, "Dr. Lisa Chen", "Dermatology", "2019-02-11", 156000), (4, "Dr. Paul Novak", "Cardiology", "2010-07-20", 198000),
                   (5, "Dr. Rita Singh", "Neurology", "2018-03-05", 176000), (6, "Dr. Tom Fischer", "Pediatrics", "2021-01-10", 128000),
                   (7, "Dr. Nina Petrova", "Orthopedics", "2015-11-23", 169000)],
             nums={"salary": "salary"}, cats={"specialty": "specialty"}, cat_preps={"specialty": "specializing in {v}"},
             dates={"hire_date": ("were hired", "hire date")}),
        dict(name="patients", alias="p", S="patient", P="patients", label="name",
             cols=[("patient_id", "INTEGER PRIMARY KEY"), ("name", "TEXT NOT NULL"), ("birth_date", "DATE"), ("city", "TEXT"), ("insured", "BOOLEAN")],
             rows=[(1, "John Miller", "1980-04-12", "Springfield", True), (2, "Sara Lee", "1992-09-30", "Riverton", True),
                   (3, "Mark Davis", "1975-01-08", "Springfield", False), (4, "Laura Wilson", "2001-06-21", "Lakeside", True),
                   (5, "Peter Clark", "1968-11-02", "Riverton", False), (6, "Nora White", "1988-03-17", "Lakeside", True),
                   (7, "Kevin Moore", "1995-12-25", "Springfield", True), (8, "Julia Harris", "2010-07-04", "Riverton", True),
                   (9, "Adam Lewis", "1959-02-14", "Lakeside", False), (10, "Mia Walker", "2015-10-09", "Springfield", True)],
             cats={"city": "city"}, cat_preps={"city": "living in {v}"},
             dates={"birth_date": ("were born", "birth date")}, bools={"insured": ("who are insured", "who are not insured")}),
        dict(name="appointments", alias="ap", S="appointment", P="appointments", label="appointment_id",
             cols=[("appointment_id", "INTEGER PRIMARY KEY"), ("patient_id", "INTEGER REFERENCES patients(patient_id)"),
                   ("doctor_id", "INTEGER REFERENCES doctors(doctor_id)"), ("appointment_date", "DATE"), ("fee", "NUMERIC(8,2)"), ("completed", "BOOLEAN")],
             rows=[(1, 1, 1, "2024-01-08", 250.00, True), (2, 2, 3, "2024-01-15", 120.00, True), (3, 3, 4, "2024-01-22", 300.00, True),
                   (4, 4, 5, "2024-02-02", 220.00, True), (5, 8, 2, "2024-02-10", 90.00, True), (6, 10, 6, "2024-02-19", 85.00, False),
                   (7, 5, 1, "2024-03-03", 260.00, True), (8, 6, 3, "2024-03-12", 130.00, False), (9, 7, 4, "2024-03-25", 310.00, True),
                   (10, 1, 5, "2024-04-04", 210.00, True), (11, 9, 1, "2024-04-16", 275.00, False), (12, 8, 6, "2024-05-01", 95.00, True),
                   (13, 2, 1, "2024-05-13", 240.00, True), (14, 6, 5, "2024-05-28", 230.00, False)],
             nums={"fee": "fee"}, dates={"appointment_date": ("were scheduled", "appointment date")},
             bools={"completed": ("that were completed", "that were not completed")}),
    ],
    rels=[
        dict(child="appointments", parent="doctors", fk="doctor_id", role="doctor", by="with",
             count_q=["How many appointments does each doctor have?", "Count the appointments of each doctor."]),
        dict(child="appointments", parent="patients", fk="patient_id", role="patient", by="for",
             count_q=["How many appointments does each patient have?", "Count the appointments booked for each patient."]),
    ],
)

DBS["flights"] = dict(
    tables=[
        dict(name="airlines", alias="al", S="airline", P="airlines", label="name",
             cols=[("airline_id", "INTEGER PRIMARY KEY"), ("name", "TEXT NOT NULL"), ("country", "TEXT"), ("founded_year", "INTEGER")],
             rows=[(1, "SkyBridge Air", "USA", 1985), (2, "Nordic Wings", "Norway", 1999), (3, "Pacific Crest", "Japan", 1972),
                   (4, "Atlas Airways", "Morocco", 2004), (5, "Blue Heron", "USA", 2011), (6, "Alpine Express", "Switzerland", 1990)],
             nums={"founded_year": "founding year"}, cats={"country": "country"}, cat_preps={"country": "based in {v}"}),
        dict(name="airports", alias="a", S="airport", P="airports", label="name",
             cols=[("airport_code", "TEXT PRIMARY KEY"), ("name", "TEXT NOT NULL"), ("city", "TEXT"), ("country", "TEXT")],
             rows=[("JFK", "John F. Kennedy International", "New York", "USA"), ("LAX", "Los Angeles International", "Los Angeles", "USA"),
                   ("OSL", "Oslo Gardermoen", "Oslo", "Norway"), ("NRT", "Narita International", "Tokyo", "Japan"),
                   ("CMN", "Mohammed V International", "Casablanca", "Morocco"), ("ZRH", "Zurich Airport", "Zurich", "Switzerland"),
                   ("ORD", "Chicago O Hare", "Chicago", "USA"), ("BGO", "Bergen Flesland", "Bergen", "Norway"),
                   ("SEA", "Seattle Tacoma International", "Seattle", "USA")],
             cats={"country": "country"}, cat_preps={"country": "in {v}"}),
        dict(name="flights", alias="f", S="flight", P="flights", label="flight_id",
             cols=[("flight_id", "INTEGER PRIMARY KEY"), ("airline_id", "INTEGER REFERENCES airlines(airline_id)"),
                   ("origin", "TEXT REFERENCES airports(airport_code)"), ("destination", "TEXT REFERENCES airports(airport_code)"),
                   ("departure_date", "DATE"), ("duration_minutes", "INTEGER"), ("price", "NUMERIC(7,2)"), ("cancelled", "BOOLEAN")],
             rows=[(1, 1, "JFK", "LAX", "2024-03-01", 360, 320.00, False), (2, 1, "LAX", "ORD", "2024-03-03", 250, 210.50, False),
                   (3, 2, "OSL", "BGO", "2024-03-05", 55, 95.00, False), (4, 2, "OSL", "ZRH", "2024-03-08", 150, 180.00, True),
                   (5, 3, "NRT", "LAX", "2024-03-10", 600, 890.00, False), (6, 3, "NRT", "JFK", "2024-04-02", 780, 1050.00, False),
                   (7, 4, "CMN", "ZRH", "2024-04-06", 210, 240.00, False), (8, 5, "ORD", "JFK", "2024-04-11", 140, 150.00, True),
                   (9, 5, "JFK", "ORD", "2024-04-15", 150, 160.00, False), (10, 6, "ZRH", "OSL", "2024-05-02", 160, 200.00, False),
                   (11, 1, "JFK", "ZRH", "2024-05-09", 480, 610.00, False), (12, 6, "ZRH", "CMN", "2024-05-20", 205, 230.00, False),
                   (13, 2, "BGO", "OSL", "2024-06-01", 55, 90.00, False), (14, 3, "LAX", "NRT", "2024-06-14", 660, 920.00, True)],
             nums={"duration_minutes": "duration in minutes", "price": "ticket price"},
             dates={"departure_date": ("departed", "departure date")},
             bools={"cancelled": ("that were cancelled", "that were not cancelled")}),
    ],
    rels=[
        dict(child="flights", parent="airlines", fk="airline_id", role="airline", by="operated by",
             count_q=["How many flights does each airline operate?", "Count the flights operated by each airline."]),
        dict(child="flights", parent="airports", fk="origin", role="origin airport", by="departing from", generic_sub=False,
             count_q=["How many flights depart from each airport?", "Count the departing flights for each airport."]),
        dict(child="flights", parent="airports", fk="destination", role="destination airport", by="arriving at", generic_sub=False,
             count_q=["How many flights arrive at each airport?", "Count the arriving flights for each airport."]),
    ],
)

DBS["school"] = dict(
    tables=[
        dict(name="teachers", alias="t", S="teacher", P="teachers", label="name",
             cols=[("teacher_id", "INTEGER PRIMARY KEY"), ("name", "TEXT NOT NULL"), ("subject", "TEXT"), ("hire_date", "DATE"), ("salary", "NUMERIC(9,2)")],
             rows=[(1, "Helen Park", "Mathematics", "2011-08-20", 64000), (2, "Victor Reyes", "Physics", "2015-08-18", 61000),
                   (3, "Grace Okafor", "Literature", "2009-09-01", 68000), (4, "Samuel Ortiz", "Mathematics", "2019-08-25", 55000),
                   (5, "Irene Novak", "History", "2013-01-07", 62000), (6, "Leo Fontaine", "Chemistry", "2021-08-30", 52000)],
             nums={"salary": "salary"}, cats={"subject": "subject"}, cat_preps={"subject": "teaching {v}"},
             dates={"hire_date": ("were hired", "hire date")}),
        dict(name="students", alias="s", S="student", P="students", label="name",
             cols=[("student_id", "INTEGER PRIMARY KEY"), ("name", "TEXT NOT NULL"), ("grade_level", "INTEGER"), ("birth_date", "DATE"), ("active", "BOOLEAN")],
             rows=[(1, "Amy Chen", 10, "2009-02-14", True), (2, "Ben Foster", 11, "2008-06-03", True), (3, "Cara Diaz", 9, "2010-01-22", True),
                   (4, "Dev Patel", 12, "2007-11-30", True), (5, "Eva Novak", 10, "2009-07-08", False), (6, "Finn Murphy", 11, "2008-03-19", True),
                   (7, "Gina Rossi", 9, "2010-09-05", True), (8, "Hugo Silva", 12, "2007-04-27", False), (9, "Iris Kim", 10, "2009-12-12", True),
                   (10, "Jack Wright", 11, "2008-10-01", True)],
             nums={"grade_level": "grade level"}, cats={"grade_level": "grade level"}, cat_preps={"grade_level": "in grade {v}"},
             dates={"birth_date": ("were born", "birth date")}, bools={"active": ("who are active", "who are not active")}),
        dict(name="courses", alias="c", S="course", P="courses", label="title",
             cols=[("course_id", "INTEGER PRIMARY KEY"), ("title", "TEXT NOT NULL"), ("teacher_id", "INTEGER REFERENCES teachers(teacher_id)"), ("credits", "INTEGER")],
             rows=[(1, "Algebra II", 1, 4), (2, "Calculus", 4, 5), (3, "Mechanics", 2, 4), (4, "World Literature", 3, 3),
                   (5, "Modern History", 5, 3), (6, "Organic Chemistry", 6, 4), (7, "Geometry", 1, 3), (8, "Creative Writing", 3, 2)],
             nums={"credits": "number of credits"}, cats={"credits": "number of credits"}, cat_preps={"credits": "worth {v} credits"}),
        dict(name="enrollments", alias="e", S="enrollment", P="enrollments", label="enrollment_id",
             cols=[("enrollment_id", "INTEGER PRIMARY KEY"), ("student_id", "INTEGER REFERENCES students(student_id)"),
                   ("course_id", "INTEGER REFERENCES courses(course_id)"), ("score", "NUMERIC(5,2)"), ("enrolled_date", "DATE")],
             rows=[(1, 1, 1, 88.5, "2023-09-01"), (2, 1, 3, 92.0, "2023-09-01"), (3, 2, 2, 76.5, "2023-09-02"), (4, 3, 7, 81.0, "2023-09-02"),
                   (5, 4, 2, 95.5, "2023-09-03"), (6, 4, 4, 89.0, "2023-09-03"), (7, 5, 5, 67.0, "2023-09-05"), (8, 6, 3, 72.5, "2023-09-06"),
                   (9, 7, 8, 90.0, "2024-01-15"), (10, 9, 1, 84.0, "2024-01-15"), (11, 10, 5, 78.0, "2024-01-16"), (12, 2, 6, 69.5, "2024-01-17"),
                   (13, 6, 4, 93.0, "2024-01-18"), (14, 1, 7, 86.0, "2024-01-20"), (15, 10, 1, 71.0, "2024-01-22")],
             nums={"score": "score"}, dates={"enrolled_date": ("were made", "enrollment date")}),
    ],
    rels=[
        dict(child="courses", parent="teachers", fk="teacher_id", role="teacher", by="taught by",
             count_q=["How many courses does each teacher teach?", "Count the courses taught by each teacher."]),
        dict(child="enrollments", parent="students", fk="student_id", role="student", by="made by",
             count_q=["How many enrollments does each student have?", "Count the course enrollments of each student."]),
        dict(child="enrollments", parent="courses", fk="course_id", role="course", by="in",
             count_q=["How many enrollments does each course have?", "Count the students enrolled in each course."]),
    ],
)


# ---------------------------------------------------------------- the held-out database
# Hand-written for evaluation on a schema that training never sees: a beekeeping co-operative. Its table names and
# domain words (beekeeper, apiary, hive, honey, harvest, ...) appear in no training file; scripts/make_synthetic_data.py
# keeps them out of its vocabulary and tests/test_sample_data.py checks it. Its records go to unseen.jsonl only.
HELDOUT_DB = "apiary_coop"
HELDOUT_NOTE = "hand-written held-out database: never in training; scripts/make_sample_data.py"
HELDOUT_WORDS = ("beekeep", "apiar", "hive", "honey", "harvest", "queen", "floral", "nectar", "pollen", "varroa")
HELDOUT = dict(
    grammar=True,
    tables=[
        dict(grammar=True, name="beekeepers", alias="bk", S="beekeeper", P="beekeepers", label="full_name", label_ph="name",
             cols=[("beekeeper_id", "INTEGER PRIMARY KEY"), ("full_name", "TEXT NOT NULL"), ("village", "TEXT"),
                   ("joined_on", "DATE"), ("organic_certified", "BOOLEAN")],
             rows=[(1, "Ingrid Solberg", "Lindholm", "2016-04-12", True), (2, "Tomasz Wrona", "Brzezina", "2018-09-03", False),
                   (3, "Amara Okoye", "Lindholm", "2019-03-21", True), (4, "Pierre Castel", "Saint-Vallier", "2015-06-30", True),
                   (5, "Rosa Delgado", "Brzezina", "2020-05-14", False), (6, "Hamish Reid", "Glenmoray", "2017-02-08", True),
                   (7, "Yuki Tanaka", "Saint-Vallier", "2021-07-19", False), (8, "Greta Lind", "Glenmoray", "2022-04-02", True)],
             cats={"village": "village"}, cat_preps={"village": "from {v}"},
             dates={"joined_on": ("joined the co-op", "join date")},
             bools={"organic_certified": ("who are certified organic", "who are not certified organic")}),
        dict(grammar=True, name="apiaries", alias="ap", S="apiary", P="apiaries", label="site_name",
             cols=[("apiary_id", "INTEGER PRIMARY KEY"), ("site_name", "TEXT NOT NULL"),
                   ("beekeeper_id", "INTEGER REFERENCES beekeepers(beekeeper_id)"), ("region", "TEXT"), ("altitude_m", "INTEGER")],
             rows=[(1, "Clover Hill", 1, "Northern Lowlands", 120), (2, "Birch Hollow", 1, "Northern Lowlands", 85),
                   (3, "Old Mill Meadow", 2, "Eastern Plateau", 430), (4, "Sunny Terrace", 3, "Northern Lowlands", 150),
                   (5, "Lavender Ridge", 4, "Southern Hills", 610), (6, "Chestnut Grove", 4, "Southern Hills", 540),
                   (7, "Heath Corner", 6, "Highlands", 780), (8, "Thistle Brae", 6, "Highlands", 905),
                   (9, "Poplar Bend", 7, "Southern Hills", 320), (10, "Willow Creek", 8, "Highlands", 690)],
             nums={"altitude_m": "altitude in meters"}, cats={"region": "region"}, cat_preps={"region": "in the {v} region"}),
        dict(grammar=True, name="hives", alias="h", S="hive", P="hives", label="hive_id",
             cols=[("hive_id", "INTEGER PRIMARY KEY"), ("apiary_id", "INTEGER REFERENCES apiaries(apiary_id)"), ("hive_type", "TEXT"),
                   ("queen_year", "INTEGER"), ("installed_on", "DATE"), ("is_active", "BOOLEAN")],
             rows=[(1, 1, "Langstroth", 2023, "2019-04-10", True), (2, 1, "Langstroth", 2022, "2019-04-10", True),
                   (3, 2, "Warre", 2024, "2020-05-02", True), (4, 3, "Dadant", 2021, "2018-06-15", False),
                   (5, 3, "Langstroth", 2023, "2021-04-28", True), (6, 4, "Top-bar", 2022, "2019-05-20", True),
                   (7, 5, "Dadant", 2024, "2016-04-05", True), (8, 5, "Dadant", 2020, "2016-04-05", False),
                   (9, 6, "Langstroth", 2023, "2017-05-11", True), (10, 7, "Warre", 2022, "2018-04-22", True),
                   (11, 7, "Top-bar", 2021, "2020-06-01", False), (12, 8, "Warre", 2024, "2022-05-09", True),
                   (13, 9, "Langstroth", 2023, "2021-05-17", True), (14, 10, "Dadant", 2022, "2022-04-30", True),
                   (15, 10, "Top-bar", 2024, "2023-05-06", True), (16, 6, "Langstroth", 2019, "2017-05-11", False)],
             nums={"queen_year": "queen's year of birth"}, no_sum=("queen_year",), cats={"hive_type": "hive type"},
             cat_preps={"hive_type": "of type {v}"}, dates={"installed_on": ("were installed", "installation date")},
             bools={"is_active": ("that are active", "that are not active")}),
        dict(grammar=True, name="harvests", alias="hv", S="harvest", P="harvests", label="harvest_id",
             cols=[("harvest_id", "INTEGER PRIMARY KEY"), ("hive_id", "INTEGER REFERENCES hives(hive_id)"), ("harvest_date", "DATE"),
                   ("honey_kg", "NUMERIC(6,2)"), ("floral_source", "TEXT"), ("moisture_pct", "NUMERIC(4,1)")],
             rows=[(1, 1, "2023-06-18", 14.50, "Clover", 17.2), (2, 2, "2023-06-18", 11.20, "Clover", 17.8),
                   (3, 3, "2023-07-02", 8.75, "Wildflower", 18.1), (4, 5, "2023-07-09", 12.40, "Acacia", 16.9),
                   (5, 6, "2023-07-15", 6.30, "Wildflower", 18.6), (6, 7, "2023-07-22", 16.80, "Lavender", 17.0),
                   (7, 9, "2023-08-05", 13.10, "Chestnut", 17.5), (8, 10, "2023-08-12", 9.60, "Heather", 18.9),
                   (9, 12, "2023-08-26", 7.25, "Heather", 19.2), (10, 1, "2023-08-30", 10.90, "Wildflower", 17.9),
                   (11, 13, "2023-09-03", 12.00, "Chestnut", 17.4), (12, 14, "2023-09-10", 9.15, "Heather", 18.4),
                   (13, 1, "2024-06-09", 15.30, "Clover", 17.1), (14, 2, "2024-06-09", 12.75, "Clover", 17.6),
                   (15, 3, "2024-06-23", 9.40, "Wildflower", 18.0), (16, 5, "2024-07-01", 13.85, "Acacia", 16.8),
                   (17, 7, "2024-07-14", 18.20, "Lavender", 16.7), (18, 9, "2024-07-28", 11.60, "Chestnut", 17.7),
                   (19, 10, "2024-08-04", 10.05, "Heather", 18.8), (20, 12, "2024-08-18", 8.40, "Heather", 19.0),
                   (21, 13, "2024-08-25", 12.90, "Chestnut", 17.3), (22, 15, "2024-09-01", 5.70, "Wildflower", 18.7),
                   (23, 6, "2024-09-08", 7.10, "Wildflower", 18.5), (24, 14, "2024-09-15", 10.35, "Heather", 18.2)],
             nums={"honey_kg": "honey weight in kg", "moisture_pct": "moisture percentage"},
             cats={"floral_source": "floral source"}, cat_preps={"floral_source": "from {v} flowers"},
             dates={"harvest_date": ("were taken", "harvest date")}),
    ],
    rels=[
        dict(child="apiaries", parent="beekeepers", fk="beekeeper_id", role="beekeeper", by="run by",
             count_q=["How many apiaries does each beekeeper run?", "Count the apiaries run by each beekeeper."]),
        dict(child="hives", parent="apiaries", fk="apiary_id", role="apiary", by="kept at",
             count_q=["How many hives are kept at each apiary?", "Count the hives at each apiary."]),
        dict(child="harvests", parent="hives", fk="hive_id", role="hive", by="taken from",
             count_q=["How many harvests has each hive given?", "Count the harvests taken from each hive."]),
    ],
)

_HV = ("harvests AS hv JOIN hives AS h ON hv.hive_id = h.hive_id JOIN apiaries AS ap ON h.apiary_id = ap.apiary_id")
_BK = " JOIN beekeepers AS bk ON ap.beekeeper_id = bk.beekeeper_id"
_HA = "hives AS h JOIN apiaries AS ap ON h.apiary_id = ap.apiary_id"
# (category, question, gold SQL): written by hand, with their own phrasing, mostly across several tables
HELDOUT_QUESTIONS = [
    ("join", "What is the total weight of honey harvested by each beekeeper?", f"SELECT bk.full_name, SUM(hv.honey_kg) FROM {_HV}{_BK} GROUP BY bk.full_name;"),
    ("join", "Which beekeepers keep at least one Warre hive?", f"SELECT DISTINCT bk.full_name FROM {_HA}{_BK} WHERE h.hive_type = 'Warre';"),
    ("join", "Give every hive id with the site name of its apiary and the name of the beekeeper who runs it.", f"SELECT h.hive_id, ap.site_name, bk.full_name FROM {_HA}{_BK};"),
    ("join", "How many kilograms of honey came from apiaries in the Highlands region in 2024?", f"SELECT SUM(hv.honey_kg) FROM {_HV} WHERE ap.region = 'Highlands' AND EXTRACT(YEAR FROM hv.harvest_date) = 2024;"),
    ("order_limit", "Which apiary has yielded the most honey overall?", "SELECT ap.site_name FROM apiaries AS ap JOIN hives AS h ON h.apiary_id = ap.apiary_id JOIN harvests AS hv ON hv.hive_id = h.hive_id GROUP BY ap.site_name ORDER BY SUM(hv.honey_kg) DESC LIMIT 1;"),
    ("group_by", "What is the average moisture of the honey from each floral source?", "SELECT floral_source, AVG(moisture_pct) FROM harvests GROUP BY floral_source;"),
    ("date", "How much honey was harvested in each year?", "SELECT EXTRACT(YEAR FROM harvest_date) AS year, SUM(honey_kg) FROM harvests GROUP BY EXTRACT(YEAR FROM harvest_date);"),
    ("subquery", "Which beekeepers have no active hive at any of their apiaries?", "SELECT full_name FROM beekeepers WHERE beekeeper_id NOT IN (SELECT ap.beekeeper_id FROM apiaries AS ap JOIN hives AS h ON h.apiary_id = ap.apiary_id WHERE h.is_active = TRUE);"),
    ("having", "Which apiaries have more than one active hive?", f"SELECT ap.site_name FROM {_HA} WHERE h.is_active = TRUE GROUP BY ap.site_name HAVING COUNT(*) > 1;"),
    ("join", "List the date and weight of every harvest from the Lavender Ridge apiary.", f"SELECT hv.harvest_date, hv.honey_kg FROM {_HV} WHERE ap.site_name = 'Lavender Ridge';"),
    ("date", "Which harvests took place in July, in any year? Give their ids and dates.", "SELECT harvest_id, harvest_date FROM harvests WHERE EXTRACT(MONTH FROM harvest_date) = 7;"),
    ("join", "In which villages do the beekeepers with an apiary in the Highlands live? List each village once.", "SELECT DISTINCT bk.village FROM beekeepers AS bk JOIN apiaries AS ap ON ap.beekeeper_id = bk.beekeeper_id WHERE ap.region = 'Highlands';"),
    ("subquery", "Which hives have had a single harvest heavier than the average harvest?", "SELECT DISTINCT hive_id FROM harvests WHERE honey_kg > (SELECT AVG(honey_kg) FROM harvests);"),
    ("aggregate", "What is the heaviest single harvest on record, in kilograms?", "SELECT MAX(honey_kg) FROM harvests;"),
    ("join", "How many active hives are there in each region?", f"SELECT ap.region, COUNT(*) FROM {_HA} WHERE h.is_active = TRUE GROUP BY ap.region;"),
    ("distinct", "Which floral sources have been harvested at apiaries above 500 meters? List each once.", f"SELECT DISTINCT hv.floral_source FROM {_HV} WHERE ap.altitude_m > 500;"),
    ("order_limit", "Which three hives have produced the most honey in total?", "SELECT hive_id FROM harvests GROUP BY hive_id ORDER BY SUM(honey_kg) DESC LIMIT 3;"),
    ("join", "For each hive type, what is the average honey weight per harvest?", "SELECT h.hive_type, AVG(hv.honey_kg) FROM harvests AS hv JOIN hives AS h ON hv.hive_id = h.hive_id GROUP BY h.hive_type;"),
    ("date", "Which beekeepers joined the co-op before 2018, and on what date?", "SELECT full_name, joined_on FROM beekeepers WHERE joined_on < '2018-01-01';"),
    ("subquery", "Which apiaries are located higher than every apiary in the Southern Hills?", "SELECT site_name FROM apiaries WHERE altitude_m > (SELECT MAX(altitude_m) FROM apiaries WHERE region = 'Southern Hills');"),
    ("join", "Show the site and region of every apiary run by a certified organic beekeeper.", "SELECT ap.site_name, ap.region FROM apiaries AS ap JOIN beekeepers AS bk ON ap.beekeeper_id = bk.beekeeper_id WHERE bk.organic_certified = TRUE;"),
    ("having", "Which floral sources appear in at least four harvests?", "SELECT floral_source FROM harvests GROUP BY floral_source HAVING COUNT(*) >= 4;"),
    ("date", "How many harvests were recorded in August 2024?", "SELECT COUNT(*) FROM harvests WHERE harvest_date BETWEEN '2024-08-01' AND '2024-08-31';"),
    ("join", "How much honey did Langstroth hives produce in 2023?", "SELECT SUM(hv.honey_kg) FROM harvests AS hv JOIN hives AS h ON hv.hive_id = h.hive_id WHERE h.hive_type = 'Langstroth' AND EXTRACT(YEAR FROM hv.harvest_date) = 2023;"),
    ("group_by", "For each village, how many certified organic beekeepers live there?", "SELECT village, COUNT(*) FROM beekeepers WHERE organic_certified = TRUE GROUP BY village;"),
    ("select", "Show each apiary's site name with its altitude in feet.", "SELECT site_name, altitude_m * 3.28084 AS altitude_ft FROM apiaries;"),
    ("order_limit", "Who keeps the hive with the largest single harvest?", f"SELECT bk.full_name FROM {_HV}{_BK} ORDER BY hv.honey_kg DESC LIMIT 1;"),
    ("subquery", "Which hives have never been harvested?", "SELECT hive_id FROM hives WHERE hive_id NOT IN (SELECT hive_id FROM harvests);"),
    ("distinct", "How many different hive types are kept in the Highlands region?", f"SELECT COUNT(DISTINCT h.hive_type) FROM {_HA} WHERE ap.region = 'Highlands';"),
    ("join", "Which apiaries had a harvest with a moisture content above 18.5 percent?", f"SELECT DISTINCT ap.site_name FROM {_HV} WHERE hv.moisture_pct > 18.5;"),
    ("aggregate", "What percentage of the hives are still active?", "SELECT 100.0 * COUNT(*) FILTER (WHERE is_active) / COUNT(*) FROM hives;"),
    ("join", "List each beekeeper with the number of hives they keep, including beekeepers with none.", "SELECT bk.full_name, COUNT(h.hive_id) FROM beekeepers AS bk LEFT JOIN apiaries AS ap ON ap.beekeeper_id = bk.beekeeper_id LEFT JOIN hives AS h ON h.apiary_id = ap.apiary_id GROUP BY bk.full_name;"),
    ("date", "Which hives were installed in spring 2019, between March and May?", "SELECT hive_id FROM hives WHERE installed_on BETWEEN '2019-03-01' AND '2019-05-31';"),
    ("subquery", "Which beekeepers run an apiary higher than 600 meters?", "SELECT full_name FROM beekeepers WHERE beekeeper_id IN (SELECT beekeeper_id FROM apiaries WHERE altitude_m > 600);"),
    ("filter", "Which harvests weighed more than 12 kg and had a moisture below 17.5 percent?", "SELECT harvest_id FROM harvests WHERE honey_kg > 12 AND moisture_pct < 17.5;"),
]
# category weights for the generic questions: close to val.jsonl's mix
HELDOUT_WEIGHTS = {"join": 3, "filter": 2.5, "date": 2, "aggregate": 2, "order_limit": 1.2, "select": 1, "subquery": 1,
                   "having": 1, "distinct": 1, "group_by": 1}
HELDOUT_GENERIC = 100


def heldout_records(pg=None, rng=None):
    """unseen.jsonl: the hand-written questions, then `HELDOUT_GENERIC` generic template questions (one phrasing
    each), all verified on `pg` (a `Postgres` with the held-out database loaded) when given. Returns (records, drops)."""
    rng = rng or random.Random(1)
    schema, drops, out, seen = schema_text(HELDOUT), [], [], set()
    def ok(cat, q, sql):
        why = pg.check(HELDOUT_DB, sql) if pg else None
        if why: drops.append((q, sql, why)); return False
        return True
    for cat, q, sql in HELDOUT_QUESTIONS:
        if ok(cat, q, sql): out.append(record(HELDOUT_DB, schema, cat, q, sql)); seen.add(sql)
    cands = [(cat, qs, sql) for cat, qs, sql in instances(HELDOUT, rng) if sql not in seen]
    cands = list({sql: (cat, qs, sql) for cat, qs, sql in reversed(cands)}.values())[::-1]  # first of each SQL
    first, rest = pick(cands, len(cands), rng, HELDOUT_WEIGHTS)
    n = 0
    for cat, qs, sql in first:
        if n == HELDOUT_GENERIC: break
        q = rng.choice(qs)
        if ok(cat, q, sql): out.append(record(HELDOUT_DB, schema, cat, q, sql)); n += 1
    return out, drops

# ---------------------------------------------------------------- SQL text helpers
def lit(v):
    """SQL literal for a Python value."""
    if v is None: return "NULL"
    if isinstance(v, bool): return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)): return fmt_num(v)
    return "'" + str(v).replace("'", "''") + "'"

def fmt_num(x):
    return str(int(x)) if float(x) == int(x) else f"{x:.2f}".rstrip("0")

def create_stmt(t):
    return f"CREATE TABLE {t['name']} (" + ", ".join(f"{c} {ty}" for c, ty in t["cols"]) + ");"

def schema_text(spec):
    """The CREATE TABLE lines of a database spec, as they appear in the prompts."""
    return "\n".join(create_stmt(t) for t in spec["tables"])

def schema_file(db, spec, note="generated by scripts/make_sample_data.py"):
    lines = [f"-- Synthetic sample database '{db}' for sql-codegen-slm ({note}).", schema_text(spec), ""]
    for t in spec["tables"]:
        names = ", ".join(c for c, _ in t["cols"])
        vals = ",\n".join("  (" + ", ".join(lit(v) for v in r) + ")" for r in t["rows"])
        lines.append(f"INSERT INTO {t['name']} ({names}) VALUES\n{vals};")
    return "\n".join(lines) + "\n"

def col(t, c):
    """Values of column c in table t."""
    i = [n for n, _ in t["cols"]].index(c)
    return [r[i] for r in t["rows"]]

def nice_date(s):
    d = date.fromisoformat(s)
    return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"

def pk(t): return t["cols"][0][0]

def an(w): return ("an " if w[0] in "aeiou" else "a ") + w

def _a(w): return "a " + w  # what the four shipped databases' questions say (kept so train/val stay as they are)

def plural(w):
    if w.endswith("y") and w[-2:-1] not in tuple("aeiou"): return w[:-1] + "ies"
    return w + ("es" if w.endswith(("s", "x", "ch", "sh")) else "s")

def label_ph(t):
    """The English phrase of a table's label column ("full_name" may be phrased "name")."""
    return t.get("label_ph", t["label"].replace("_", " "))

def text_label(t):
    """Whether the label column holds text (names, titles) rather than an id."""
    return t.get("text_label", not t["label"].endswith("_id"))


# ---------------------------------------------------------------- templates
# Each generator yields (category, [phrasings], sql). One phrasing (sometimes two) becomes a record.
def single_table(t, rng):
    n, S, P, L = t["name"], t["S"], t["P"], t["label"]
    art = an if t.get("grammar") else _a
    Lp = label_ph(t)
    Ls = plural(Lp) if t.get("grammar") else Lp + ("es" if Lp.endswith("s") else "s")
    SL = Lp if L.endswith("_id") else f"{S} {Lp}"  # "order id", not "order order id"
    # select
    yield "select", [f"List the {Ls} of all {P}.", f"What are the {Ls} of all {P}?", f"Show every {SL}."], f"SELECT {L} FROM {n};"
    yield "select", [f"Show all information about the {P}.", f"Show every column of the {n} table.", f"Display all {P} with all their details."], f"SELECT * FROM {n};"
    for c, ph in {**t.get("nums", {}), **t.get("cats", {})}.items():
        if c == L: continue
        yield "select", [f"List the {Lp} and {ph} of each {S}.", f"Show each {S}'s {Lp} together with its {ph}.", f"What is the {ph} of every {S}? Show the {Lp} too."], f"SELECT {L}, {c} FROM {n};"
    # distinct
    for c, ph in t.get("cats", {}).items():
        yield "distinct", [f"What are the distinct {ph} values among the {P}?", f"List the different {ph} values of the {P} without duplicates.", f"Which {ph} values appear in the {n} table? List each once."], f"SELECT DISTINCT {c} FROM {n};"
        yield "distinct", [f"How many different {ph} values do the {P} have?", f"Count the distinct {ph} values in the {n} table.", f"How many unique {ph} values are there among the {P}?"], f"SELECT COUNT(DISTINCT {c}) FROM {n};"
    # filter / aggregate / group_by / having on categorical columns
    for c, ph in t.get("cats", {}).items():
        prep = t["cat_preps"][c]
        vals = sorted(set(col(t, c)), key=str)
        for v in vals:
            pv = prep.format(v=v)
            yield "filter", [f"List the {Ls} of {P} {pv}.", f"Which {P} are {pv}? Give their {Ls}.", f"Show the {Lp} of every {S} whose {ph} is {v}."], f"SELECT {L} FROM {n} WHERE {c} = {lit(v)};"
            yield "aggregate", [f"How many {P} are {pv}?", f"Count the {P} whose {ph} is {v}.", f"What is the number of {P} {pv}?"], f"SELECT COUNT(*) FROM {n} WHERE {c} = {lit(v)};"
        yield "group_by", [f"How many {P} are there for each {ph}?", f"Count the {P} per {ph}.", f"For every {ph}, show the number of {P}."], f"SELECT {c}, COUNT(*) FROM {n} GROUP BY {c};"
        counts = Counter(col(t, c))
        if max(counts.values()) >= 2:
            k = rng.randint(1, max(counts.values()) - 1)
            yield "having", [f"Which {ph} values have more than {k} {P}?", f"List the {ph} values shared by more than {k} {P}.", f"Show each {ph} with more than {k} {P}."], f"SELECT {c} FROM {n} GROUP BY {c} HAVING COUNT(*) > {k};"
        for m, ph2 in t.get("nums", {}).items():
            if m == c: continue
            yield "group_by", [f"What is the average {ph2} of the {P} for each {ph}?", f"Show the average {ph2} per {ph}.", f"For each {ph}, what is the mean {ph2} of the {P}?"], f"SELECT {c}, AVG({m}) FROM {n} GROUP BY {c};"
            yield "group_by", [f"What is the highest {ph2} for each {ph}?", f"Show the maximum {ph2} per {ph}.", f"For each {ph}, give the largest {ph2} among the {P}."], f"SELECT {c}, MAX({m}) FROM {n} GROUP BY {c};"
            avgs = {}
            for v, x in zip(col(t, c), col(t, m)): avgs.setdefault(v, []).append(float(x))
            avgs = sorted(sum(x) / len(x) for x in avgs.values())
            if len(avgs) >= 2:
                thr = int(avgs[-2])  # at least the top group passes
                yield "having", [f"Which {ph} values have an average {ph2} above {thr}?", f"List each {ph} whose {P} have an average {ph2} greater than {thr}.", f"Show the {ph} values where the mean {ph2} is more than {thr}."], f"SELECT {c} FROM {n} GROUP BY {c} HAVING AVG({m}) > {thr};"
    # numeric columns
    for m, ph in t.get("nums", {}).items():
        xs = sorted(float(x) for x in col(t, m))
        lo, hi = xs[len(xs) // 4], xs[(3 * len(xs)) // 4]
        a, b = fmt_num(lo), fmt_num(hi)
        yield "filter", [f"Which {P} have {art(ph)} greater than {a}? List their {Ls}.", f"List the {Ls} of {P} whose {ph} is above {a}.", f"Show the {Lp} of every {S} with {art(ph)} over {a}."], f"SELECT {L} FROM {n} WHERE {m} > {a};"
        yield "filter", [f"Which {P} have {art(ph)} less than {b}? List their {Ls}.", f"List the {Ls} of {P} whose {ph} is below {b}.", f"Show the {Lp} of every {S} with {art(ph)} under {b}."], f"SELECT {L} FROM {n} WHERE {m} < {b};"
        yield "filter", [f"List the {Ls} of {P} with {art(ph)} between {a} and {b}.", f"Which {P} have {art(ph)} from {a} to {b} inclusive?", f"Show the {P} whose {ph} lies between {a} and {b}; give their {Ls}."], f"SELECT {L} FROM {n} WHERE {m} BETWEEN {a} AND {b};"
        for fn, words in [("AVG", ["average", "mean"]), ("MAX", ["highest", "maximum"]), ("MIN", ["lowest", "minimum"]), ("SUM", ["total", "sum of the"])]:
            if fn == "SUM" and (m in ("birth_year", "founded_year", "grade_level") or m in t.get("no_sum", ())): continue
            w1, w2 = words
            yield "aggregate", [f"What is the {w1} {ph} of all {P}?", f"Find the {w2} {ph} across the {P}.", f"Compute the {w1} {ph} in the {n} table."], f"SELECT {fn}({m}) FROM {n};"
        k = rng.choice([3, 5])
        yield "order_limit", [f"What are the top {k} {P} with the highest {ph}?", f"List the {k} {P} with the largest {ph}.", f"Show the {Ls} of the {k} {P} with the highest {ph}."], f"SELECT {L} FROM {n} ORDER BY {m} DESC LIMIT {k};"
        yield "order_limit", [f"Which {S} has the lowest {ph}?", f"Find the {S} with the smallest {ph}.", f"Give the {Lp} of the {S} with the minimum {ph}."], f"SELECT {L} FROM {n} ORDER BY {m} ASC LIMIT 1;"
        yield "order_limit", [f"List the {Ls} and {ph} of all {P} sorted by {ph} from highest to lowest.", f"Show every {S}'s {Lp} and {ph}, ordered by {ph} descending.", f"Sort the {P} by {ph} in descending order, showing {Lp} and {ph}."], f"SELECT {L}, {m} FROM {n} ORDER BY {m} DESC;"
        yield "subquery", [f"Which {P} have {art(ph)} above the average {ph}?", f"List the {Ls} of {P} whose {ph} is higher than the average.", f"Show the {P} with {art(ph)} greater than the mean {ph} of all {P}."], f"SELECT {L} FROM {n} WHERE {m} > (SELECT AVG({m}) FROM {n});"
        yield "subquery", [f"Which {P} have {art(ph)} below the average {ph}?", f"List the {Ls} of {P} whose {ph} is lower than the average.", f"Show the {P} with {art(ph)} less than the mean {ph} of all {P}."], f"SELECT {L} FROM {n} WHERE {m} < (SELECT AVG({m}) FROM {n});"
    # text label columns
    if text_label(t):
        yield "order_limit", [f"List all {S} {Ls} in alphabetical order.", f"Show the {Ls} of the {P} sorted alphabetically.", f"Sort the {P} by {Lp} from A to Z and list the {Ls}."], f"SELECT {L} FROM {n} ORDER BY {L} ASC;"
        first = rng.choice(sorted(set(x[0] for x in col(t, L))))
        yield "filter", [f"Which {P} have {art(Lp)} starting with '{first}'?", f"List the {P} whose {Lp} begins with the letter {first}.", f"Show every {S} {Lp} that starts with {first}."], f"SELECT {L} FROM {n} WHERE {L} LIKE '{first}%';"
        words = sorted({w for x in col(t, L) for w in x.split() if len(w) > 3 and w[0].isupper() and not w.endswith(".")})
        for w in rng.sample(words, min(2, len(words))):
            yield "filter", [f"Which {P} have {art(Lp)} containing the word '{w}'?", f"List the {P} whose {Lp} includes '{w}'.", f"Find every {S} with '{w}' in its {Lp}."], f"SELECT {L} FROM {n} WHERE {L} LIKE '%{w}%';"
    # booleans
    for c, (yes, no) in t.get("bools", {}).items():
        yield "filter", [f"List the {Ls} of {P} {yes}.", f"Which {P} are there {yes}?", f"Show the {Lp} of every {S} {yes}."], f"SELECT {L} FROM {n} WHERE {c} = TRUE;"
        yield "filter", [f"List the {Ls} of {P} {no}.", f"Which {P} are there {no}?", f"Show the {Lp} of every {S} {no}."], f"SELECT {L} FROM {n} WHERE {c} = FALSE;"
        yield "aggregate", [f"How many {P} are there {yes}?", f"Count the {P} {yes}.", f"What is the number of {P} {yes}?"], f"SELECT COUNT(*) FROM {n} WHERE {c} = TRUE;"
        for cc, ph in t.get("cats", {}).items():
            v = rng.choice(sorted(set(v for v, b in zip(col(t, cc), col(t, c)) if b), key=str))
            pv = t["cat_preps"][cc].format(v=v)
            yield "filter", [f"List the {Ls} of {P} {pv} {yes}.", f"Which {P} {pv} are there {yes}?", f"Show the {P} {yes} whose {ph} is {v}; give their {Ls}."], f"SELECT {L} FROM {n} WHERE {cc} = {lit(v)} AND {c} = TRUE;"
        for m, ph in t.get("nums", {}).items():
            yield "aggregate", [f"What is the average {ph} of the {P} {yes}?", f"Find the mean {ph} of {P} {yes}.", f"Compute the average {ph} for {P} {yes}."], f"SELECT AVG({m}) FROM {n} WHERE {c} = TRUE;"
    # dates
    for c, (clause, noun) in t.get("dates", {}).items():
        ds = sorted(col(t, c))
        d1, d2 = ds[len(ds) // 3], ds[(2 * len(ds)) // 3]
        years = sorted(set(int(d[:4]) for d in ds))
        for d in (d1, d2):
            yield "date", [f"Which {P} {clause} after {d}? List their {Ls}.", f"List the {Ls} of {P} that {clause} after {nice_date(d)}.", f"Show the {P} with {art(noun)} later than {d}."], f"SELECT {L} FROM {n} WHERE {c} > '{d}';"
        yield "date", [f"How many {P} {clause} before {nice_date(d1)}?", f"Count the {P} that {clause} before {d1}.", f"What is the number of {P} with {art(noun)} earlier than {d1}?"], f"SELECT COUNT(*) FROM {n} WHERE {c} < '{d1}';"
        yield "date", [f"List the {Ls} of {P} that {clause} between {d1} and {d2}.", f"Which {P} {clause} from {nice_date(d1)} to {nice_date(d2)}?", f"Show the {P} whose {noun} falls between {d1} and {d2}."], f"SELECT {L} FROM {n} WHERE {c} BETWEEN '{d1}' AND '{d2}';"
        if len(years) > 1:
            for y in rng.sample(years, min(2, len(years))):
                yield "date", [f"Which {P} {clause} in {y}? List their {Ls}.", f"List the {Ls} of {P} that {clause} in the year {y}.", f"Show the {P} whose {noun} is in {y}."], f"SELECT {L} FROM {n} WHERE EXTRACT(YEAR FROM {c}) = {y};"
            yield "date", [f"How many {P} {clause} in each year?", f"Count the {P} per year of {noun}.", f"For each year, show how many {P} {clause}."], f"SELECT EXTRACT(YEAR FROM {c}) AS year, COUNT(*) FROM {n} GROUP BY EXTRACT(YEAR FROM {c});"
        else:
            months = sorted(set(int(d[5:7]) for d in ds))
            for mo in rng.sample(months, min(2, len(months))):
                yield "date", [f"Which {P} {clause} in {MONTHS[mo - 1]} {years[0]}? List their {Ls}.", f"List the {Ls} of {P} that {clause} during {MONTHS[mo - 1]} {years[0]}.", f"Show the {P} whose {noun} is in {MONTHS[mo - 1]} {years[0]}."], f"SELECT {L} FROM {n} WHERE {c} BETWEEN '{years[0]}-{mo:02d}-01' AND '{years[0]}-{mo:02d}-{calendar.monthrange(years[0], mo)[1]:02d}';"
            yield "date", [f"How many {P} {clause} in each month?", f"Count the {P} per month of {noun}.", f"For each month, show how many {P} {clause}."], f"SELECT EXTRACT(MONTH FROM {c}) AS month, COUNT(*) FROM {n} GROUP BY EXTRACT(MONTH FROM {c});"
        yield "date", [f"Which {S} has the most recent {noun}?", f"Find the {S} with the latest {noun}.", f"Give the {Lp} of the {S} with the newest {noun}."], f"SELECT {L} FROM {n} ORDER BY {c} DESC LIMIT 1;"
        yield "date", [f"List the {Ls} of all {P} ordered by {noun} from earliest to latest.", f"Show the {Ls} of the {P} sorted by {noun} ascending.", f"Sort the {P} by {noun}, earliest first, and list their {Ls}."], f"SELECT {L} FROM {n} ORDER BY {c} ASC;"


def relations(spec, rng):
    tabs = {t["name"]: t for t in spec["tables"]}
    for r in spec["rels"]:
        c, p = tabs[r["child"]], tabs[r["parent"]]
        ca, pa, fk, ppk, role, by = c["alias"], p["alias"], r["fk"], pk(p), r["role"], r["by"]
        cL, pL, cP, cS = c["label"], p["label"], c["P"], c["S"]
        cLp, pLp = label_ph(c), label_ph(p)
        grammar = spec.get("grammar")
        art, roles = (an, plural(role)) if grammar else (_a, role + "s")
        cLs = plural(cLp) if spec.get("grammar") else cLp + ("es" if cLp.endswith("s") else "s")
        on = f"{c['name']} AS {ca} JOIN {p['name']} AS {pa} ON {ca}.{fk} = {pa}.{ppk}"
        pon = f"{p['name']} AS {pa} JOIN {c['name']} AS {ca} ON {ca}.{fk} = {pa}.{ppk}"
        yield "join", [f"List each {cS} {cLp} together with the {pLp} of its {role}.", f"Show every {cS} {cLp} and the {pLp} of the {role}.", f"For each {cS}, give its {cLp} and its {role}'s {pLp}."], f"SELECT {ca}.{cL}, {pa}.{pL} FROM {on};"
        pkeys = set(col(c, fk))
        used = [row for row in p["rows"] if row[0] in pkeys]
        pli = [n for n, _ in p["cols"]].index(pL)
        for row in rng.sample(used, min(3, len(used))):
            v = row[pli]
            vv = f"{role} {v}" if grammar and not text_label(p) else v  # "taken from hive 15", not "from 15"
            yield "join", [f"List the {cLs} of {cP} {by} {vv}.", f"Which {cP} are {by} {vv}? Give their {cLs}.", f"Show the {cLp} of every {cS} {by} the {role} {v}."], f"SELECT {ca}.{cL} FROM {on} WHERE {pa}.{pL} = {lit(v)};"
            yield "join", [f"How many {cP} are {by} {vv}?", f"Count the {cP} {by} {vv}.", f"What is the number of {cP} {by} the {role} {v}?"], f"SELECT COUNT(*) FROM {on} WHERE {pa}.{pL} = {lit(v)};"
        yield "join", r["count_q"], f"SELECT {pa}.{pL}, COUNT(*) FROM {pon} GROUP BY {pa}.{pL};"
        for pc, ph in p.get("cats", {}).items():
            vals = sorted(set(row[[n for n, _ in p["cols"]].index(pc)] for row in used), key=str)
            for v in rng.sample(vals, min(2, len(vals))):
                pv = p["cat_preps"][pc].format(v=v)
                yield "join", [f"List the {cLs} of {cP} whose {role} is {pv}.", f"Which {cP} have {an(role)} {pv}? Give their {cLs}.", f"Show the {cLp} of each {cS} {by} {an(role)} whose {ph} is {v}."], f"SELECT {ca}.{cL} FROM {on} WHERE {pa}.{pc} = {lit(v)};"
        for m, ph in c.get("nums", {}).items():
            yield "join", [f"What is the average {ph} of the {cP} for each {role}?", f"Show each {role}'s {pLp} with the average {ph} of their {cP}.", f"For every {role}, compute the mean {ph} of the {cP}."], f"SELECT {pa}.{pL}, AVG({ca}.{m}) FROM {pon} GROUP BY {pa}.{pL};"
            if m in c.get("no_sum", ()): continue  # no "total age" or "total rating"
            yield "join", [f"What is the total {ph} of the {cP} for each {role}?", f"Show each {role}'s {pLp} with the sum of {ph} over their {cP}.", f"For every {role}, add up the {ph} of the {cP}."], f"SELECT {pa}.{pL}, SUM({ca}.{m}) FROM {pon} GROUP BY {pa}.{pL};"
        counts = Counter(col(c, fk))
        if max(counts.values()) >= 2:
            k = rng.randint(1, max(counts.values()) - 1)
            yield "having", [f"Which {roles} have more than {k} {cP}?", f"List the {pLp} of every {role} with more than {k} {cP}.", f"Show the {roles} that have over {k} {cP}."], f"SELECT {pa}.{pL} FROM {pon} GROUP BY {pa}.{pL} HAVING COUNT(*) > {k};"
        top = counts.most_common(2)
        if len(top) == 1 or top[0][1] > top[1][1]:
            yield "order_limit", [f"Which {role} has the most {cP}?", f"Find the {role} with the largest number of {cP}.", f"Give the {pLp} of the {role} with the most {cP}."], f"SELECT {pa}.{pL} FROM {pon} GROUP BY {pa}.{pL} ORDER BY COUNT(*) DESC LIMIT 1;"
        if r.get("generic_sub", True) and any(row[0] not in pkeys for row in p["rows"]):
            yield "subquery", [f"Which {p['P']} have no {cP}?", f"List the {p['P']} without any {cP}.", f"Show the {pLp} of every {role} that has no {cP}."], f"SELECT {pL} FROM {p['name']} WHERE {ppk} NOT IN (SELECT {fk} FROM {c['name']});"
        if r.get("generic_sub", True) and any(row[0] in pkeys for row in p["rows"]):
            yield "subquery", [f"Which {p['P']} have at least one {cS}? Use a subquery.", f"List the {p['P']} that appear in the {c['name']} table.", f"Show the {pLp} of every {role} with at least one {cS}."], f"SELECT {pL} FROM {p['name']} WHERE {ppk} IN (SELECT {fk} FROM {c['name']});"
        for cc, ph in c.get("cats", {}).items():
            v = rng.choice(sorted(set(col(c, cc)), key=str))
            pv = c["cat_preps"][cc].format(v=v)
            yield "subquery", [f"Which {p['P']} have at least one {cS} {pv}?", f"List the {p['P']} with {art(cS)} {pv}.", f"Show the {pLp} of every {role} that has {art(cS)} whose {ph} is {v}."], f"SELECT {pL} FROM {p['name']} WHERE {ppk} IN (SELECT {fk} FROM {c['name']} WHERE {cc} = {lit(v)});"
        for bc, (yes, _) in c.get("bools", {}).items():
            yield "join", [f"List the {pLp} of each {role} with {cP} {yes}, without duplicates.", f"Which {roles} have {cP} {yes}? List each once.", f"Show the distinct {roles} of {cP} {yes}."], f"SELECT DISTINCT {pa}.{pL} FROM {on} WHERE {ca}.{bc} = TRUE;"


def extras(db, rng):
    """Hand-written multi-table questions per database."""
    if db == "bookstore":
        for name in ["Alice Green", "Frank Adams", "Chloe King"]:
            yield "join", [f"Which books has {name} ordered?", f"List the titles of the books ordered by {name}.", f"Show the book titles in {name}'s orders."], f"SELECT b.title FROM orders AS o JOIN customers AS c ON o.customer_id = c.customer_id JOIN books AS b ON o.book_id = b.book_id WHERE c.name = '{name}';"
        for title in ["The Silent River", "Tokyo Nights"]:
            yield "join", [f"Which customers ordered {title}?", f"List the names of customers who bought {title}.", f"Show every customer that placed an order for {title}."], f"SELECT DISTINCT c.name FROM orders AS o JOIN customers AS c ON o.customer_id = c.customer_id JOIN books AS b ON o.book_id = b.book_id WHERE b.title = '{title}';"
        yield "join", ["What is the total revenue of each book?", "For each book title, compute quantity times price summed over its orders.", "Show each book's title and total sales amount."], "SELECT b.title, SUM(o.quantity * b.price) FROM orders AS o JOIN books AS b ON o.book_id = b.book_id GROUP BY b.title;"
        yield "order_limit", ["Which customer has ordered the most copies in total?", "Find the customer with the largest total quantity ordered.", "Who bought the most books overall?"], "SELECT c.name FROM customers AS c JOIN orders AS o ON o.customer_id = c.customer_id GROUP BY c.name ORDER BY SUM(o.quantity) DESC LIMIT 1;"
        for g in ["Mystery", "Fiction"]:
            yield "join", [f"How many copies of {g} books have been ordered?", f"What is the total quantity ordered of books in the {g} genre?", f"Sum the ordered quantity of all {g} books."], f"SELECT SUM(o.quantity) FROM orders AS o JOIN books AS b ON o.book_id = b.book_id WHERE b.genre = '{g}';"
        yield "join", ["Which authors have had their books ordered by customers from Boston?", "List the distinct authors whose books were bought by Boston customers.", "Show the authors of books ordered by customers living in Boston, each once."], "SELECT DISTINCT a.name FROM orders AS o JOIN customers AS c ON o.customer_id = c.customer_id JOIN books AS b ON o.book_id = b.book_id JOIN authors AS a ON b.author_id = a.author_id WHERE c.city = 'Boston';"
        yield "order_limit", ["What are the 3 most expensive books in stock?", "List the top 3 highest priced books that are in stock.", "Show the 3 priciest in-stock books."], "SELECT title FROM books WHERE in_stock = TRUE ORDER BY price DESC LIMIT 3;"
    elif db == "clinic":
        for spec in ["Cardiology", "Neurology", "Pediatrics"]:
            yield "join", [f"Which patients have seen a {spec} doctor?", f"List the names of patients with an appointment in {spec}.", f"Show every patient who had an appointment with a doctor specializing in {spec}."], f"SELECT DISTINCT p.name FROM appointments AS ap JOIN patients AS p ON ap.patient_id = p.patient_id JOIN doctors AS d ON ap.doctor_id = d.doctor_id WHERE d.specialty = '{spec}';"
        yield "join", ["List each appointment date with the patient name and the doctor name.", "Show the date, patient and doctor of every appointment.", "For every appointment, give its date, the patient's name and the doctor's name."], "SELECT ap.appointment_date, p.name, d.name FROM appointments AS ap JOIN patients AS p ON ap.patient_id = p.patient_id JOIN doctors AS d ON ap.doctor_id = d.doctor_id;"
        yield "join", ["What is the total fee collected per specialty?", "Sum the appointment fees for each doctor specialty.", "Show each specialty with the total of its appointment fees."], "SELECT d.specialty, SUM(ap.fee) FROM appointments AS ap JOIN doctors AS d ON ap.doctor_id = d.doctor_id GROUP BY d.specialty;"
        for city in ["Springfield", "Riverton"]:
            yield "join", [f"How many appointments were booked by patients living in {city}?", f"Count the appointments of patients from {city}.", f"What is the number of appointments for patients in {city}?"], f"SELECT COUNT(*) FROM appointments AS ap JOIN patients AS p ON ap.patient_id = p.patient_id WHERE p.city = '{city}';"
        yield "order_limit", ["Which doctor earned the most in appointment fees?", "Find the doctor with the highest total fees.", "Give the name of the doctor whose appointments brought in the most fees."], "SELECT d.name FROM doctors AS d JOIN appointments AS ap ON ap.doctor_id = d.doctor_id GROUP BY d.name ORDER BY SUM(ap.fee) DESC LIMIT 1;"
        yield "date", ["Which patients were born before 1980?", "List the patients born earlier than January 1, 1980.", "Show the names of patients with a birth date before 1980-01-01."], "SELECT name FROM patients WHERE birth_date < '1980-01-01';"
        yield "date", ["How old is each patient in years today?", "Show every patient's name and current age.", "List each patient with their age computed from the birth date."], "SELECT name, EXTRACT(YEAR FROM AGE(CURRENT_DATE, birth_date)) AS age FROM patients;"
        yield "subquery", ["Which doctors earn more than every Pediatrics doctor?", "List doctors whose salary exceeds the highest Pediatrics salary.", "Show the doctors paid more than any doctor specializing in Pediatrics."], "SELECT name FROM doctors WHERE salary > (SELECT MAX(salary) FROM doctors WHERE specialty = 'Pediatrics');"
    elif db == "flights":
        yield "join", ["List every flight with its origin city and destination city.", "Show each flight id with the cities it departs from and arrives at.", "For each flight, give the origin and destination cities."], "SELECT f.flight_id, o.city, d.city FROM flights AS f JOIN airports AS o ON f.origin = o.airport_code JOIN airports AS d ON f.destination = d.airport_code;"
        for c1, c2 in [("New York", "Los Angeles"), ("Oslo", "Bergen"), ("Tokyo", "New York")]:
            yield "join", [f"Which flights go from {c1} to {c2}?", f"List the flight ids of flights from {c1} to {c2}.", f"Show the flights departing {c1} and arriving in {c2}."], f"SELECT f.flight_id FROM flights AS f JOIN airports AS o ON f.origin = o.airport_code JOIN airports AS d ON f.destination = d.airport_code WHERE o.city = '{c1}' AND d.city = '{c2}';"
        for country in ["USA", "Norway"]:
            yield "join", [f"How many flights depart from airports in {country}?", f"Count the flights whose origin airport is in {country}.", f"What is the number of flights leaving {country}?"], f"SELECT COUNT(*) FROM flights AS f JOIN airports AS a ON f.origin = a.airport_code WHERE a.country = '{country}';"
        yield "join", ["What is the average ticket price of each airline's flights that were not cancelled?", "For every airline, compute the mean price of its non-cancelled flights.", "Show each airline name with the average price of flights that were not cancelled."], "SELECT al.name, AVG(f.price) FROM flights AS f JOIN airlines AS al ON f.airline_id = al.airline_id WHERE f.cancelled = FALSE GROUP BY al.name;"
        yield "order_limit", ["Which airline has the longest total flight duration?", "Find the airline whose flights add up to the most minutes.", "Give the airline with the highest sum of flight durations."], "SELECT al.name FROM airlines AS al JOIN flights AS f ON f.airline_id = al.airline_id GROUP BY al.name ORDER BY SUM(f.duration_minutes) DESC LIMIT 1;"
        yield "filter", ["Which flights last longer than 5 hours?", "List the flight ids of flights with a duration over 300 minutes.", "Show the flights that take more than five hours."], "SELECT flight_id FROM flights WHERE duration_minutes > 300;"
        yield "select", ["Show each flight id with its duration in hours.", "List every flight and how many hours it takes.", "Give the flight id and the duration converted to hours for every flight."], "SELECT flight_id, duration_minutes / 60.0 AS hours FROM flights;"
        yield "subquery", ["Which airlines have at least one cancelled flight?", "List the airlines that had a flight cancelled.", "Show the names of airlines with a cancelled flight."], "SELECT name FROM airlines WHERE airline_id IN (SELECT airline_id FROM flights WHERE cancelled = TRUE);"
        yield "subquery", ["Which airports have no departing flights?", "List the airports that no flight departs from.", "Show the airport names without any departures."], "SELECT name FROM airports WHERE airport_code NOT IN (SELECT origin FROM flights);"
    elif db == "school":
        for name in ["Amy Chen", "Dev Patel", "Finn Murphy"]:
            yield "join", [f"Which courses is {name} enrolled in?", f"List the course titles for student {name}.", f"Show the titles of the courses {name} takes."], f"SELECT c.title FROM enrollments AS e JOIN students AS s ON e.student_id = s.student_id JOIN courses AS c ON e.course_id = c.course_id WHERE s.name = '{name}';"
        for title in ["Algebra II", "Mechanics", "Modern History"]:
            yield "join", [f"Which students are enrolled in {title}?", f"List the names of students taking {title}.", f"Show every student with an enrollment in {title}."], f"SELECT s.name FROM enrollments AS e JOIN students AS s ON e.student_id = s.student_id JOIN courses AS c ON e.course_id = c.course_id WHERE c.title = '{title}';"
        yield "join", ["What is the average score of the students of each teacher?", "For every teacher, compute the mean enrollment score in their courses.", "Show each teacher's name with the average score in the courses they teach."], "SELECT t.name, AVG(e.score) FROM enrollments AS e JOIN courses AS c ON e.course_id = c.course_id JOIN teachers AS t ON c.teacher_id = t.teacher_id GROUP BY t.name;"
        yield "join", ["List each student's name, course title and score.", "Show every enrollment as student name, course title and score.", "For all enrollments, give the student, the course and the score."], "SELECT s.name, c.title, e.score FROM enrollments AS e JOIN students AS s ON e.student_id = s.student_id JOIN courses AS c ON e.course_id = c.course_id;"
        yield "order_limit", ["Which student has the highest average score?", "Find the student with the best mean score.", "Give the name of the student whose average score is the highest."], "SELECT s.name FROM students AS s JOIN enrollments AS e ON e.student_id = s.student_id GROUP BY s.name ORDER BY AVG(e.score) DESC LIMIT 1;"
        yield "join", ["How many credits is each student taking in total?", "Sum the course credits for each student.", "Show each student's name with the total credits of their courses."], "SELECT s.name, SUM(c.credits) FROM enrollments AS e JOIN students AS s ON e.student_id = s.student_id JOIN courses AS c ON e.course_id = c.course_id GROUP BY s.name;"
        yield "subquery", ["Which students scored above 90 in any course?", "List the students with at least one score greater than 90.", "Show the names of students who have a score over 90."], "SELECT name FROM students WHERE student_id IN (SELECT student_id FROM enrollments WHERE score > 90);"
        yield "having", ["Which students are enrolled in at least 3 courses?", "List the students with three or more enrollments.", "Show the names of students taking 3 or more courses."], "SELECT s.name FROM students AS s JOIN enrollments AS e ON e.student_id = s.student_id GROUP BY s.name HAVING COUNT(*) >= 3;"
        yield "date", ["Which enrollments were made in January 2024? Give student names.", "List the names of students who enrolled during January 2024.", "Show the students with an enrollment dated in January 2024."], "SELECT s.name FROM enrollments AS e JOIN students AS s ON e.student_id = s.student_id WHERE e.enrolled_date BETWEEN '2024-01-01' AND '2024-01-31';"


# ---------------------------------------------------------------- assemble (shared with scripts/make_synthetic_data.py)
def record(db, schema, cat, q, sql):
    """One training/eval record; `schema` is the CREATE TABLE text (`schema_text(spec)`)."""
    from sql_codegen_slm.data import record_messages  # the record layout, written once
    return {"db_id": db, "category": cat, "messages": record_messages(db, schema, q, sql, SYSTEM)}

def instances(spec, rng, extra=()):
    """Every (category, phrasings, sql) the generic templates make for one database spec, then `extra`'s."""
    for t in spec["tables"]: yield from single_table(t, rng)
    yield from relations(spec, rng)
    yield from extra

def build(rng, dbs=None, extras_fn=None):
    """All (instance) groups: each is a list of records that share one gold SQL."""
    dbs, extras_fn = dbs or DBS, extras_fn or extras
    groups, seen_q, seen_sql = [], set(), set()
    for db, spec in dbs.items():
        schema = schema_text(spec)
        for cat, qs, sql in instances(spec, rng, extras_fn(db, rng)):
            if (db, sql) in seen_sql: continue
            qs = [q for q in dict.fromkeys(qs) if (db, q) not in seen_q]
            if not qs: continue
            seen_sql.add((db, sql))
            rng.shuffle(qs)
            # one phrasing per instance, a second one for about a third of them: more surface variety
            take = qs[:2] if (len(qs) > 1 and rng.random() < 0.35) else qs[:1]
            for q in take: seen_q.add((db, q))
            groups.append([record(db, schema, cat, q, sql) for q in take])
    return groups

def split(groups, rng):
    """Stratified by (db, category) at the instance level, so a val SQL never appears in train."""
    by = {}
    for g in groups: by.setdefault((g[0]["db_id"], g[0]["category"]), []).append(g)
    train, val = [], []
    for key in sorted(by):
        gs = by[key]
        rng.shuffle(gs)
        nv = max(1, round(len(gs) * VAL_SHARE)) if len(gs) >= 3 else 0
        for g in gs[:nv]: val.extend(g)
        for g in gs[nv:]: train.extend(g)
    rng.shuffle(train); rng.shuffle(val)
    return train, val

def pick(cands, n, rng, weights=None):
    """Up to `n` of `cands` ((category, ...) tuples), spread over categories: each draw picks a category by weight
    among those left, then one of its candidates. Returns them in draw order; the rest follow (fallbacks)."""
    by = {}
    for c in cands: by.setdefault(c[0], []).append(c)
    for v in by.values(): rng.shuffle(v)
    out = []
    while by:
        cats = sorted(by)
        cat = rng.choices(cats, [(weights or {}).get(k, 1.0) for k in cats])[0]
        out.append(by[cat].pop())
        if not by[cat]: del by[cat]
    return out[:n], out[n:]

def write_jsonl(path, recs):
    with open(path, "w", encoding="utf-8") as f:
        for r in recs: f.write(json.dumps(r, ensure_ascii=False) + "\n")

def rec_chars(r):
    """The length the 1400-character budget counts: user content + gold SQL."""
    return len(r["messages"][1]["content"]) + len(r["messages"][2]["content"])


# ---------------------------------------------------------------- verification on a real PostgreSQL
_ORDER_LIMIT = re.compile(r"^SELECT (?:DISTINCT )?.+? FROM (.+) ORDER BY (.+?)(?: (ASC|DESC))? LIMIT (\d+);$")

class Postgres:
    """A throwaway PostgreSQL 16 (pgserver) that verifies gold SQL: each database is loaded from its schema file into
    its own namespace (`CREATE SCHEMA db_id`), and a query counts only if it parses with pglast as one statement,
    runs without error, returns at least one row that is not all NULL, and (for `ORDER BY x LIMIT k`) has no tie
    on x between rows k and k+1."""
    def __init__(self, timeout_ms=5000):
        import shutil, tempfile, pgserver, psycopg
        shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) and shutil.disk_usage("/dev/shm").free > 2**30 else None
        self.tmp = tempfile.mkdtemp(prefix="sampledata-pg-", dir=shm)
        self.srv = pgserver.get_server(Path(self.tmp) / "pg", cleanup_mode="delete")
        self.conn = psycopg.connect(self.srv.get_uri("postgres"), autocommit=True)
        self.conn.execute(f"SET statement_timeout = {int(timeout_ms)}")
        self.current = None

    def load(self, db, sql_text):
        self.conn.execute(f'CREATE SCHEMA "{db}"')
        self.conn.execute(f'SET search_path TO "{db}"')
        self.conn.execute(sql_text)
        self.current = db

    def check(self, db, sql):
        """None if the gold query is good, else why not (parse / error / empty / all NULL)."""
        import pglast, psycopg
        try: stmts = pglast.parse_sql(sql)
        except Exception as e: return f"parse: {e}"
        if len(stmts) != 1: return f"{len(stmts)} statements"
        if self.current != db: self.conn.execute(f'SET search_path TO "{db}"'); self.current = db
        try:
            with self.conn.cursor() as cur:
                cur.execute(sql)
                rows = cur.fetchall()
        except psycopg.Error as e: return f"error: {str(e).strip().splitlines()[0]}"
        if not rows: return "empty"
        if all(v is None for row in rows for v in row): return "all NULL"
        return self._tie(sql)

    def _tie(self, sql):
        """`... ORDER BY x LIMIT k` is ambiguous when rows k and k+1 tie on x: say so (another right answer exists)."""
        m = _ORDER_LIMIT.match(sql)
        if not m: return None
        rest, key, direction, k = m.group(1), m.group(2), m.group(3) or "ASC", int(m.group(4))
        with self.conn.cursor() as cur:
            cur.execute(f"SELECT {key} FROM {rest} ORDER BY {key} {direction} LIMIT {k + 1}")
            keys = cur.fetchall()
        return f"tie at LIMIT {k}" if len(keys) > k and keys[k - 1] == keys[k] else None

    def close(self):
        import shutil
        self.conn.close()
        self.srv.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self): return self
    def __exit__(self, *exc): self.close()


# ---------------------------------------------------------------- main
def main():
    rng = random.Random(0)
    (OUT / "schemas").mkdir(parents=True, exist_ok=True)
    for db, spec in DBS.items(): (OUT / "schemas" / f"{db}.sql").write_text(schema_file(db, spec))
    train, val = split(build(rng), rng)
    write_jsonl(OUT / "train.jsonl", train)
    write_jsonl(OUT / "val.jsonl", val)
    lens = [rec_chars(r) for r in train + val]
    print(f"train {len(train)}  val {len(val)}  chars max {max(lens)} median {statistics.median(lens)}")
    for name, recs in [("train", train), ("val", val)]:
        print(name, dict(sorted(Counter(r["db_id"] for r in recs).items())))
        print(name, dict(sorted(Counter(r["category"] for r in recs).items())))
    # the held-out database: its schema in its own folder (schemas/ is what datagen and the SQL metrics read for the
    # training databases), its questions in unseen.jsonl
    held_sql = schema_file(HELDOUT_DB, HELDOUT, HELDOUT_NOTE)
    (OUT / "heldout_schemas").mkdir(parents=True, exist_ok=True)
    (OUT / "heldout_schemas" / f"{HELDOUT_DB}.sql").write_text(held_sql)
    with Postgres() as pg:
        pg.load(HELDOUT_DB, held_sql)
        unseen, drops = heldout_records(pg)
    write_jsonl(OUT / "unseen.jsonl", unseen)
    for q, sql, why in drops: print(f"dropped ({why}): {q}  |  {sql}")
    print(f"unseen {len(unseen)} (dropped {len(drops)})  chars max {max(map(rec_chars, unseen))}",
          dict(sorted(Counter(r["category"] for r in unseen).items())))

if __name__ == "__main__":
    main()
