#!/usr/bin/env python
"""Generate many small synthetic PostgreSQL databases with questions and verified gold SQL, so that a model fine-tuned
on them has to read the schema in its prompt instead of memorising four.

Deterministic and offline: database i is built from `random.Random(f"synth:{i}")` alone (so any one database can be
regenerated on its own), from the vocabulary below (domains, entities, attributes) and the question templates of
scripts/make_sample_data.py. Every gold query is verified on a real PostgreSQL 16 (pgserver): it parses with pglast,
runs, returns rows that are not all NULL, and has no tie at its LIMIT; questions that fail are dropped, counted and
printed. Run from the repository root:

    python scripts/make_synthetic_data.py            # writes sample_data/synth_train.jsonl, sample_data/synth_schemas/
    python scripts/make_synthetic_data.py --check    # regenerates in memory and compares with the files, byte for byte

The held-out database of scripts/make_sample_data.py (apiary_coop) is never generated here: no word of
`HELDOUT_WORDS` may appear in this vocabulary (checked at build time and by tests/test_sample_data.py).
"""
import argparse, json, random, re, statistics, sys
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_sample_data import (HELDOUT, HELDOUT_DB, HELDOUT_WORDS, OUT, Postgres, instances, pick, plural, rec_chars,
                              record, schema_file, schema_text, write_jsonl)

N_DBS = 560
SCHEMA_DIR, TRAIN_FILE = OUT / "synth_schemas", OUT / "synth_train.jsonl"
MAX_CHARS = 1400   # user content + gold SQL, like the shipped data
# category weights for picking each database's questions (joins and filters weigh most, as in val.jsonl)
WEIGHTS = {"join": 3, "filter": 2, "aggregate": 1.5, "date": 1.5, "order_limit": 1.2, "select": 1, "subquery": 1.2,
           "having": 1, "group_by": 1, "distinct": 0.8}


# ---------------------------------------------------------------- vocabulary helpers
def N(ph, cols, lo, hi, dec=0, no_sum=False):
    """A numeric attribute: English phrase, column-name choices, value range, decimals."""
    return dict(kind="num", ph=ph, cols=cols, lo=lo, hi=hi, dec=dec, no_sum=no_sum)

def C(ph, cols, pool, prep):
    """A categorical attribute: phrase, column names, value pool, phrase for "<plural> {prep}" (prep has {v})."""
    return dict(kind="cat", ph=ph, cols=cols, pool=pool, prep=prep)

def D(noun, cols, clause, years=None):
    """A DATE attribute: its noun ("opening date"), the verb clause ("opened", "were shipped"), optional year range
    (else the database's own period)."""
    return dict(kind="date", noun=noun, cols=cols, clause=clause, years=years)

def B(cols, yes, no):
    """A BOOLEAN attribute: verb phrases for true and false ("are active" / "are not active")."""
    return dict(kind="bool", cols=cols, yes=yes, no=no)

def E(S, label, attrs, P=None, stem=None, who=False, label_cols=None, label_ph="name"):
    """An entity: singular noun, label generator (None: the id labels a row), attributes. `stem` is the table-name
    stem (default: the noun in snake_case); `who` for people ("who are active" rather than "that are active")."""
    return dict(S=S, P=P or plural(S), stem=stem or S.replace(" ", "_").replace("-", "_"), who=who, label=label,
                label_cols=label_cols or ["name", f"{(stem or S).replace(' ', '_')}_name"], label_ph=label_ph,
                attrs=attrs)

def R(child, parent, by, role=None, fks=None):
    """A relation: child entity key, parent entity key, the phrase joining them ("placed by"), the parent's role."""
    return dict(child=child, parent=parent, by=by, role=role, fks=fks)

def combo(a, b, sep=" "): return [f"{x}{sep}{y}" for x in a for y in b]

FIRST = ("Alice Bruno Carla Dmitri Elena Farid Gloria Hassan Irene Jonas Keiko Liam Marta Nadia Oscar Priya Rafael "
         "Sana Tobias Ursula Victor Wanda Xavier Yara Zoltan Aaron Bianca Cyrus Daria Emil Fatima Gustav Hana Ivan "
         "Julia Kofi Lena Mateo Nina Omar Paula Rohan Sofia Tariq Uma Vera Wei Yusuf Zara Anton Beatriz Colin Dalia "
         "Erik Flora Gideon Helga Isaac Jana").split()
LAST = ("Abbott Baptiste Costa Dubois Eriksen Fontana Gallo Haddad Ibsen Jovanovic Kowalski Larsen Moreno Nakamura "
        "Okafor Petrov Quinn Rahman Santos Tanaka Ueda Varga Weber Xu Yilmaz Zimmer Almeida Brandt Castillo Dietrich "
        "Esposito Ferreira Gruber Horvat Iyer Jensen Keller Lindqvist Mendes Novak Oliveira Pereira Rossi Schmidt "
        "Takahashi Vidal Wagner Young Zhou Adler Becker Chopra").split()
PEOPLE = combo(FIRST, LAST)
CITIES = ("Lisbon Porto Madrid Valencia Lyon Marseille Turin Naples Munich Hamburg Vienna Prague Krakow Warsaw Oslo "
          "Bergen Helsinki Tallinn Dublin Cork Leeds Bristol Toronto Montreal Denver Austin Portland Seattle Boston "
          "Chicago Osaka Kyoto Seoul Busan Sydney Perth Auckland Santiago Lima Quito").split()
COUNTRIES = ["Portugal", "Spain", "France", "Italy", "Germany", "Austria", "Poland", "Norway", "Finland", "Ireland",
             "Canada", "Mexico", "Brazil", "Chile", "Japan", "Korea", "India", "Kenya", "Egypt", "Australia"]
ADJ = ("Silver Golden Blue Crimson Northern Eastern Bright Quiet Swift Grand Little Royal Iron Copper Emerald Amber "
       "Cobalt Ivory Scarlet Misty Sunny Stone Cedar Pine Oak Maple Coral Jade Polar Urban").split()
CO = ["Labs", "Works", "Systems", "Group", "Partners", "Industries", "Solutions", "Co", "Holdings", "Dynamics"]
COMPANIES = combo(["Apex", "Nimbus", "Vertex", "Bluefin", "Orion", "Kestrel", "Lumen", "Northwind", "Quarry", "Sable",
                   "Tandem", "Zenith", "Harbor", "Summit", "Beacon", "Atlas"], CO)
TEAMCOLORS = ["Red", "Blue", "Green", "Gold", "Black", "White", "Orange", "Purple"]

def CITY(prep="in {v}", cols=("city", "city_name", "location")): return C("city", list(cols), CITIES, prep)
def COUNTRY(prep="from {v}", cols=("country", "country_name", "home_country")):
    return C("country", list(cols), COUNTRIES, prep)
def ACTIVE(who=False): return B(["is_active", "active"], "are active", "are not active")
def STATUS(pool, prep="with status {v}", cols=("status", "current_status", "state")): return C("status", list(cols), pool, prep)
def RATING(ph="rating", cols=("rating", "score", "avg_rating")): return N(ph, list(cols), 1, 5, 1, no_sum=True)
def PRICE(lo, hi, ph="price", cols=("price", "unit_price", "price_usd", "list_price")): return N(ph, list(cols), lo, hi, 2)


# ---------------------------------------------------------------- domains
# Each: {entity key: E(...)}, [R(...)]. Table names, columns and phrases vary per database (see make_db).
DOMAINS = {}

DOMAINS["hotel"] = ({
    "hotel": E("hotel", combo(["Grand", "Harbor", "Maple", "Summit", "Lakeside", "Old Town", "Riverside", "Alpine"],
                              ["Hotel", "Inn", "Lodge", "Suites", "Plaza"]),
               [CITY(), N("star rating", ["stars", "star_rating", "star_class"], 1, 5, no_sum=True),
                D("opening date", ["opened_on", "open_date", "opening_date"], "opened"),
                B(["has_pool", "pool"], "have a pool", "do not have a pool"),
                N("number of floors", ["floors", "floor_count", "num_floors"], 2, 30)]),
    "room": E("room", None, [C("room type", ["room_type", "kind", "category"], ["Single", "Double", "Suite", "Family", "Deluxe"], "of type {v}"),
                             N("nightly rate", ["nightly_rate", "rate_usd", "price_per_night"], 60, 450, 2),
                             N("floor", ["floor", "floor_no", "level_no"], 1, 12, no_sum=True),
                             N("capacity", ["capacity", "max_guests", "sleeps"], 1, 6),
                             B(["is_available", "available"], "are available", "are not available")]),
    "guest": E("guest", PEOPLE, [COUNTRY(), D("registration date", ["registered_on", "signup_date", "created_on"], "registered"),
                                 B(["is_vip", "vip"], "are VIP guests", "are not VIP guests"),
                                 N("loyalty point balance", ["loyalty_points", "points", "pts"], 0, 5000)],
               who=True, label_cols=["full_name", "guest_name", "name"]),
    "reservation": E("reservation", None, [D("check-in date", ["check_in", "checkin_date", "arrival_date"], "start"),
                                           N("length of stay in nights", ["nights", "num_nights", "stay_length"], 1, 14),
                                           N("total price", ["total_price", "amount", "total_usd"], 100, 4000, 2),
                                           C("booking channel", ["channel", "booking_channel", "source"], ["Website", "Phone", "Agency", "Walk-in", "App"], "booked via {v}"),
                                           B(["is_paid", "paid"], "are paid", "are not paid")], stem="reservation"),
    "housekeeper": E("housekeeper", PEOPLE, [C("shift", ["shift", "shift_name"], ["Morning", "Afternoon", "Night"], "on the {v} shift"),
                                             N("hourly wage", ["hourly_wage", "wage", "pay_rate"], 12, 30, 2),
                                             D("hire date", ["hired_on", "hire_date"], "were hired")], who=True, label_cols=["name", "full_name"]),
}, [R("room", "hotel", "in"), R("reservation", "room", "for"), R("reservation", "guest", "made by"),
    R("housekeeper", "hotel", "working at")])

DOMAINS["retail"] = ({
    "store": E("store", combo(CITIES[:20], ["Central", "Outlet", "Express"]),
               [N("floor area in square meters", ["floor_area", "area_sqm", "sq_m"], 150, 3000),
                D("opening date", ["opened_on", "open_date"], "opened"),
                B(["open_sundays", "sunday_open"], "open on Sundays", "are closed on Sundays"),
                N("number of staff", ["staff_count", "employees", "headcount"], 4, 60)], label_cols=["name", "store_name", "branch_name"]),
    "product": E("product", combo(ADJ[:12], ["Lamp", "Kettle", "Backpack", "Blender", "Chair", "Notebook", "Speaker", "Jacket"]),
                 [C("category", ["category", "product_category", "dept"], ["Kitchen", "Garden", "Toys", "Electronics", "Office", "Sports"], "in the {v} category"),
                  PRICE(3, 400), N("weight in grams", ["weight_g", "weight_grams", "wt_g"], 50, 5000),
                  B(["discontinued", "is_discontinued"], "are discontinued", "are still sold"),
                  D("launch date", ["launched_on", "launch_date", "release_date"], "were launched")],
                 label_cols=["name", "product_name", "title"]),
    "customer": E("customer", PEOPLE, [CITY("from {v}"), D("signup date", ["signup_date", "joined_on", "created_date"], "signed up"),
                                       B(["is_member", "loyalty_member"], "are loyalty members", "are not loyalty members"),
                                       N("age", ["age", "age_years"], 18, 80, no_sum=True)],
                  who=True, label_cols=["full_name", "customer_name", "name"]),
    "sale": E("sale", None, [N("quantity", ["quantity", "qty", "units"], 1, 12),
                             N("total amount", ["total_amount", "amount", "amt_usd", "sale_total"], 5, 900, 2),
                             D("sale date", ["sale_date", "sold_on", "txn_date"], "were made"),
                             C("payment method", ["payment_method", "pay_method", "payment_type"], ["Cash", "Card", "Voucher", "Mobile"], "paid by {v}")]),
    "supplier": E("supplier", COMPANIES, [COUNTRY("based in {v}"), RATING(), N("lead time in days", ["lead_time_days", "lead_days"], 2, 45)],
                  label_cols=["name", "supplier_name", "company"]),
}, [R("sale", "product", "for"), R("sale", "customer", "made by"), R("sale", "store", "made at"), R("product", "supplier", "supplied by")])

DOMAINS["gym"] = ({
    "gym": E("gym", combo(["Iron", "Pulse", "Core", "Peak", "Flex", "Titan"], ["Gym", "Fitness", "Studio", "Club"]),
             [CITY(), N("monthly fee", ["monthly_fee", "fee_usd", "membership_fee"], 20, 120, 2), ACTIVE(),
              D("opening date", ["opened_on", "open_date"], "opened")], label_cols=["name", "gym_name", "club_name"]),
    "trainer": E("trainer", PEOPLE, [C("specialty", ["specialty", "focus", "discipline"], ["Yoga", "Pilates", "Boxing", "Strength", "Cycling", "Swimming"], "specializing in {v}"),
                                     N("years of experience", ["years_experience", "exp_years", "experience"], 1, 25),
                                     N("hourly rate", ["hourly_rate", "rate", "rate_per_hour"], 25, 120, 2),
                                     B(["certified", "is_certified"], "are certified", "are not certified")],
                 who=True, label_cols=["name", "full_name", "trainer_name"]),
    "member": E("member", PEOPLE, [D("join date", ["joined_on", "join_date", "member_since"], "joined"),
                                   N("age", ["age", "age_years"], 16, 75, no_sum=True),
                                   C("plan", ["plan", "membership_plan", "tier"], ["Basic", "Plus", "Premium", "Student"], "on the {v} plan"),
                                   B(["auto_renew", "renews_automatically"], "renew automatically", "do not renew automatically")],
                who=True, label_cols=["full_name", "member_name", "name"]),
    "workout": E("workout session", None, [D("session date", ["session_date", "held_on", "date_held"], "took place"),
                                           N("duration in minutes", ["duration_min", "minutes", "length_min"], 20, 120),
                                           N("calorie count", ["calories", "kcal", "calories_burned"], 100, 900),
                                           C("intensity", ["intensity", "level", "effort"], ["Low", "Medium", "High"], "of {v} intensity")],
                 stem="workout_session"),
}, [R("trainer", "gym", "working at"), R("member", "gym", "registered at"), R("workout", "member", "done by"),
    R("workout", "trainer", "led by")])

DOMAINS["restaurant"] = ({
    "restaurant": E("restaurant", combo(["The Olive", "Blue Door", "Saffron", "Juniper", "Lotus", "Copper Pot", "Little Fig"], ["Bistro", "Kitchen", "Grill", "Table"]),
                    [CITY(), C("cuisine", ["cuisine", "cuisine_type", "style"], ["Italian", "Thai", "Mexican", "Japanese", "Lebanese", "Indian"], "serving {v} food"),
                     N("seating capacity", ["seats", "capacity", "seat_count"], 20, 200),
                     B(["has_terrace", "terrace"], "have a terrace", "have no terrace"), RATING()]),
    "dish": E("dish", combo(["Spicy", "Smoked", "Grilled", "Crispy", "Braised", "Roasted"], ["Chicken", "Tofu", "Salmon", "Lamb", "Eggplant", "Noodles"]),
              [PRICE(6, 45), C("course", ["course", "menu_section", "section"], ["Starter", "Main", "Dessert", "Side"], "served as a {v}"),
               B(["is_vegetarian", "vegetarian", "veg"], "are vegetarian", "are not vegetarian"),
               N("calorie count", ["calories", "kcal", "energy_kcal"], 150, 1200)], P="dishes", label_cols=["name", "dish_name", "title"]),
    "chef": E("chef", PEOPLE, [N("years of experience", ["years_experience", "exp_years"], 1, 30), D("hire date", ["hired_on", "hire_date", "start_date"], "were hired"),
                               N("salary", ["salary", "annual_salary", "pay"], 28000, 95000), COUNTRY()], who=True, label_cols=["name", "full_name", "chef_name"]),
    "review": E("review", None, [N("score", ["score", "stars", "rating"], 1, 10, no_sum=True), D("review date", ["reviewed_on", "review_date", "posted_on"], "were posted"),
                                 C("reviewer type", ["reviewer_type", "source", "platform"], ["Critic", "Guest", "Blogger"], "written by a {v}"),
                                 B(["verified", "is_verified"], "are verified", "are not verified")]),
}, [R("dish", "restaurant", "served at"), R("chef", "restaurant", "working at"), R("review", "restaurant", "about")])

DOMAINS["logistics"] = ({
    "warehouse": E("warehouse", combo(CITIES[:24], ["Depot", "Hub"]), [N("capacity in pallets", ["capacity_pallets", "pallet_capacity", "capacity"], 500, 20000),
                   C("region", ["region", "zone", "area"], ["North", "South", "East", "West", "Central"], "in the {v} region"),
                   B(["refrigerated", "is_refrigerated", "cold_storage"], "are refrigerated", "are not refrigerated"),
                   D("opening date", ["opened_on", "open_date"], "opened")], label_cols=["name", "warehouse_name", "site_name"]),
    "carrier": E("carrier", COMPANIES, [COUNTRY("based in {v}"), N("fleet size", ["fleet_size", "num_trucks", "trucks"], 5, 400),
                                        RATING("on-time rating", ["on_time_rating", "reliability", "ontime_score"])], label_cols=["name", "carrier_name", "company"]),
    "shipment": E("shipment", None, [D("ship date", ["shipped_on", "ship_date", "dispatch_date"], "were shipped"),
                                     N("weight in kg", ["weight_kg", "wt_kg", "gross_kg"], 1, 2500, 1),
                                     N("shipping cost", ["cost", "shipping_cost", "cost_usd", "freight_usd"], 15, 3000, 2),
                                     STATUS(["Delivered", "In transit", "Delayed", "Returned"]),
                                     B(["is_express", "express"], "are express", "are not express")]),
    "driver": E("driver", PEOPLE, [N("years of experience", ["years_experience", "exp_years"], 1, 30), D("hire date", ["hired_on", "hire_date"], "were hired"),
                                   C("license class", ["license_class", "licence", "license_type"], ["B", "C", "CE", "D"], "holding a class {v} license"),
                                   ACTIVE()], who=True, label_cols=["name", "full_name", "driver_name"]),
}, [R("shipment", "warehouse", "sent from"), R("shipment", "carrier", "handled by"), R("driver", "carrier", "employed by")])

DOMAINS["software"] = ({
    "project": E("project", combo(["Project", "Operation"], ["Falcon", "Aurora", "Granite", "Nebula", "Mosaic", "Tundra", "Cascade", "Ember", "Quartz", "Lynx", "Meteor", "Orbit"]),
                 [N("budget", ["budget", "budget_usd", "budget_amt"], 20000, 900000), D("start date", ["started_on", "start_date", "kickoff_date"], "started"),
                  STATUS(["Planning", "Active", "Paused", "Done"]), B(["is_public", "open_source"], "are public", "are private")],
                 label_cols=["name", "project_name", "code_name", "title"]),
    "developer": E("developer", PEOPLE, [C("seniority", ["seniority", "level_name", "grade"], ["Junior", "Mid", "Senior", "Lead"], "at {v} level"),
                                         C("main language", ["main_language", "primary_lang", "language"], ["Python", "Go", "Rust", "Java", "TypeScript", "Kotlin"], "writing mainly {v}"),
                                         N("salary", ["salary", "annual_salary", "base_salary"], 45000, 180000),
                                         B(["remote", "is_remote", "works_remote"], "work remotely", "work on site")],
                   who=True, label_cols=["name", "full_name", "dev_name", "username"]),
    "bug": E("bug report", None, [C("severity", ["severity", "sev", "priority"], ["Low", "Medium", "High", "Critical"], "of {v} severity"),
                                  D("report date", ["reported_on", "report_date", "opened_at_date"], "were reported"),
                                  N("story points", ["story_points", "points", "estimate"], 1, 13),
                                  B(["is_resolved", "resolved", "fixed"], "are resolved", "are still open")], stem="bug_report"),
    "release": E("release", combo(["v1", "v2", "v3", "v4"], [".0", ".1", ".2", ".3", ".5"], ""),
                 [D("release date", ["released_on", "release_date", "shipped_on"], "were released"),
                  N("number of commits", ["commits", "commit_count", "num_commits"], 10, 900),
                  B(["is_lts", "long_term_support", "lts"], "are long-term support releases", "are not long-term support releases")],
                 label_cols=["version", "tag", "version_tag"], label_ph="version"),
    "team": E("team", ["Platform", "Mobile", "Payments", "Search", "Growth", "Infra", "Data", "Identity", "Billing", "Frontend"],
              [N("team size", ["team_size", "headcount", "size"], 3, 25), CITY("based in {v}"),
               B(["remote_first", "is_remote"], "are remote-first", "are office-based")], label_cols=["name", "team_name"]),
}, [R("bug", "project", "filed against"), R("bug", "developer", "assigned to", fks=["assignee_id", "developer_id", "owner_id"]),
    R("release", "project", "shipped by"), R("developer", "team", "in")])

DOMAINS["hr"] = ({
    "department": E("department", ["Finance", "Marketing", "Engineering", "Legal", "Sales", "Support", "Procurement", "Design", "Operations", "Research", "Security", "Training"],
                    [N("annual budget", ["budget", "annual_budget", "budget_usd"], 100000, 5000000), CITY("located in {v}"),
                     D("creation date", ["created_on", "founded_on", "established"], "were created")], label_cols=["name", "dept_name", "department_name"]),
    "employee": E("employee", PEOPLE, [N("salary", ["salary", "annual_salary", "base_pay", "comp_usd"], 32000, 190000),
                                       D("hire date", ["hire_date", "hired_on", "start_date"], "were hired"),
                                       C("job title", ["job_title", "title", "role_name"], ["Analyst", "Manager", "Engineer", "Assistant", "Specialist", "Director"], "working as {v}"),
                                       B(["full_time", "is_full_time"], "work full time", "work part time"),
                                       N("vacation days", ["vacation_days", "pto_days", "leave_days"], 10, 35)],
                  who=True, label_cols=["full_name", "name", "employee_name", "emp_name"]),
    "training": E("training course", combo(["Intro to", "Advanced", "Practical"], ["Negotiation", "Excel", "Leadership", "Security", "Writing", "Statistics"]),
                  [N("duration in hours", ["hours", "duration_hours", "length_h"], 2, 40), N("cost", ["cost", "price", "fee"], 100, 3000, 2),
                   B(["is_mandatory", "mandatory", "required"], "are mandatory", "are optional"),
                   C("delivery format", ["format", "delivery", "mode"], ["Online", "Classroom", "Hybrid"], "delivered {v}")],
                  stem="training_course", label_cols=["title", "course_title", "name"], label_ph="title"),
    "review": E("performance review", None, [N("score", ["score", "rating", "review_score"], 1, 10, no_sum=True),
                                             D("review date", ["review_date", "reviewed_on"], "were held"),
                                             B(["promotion_recommended", "promote"], "recommend a promotion", "do not recommend a promotion")],
                stem="performance_review"),
}, [R("employee", "department", "working in", role="department", fks=["department_id", "dept_id"]),
    R("review", "employee", "of"), R("training", "department", "run by")])

DOMAINS["real_estate"] = ({
    "agent": E("agent", PEOPLE, [N("commission rate", ["commission_pct", "commission_rate"], 1, 6, 1, no_sum=True),
                                 D("license date", ["licensed_on", "license_date"], "were licensed"), CITY("based in {v}"),
                                 B(["is_senior", "senior"], "are senior agents", "are not senior agents")], who=True, label_cols=["full_name", "name", "agent_name"]),
    "property": E("property", combo(["12", "48", "7", "230", "15", "91"], ["Elm Street", "Harbor Road", "Mill Lane", "Park Avenue", "Castle Row", "Station Road"]),
                  [C("property type", ["property_type", "kind", "ptype"], ["Apartment", "House", "Studio", "Townhouse", "Loft"], "of type {v}"),
                   N("floor area", ["area_sqm", "floor_area", "size_m2"], 28, 320), N("number of bedrooms", ["bedrooms", "beds", "num_bedrooms"], 0, 6),
                   N("asking price", ["asking_price", "price", "list_price_usd"], 90000, 1500000), CITY(),
                   B(["has_garden", "garden"], "have a garden", "have no garden")], P="properties", label_cols=["address", "street_address", "addr"], label_ph="address"),
    "viewing": E("viewing", None, [D("viewing date", ["viewing_date", "viewed_on", "visit_date"], "took place"),
                                   N("duration in minutes", ["duration_min", "minutes"], 10, 90),
                                   B(["offer_made", "made_offer"], "led to an offer", "did not lead to an offer")]),
    "buyer": E("buyer", PEOPLE, [N("budget", ["budget", "max_budget", "budget_usd"], 100000, 2000000), COUNTRY(),
                                 B(["has_mortgage_approval", "preapproved", "mortgage_ok"], "are pre-approved for a mortgage", "are not pre-approved for a mortgage")],
               who=True, label_cols=["full_name", "name", "buyer_name"]),
}, [R("property", "agent", "listed by"), R("viewing", "property", "of"), R("viewing", "buyer", "booked by")])

DOMAINS["car_rental"] = ({
    "branch": E("branch", combo(CITIES[:22], ["Airport", "Downtown"]), [C("region", ["region", "zone"], ["North", "South", "Coast", "Inland"], "in the {v} region"),
                N("number of parking bays", ["bays", "parking_bays", "bay_count"], 10, 150), B(["open_24h", "always_open"], "are open around the clock", "are not open around the clock")],
                P="branches", label_cols=["name", "branch_name", "location_name"]),
    "vehicle": E("vehicle", None, [C("make", ["make", "brand", "manufacturer"], ["Toyota", "Renault", "Volvo", "Skoda", "Kia", "Fiat"], "made by {v}"),
                                   N("model year", ["model_year", "year_built", "yr"], 2012, 2024, no_sum=True),
                                   N("mileage", ["mileage", "odometer_km", "km_driven"], 5000, 180000),
                                   N("daily rate", ["daily_rate", "rate_per_day", "day_price"], 25, 160, 2),
                                   B(["is_electric", "electric", "ev"], "are electric", "are not electric")]),
    "renter": E("renter", PEOPLE, [N("age", ["age", "age_years"], 21, 80, no_sum=True), COUNTRY(),
                                   D("license issue date", ["license_issued", "licence_date"], "got their license"),
                                   B(["is_business", "business_account"], "rent for business", "rent privately")], who=True, label_cols=["full_name", "name", "customer_name"]),
    "rental": E("rental", None, [D("pickup date", ["pickup_date", "picked_up_on", "start_date"], "began"),
                                 N("rental length in days", ["days", "num_days", "rental_days"], 1, 21),
                                 N("total charge", ["total_charge", "amount", "charge_usd"], 40, 2500, 2),
                                 B(["insurance_taken", "insured", "has_insurance"], "include insurance", "do not include insurance")]),
}, [R("vehicle", "branch", "based at"), R("rental", "vehicle", "of"), R("rental", "renter", "booked by")])

DOMAINS["music"] = ({
    "band": E("band", combo(["The Velvet", "Electric", "Midnight", "Paper", "Neon", "Wild"], ["Owls", "Lanterns", "Rivers", "Ghosts", "Tigers", "Comets"]),
              [C("genre", ["genre", "style", "music_genre"], ["Rock", "Jazz", "Folk", "Electronic", "Soul", "Metal"], "playing {v}"),
               N("formation year", ["formed_year", "year_formed", "founded"], 1975, 2020, no_sum=True), COUNTRY(),
               B(["is_touring", "touring", "on_tour"], "are touring", "are not touring")], label_cols=["name", "band_name", "act_name"]),
    "album": E("album", combo(["Echoes of", "Songs for", "Letters to", "Dreams of"], ["Winter", "the Sea", "Tomorrow", "Glass", "Summer", "Home"]),
               [D("release date", ["released_on", "release_date"], "were released"), N("number of tracks", ["track_count", "tracks", "num_tracks"], 6, 18),
                N("number of copies sold", ["copies_sold", "sales", "units_sold"], 1000, 900000), PRICE(8, 30),
                B(["on_vinyl", "vinyl", "has_vinyl"], "came out on vinyl", "did not come out on vinyl")], label_cols=["title", "album_title", "name"], label_ph="title"),
    "concert": E("concert", None, [D("concert date", ["concert_date", "played_on", "show_date"], "took place"), CITY(),
                                   N("number of tickets sold", ["tickets_sold", "attendance", "audience"], 200, 20000), PRICE(15, 180, "ticket price", ["ticket_price", "price"]),
                                   B(["sold_out", "is_sold_out"], "were sold out", "were not sold out")]),
}, [R("album", "band", "recorded by"), R("concert", "band", "played by")])

DOMAINS["sports"] = ({
    "team": E("team", combo(CITIES[:16], ["Wolves", "Falcons", "United", "Rangers"]),
              [N("founding year", ["founded_year", "year_founded", "est"], 1890, 2010, no_sum=True), N("stadium capacity", ["stadium_capacity", "capacity"], 5000, 80000),
               C("division", ["division", "league_tier", "conference"], ["North", "South", "East", "West"], "in the {v} division"),
               B(["is_professional", "pro"], "are professional", "are amateur")], label_cols=["name", "team_name", "club"]),
    "player": E("player", PEOPLE, [C("position", ["position", "pos", "role_played"], ["Goalkeeper", "Defender", "Midfielder", "Forward"], "playing as {v}"),
                                   N("jersey number", ["jersey_no", "shirt_number", "number"], 1, 99, no_sum=True), N("number of goals", ["goals", "goals_scored"], 0, 40),
                                   N("height in cm", ["height_cm", "height"], 160, 205), D("birth date", ["birth_date", "dob", "born_on"], "were born", years=(1978, 2005)),
                                   B(["is_captain", "captain"], "are captains", "are not captains")], who=True, label_cols=["name", "full_name", "player_name"]),
    "match": E("match", None, [D("match date", ["match_date", "played_on", "kickoff_date"], "were played"), N("attendance", ["attendance", "crowd", "spectators"], 800, 60000),
                               N("number of goals", ["goals", "goals_for", "score"], 0, 7), C("competition", ["competition", "tournament", "cup"], ["League", "Cup", "Friendly"], "in the {v}"),
                               B(["is_home", "home_game", "at_home"], "were home games", "were away games")], P="matches"),
    "coach": E("coach", PEOPLE, [N("years of experience", ["years_experience", "exp_years"], 1, 35), COUNTRY(),
                                 D("contract start", ["contract_start", "hired_on"], "were signed")], who=True, P="coaches", label_cols=["name", "full_name", "coach_name"]),
    "stadium": E("stadium", combo(["Victoria", "Riverside", "Union", "Kingsway", "Lakeview", "Northgate"], ["Arena", "Park", "Stadium"]),
                 [N("capacity", ["capacity", "seats"], 3000, 90000), N("opening year", ["opened_year", "year_opened"], 1920, 2022, no_sum=True),
                  B(["has_roof", "covered"], "have a roof", "are open-air")], label_cols=["name", "stadium_name", "venue_name"]),
}, [R("player", "team", "playing for"), R("match", "team", "played by"), R("coach", "team", "coaching"),
    R("match", "stadium", "played at", role="stadium", fks=["stadium_id", "venue_id"])])

DOMAINS["cinema"] = ({
    "movie": E("movie", combo(["The Last", "Beyond the", "Return of the", "Secrets of the"], ["Lighthouse", "Horizon", "Stranger", "Garden", "Archive", "Island"]),
               [C("genre", ["genre", "category", "film_genre"], ["Drama", "Comedy", "Thriller", "Animation", "Documentary", "Sci-Fi"], "in the {v} genre"),
                N("running time in minutes", ["runtime_min", "duration", "length_minutes"], 75, 190), N("release year", ["release_year", "year", "yr_released"], 1985, 2024, no_sum=True),
                N("box office in millions", ["box_office_musd", "gross_millions", "revenue_m"], 1, 900, 1), B(["is_3d", "three_d"], "are shown in 3D", "are not shown in 3D")],
               label_cols=["title", "movie_title", "name"], label_ph="title"),
    "theater": E("theater", combo(["Rialto", "Odeon", "Lumiere", "Paragon", "Empire", "Vista"], CITIES[:6]),
                 [N("number of screens", ["screens", "screen_count", "num_screens"], 1, 16), CITY(), B(["has_imax", "imax"], "have an IMAX screen", "have no IMAX screen"),
                  D("opening date", ["opened_on", "open_date"], "opened")], label_cols=["name", "theater_name", "venue"]),
    "screening": E("screening", None, [D("screening date", ["screening_date", "shown_on", "show_date"], "took place"),
                                       N("number of tickets sold", ["tickets_sold", "seats_sold", "admissions"], 5, 400), PRICE(6, 22, "ticket price", ["ticket_price", "price"]),
                                       B(["is_subtitled", "subtitled"], "were subtitled", "were not subtitled")]),
    "director": E("director", PEOPLE, [COUNTRY(), N("birth year", ["birth_year", "born"], 1940, 1995, no_sum=True), N("awards won", ["awards", "award_count", "wins"], 0, 12)],
                  who=True, label_cols=["name", "full_name", "director_name"]),
}, [R("screening", "movie", "of"), R("screening", "theater", "held at"), R("movie", "director", "directed by")])

DOMAINS["bank"] = ({
    "client": E("client", PEOPLE, [CITY("living in {v}"), D("onboarding date", ["onboarded_on", "client_since", "joined_on"], "joined the bank"),
                                   N("credit score", ["credit_score", "score", "fico"], 450, 850, no_sum=True), B(["is_premium", "premium"], "are premium clients", "are regular clients")],
                who=True, label_cols=["full_name", "name", "client_name"]),
    "account": E("account", None, [C("account type", ["account_type", "acct_type", "kind"], ["Checking", "Savings", "Business", "Joint"], "of type {v}"),
                                   N("balance", ["balance", "balance_usd", "current_balance"], 0, 90000, 2), D("opening date", ["opened_on", "open_date"], "were opened"),
                                   B(["is_frozen", "frozen"], "are frozen", "are not frozen"), C("currency", ["currency", "ccy", "currency_code"], ["USD", "EUR", "GBP", "JPY"], "held in {v}")]),
    "transaction": E("transaction", None, [N("amount", ["amount", "amt", "amount_usd", "value"], 1, 8000, 2),
                                           D("transaction date", ["txn_date", "posted_on", "transaction_date"], "were posted"),
                                           C("channel", ["channel", "txn_channel", "method"], ["ATM", "Online", "Branch", "Card"], "made via {v}"),
                                           B(["is_flagged", "flagged", "suspicious"], "are flagged", "are not flagged")], stem="transaction"),
    "loan": E("loan", None, [N("principal", ["principal", "loan_amount", "amount"], 1000, 400000), N("interest rate", ["interest_rate", "rate_pct", "apr"], 1, 12, 2, no_sum=True),
                             N("term in months", ["term_months", "months", "duration_months"], 6, 360), D("start date", ["start_date", "issued_on"], "were issued"),
                             STATUS(["Current", "Late", "Repaid", "Default"])]),
    "branch": E("bank branch", combo(CITIES[:20], ["Main", "North", "Harbor"]),
                [N("number of tellers", ["tellers", "teller_count"], 2, 20), D("opening date", ["opened_on", "open_date"], "opened"),
                 B(["has_safe_deposit", "safe_deposit"], "offer safe deposit boxes", "offer no safe deposit boxes")],
                stem="branch", label_cols=["name", "branch_name"]),
}, [R("account", "client", "owned by", fks=["client_id", "owner_id", "holder_id"]), R("transaction", "account", "on"), R("loan", "client", "taken by"),
    R("client", "branch", "banking at", role="branch", fks=["branch_id", "home_branch_id"])])

DOMAINS["insurance"] = ({
    "policyholder": E("policyholder", PEOPLE, [N("age", ["age", "age_years"], 18, 85, no_sum=True), CITY("living in {v}"),
                                               B(["is_smoker", "smoker"], "are smokers", "are non-smokers")], who=True, label_cols=["full_name", "name", "holder_name"]),
    "policy": E("policy", None, [C("policy type", ["policy_type", "line", "coverage"], ["Auto", "Home", "Travel", "Life", "Pet"], "of type {v}"),
                                 N("annual premium", ["premium", "annual_premium", "premium_usd"], 80, 4000, 2), D("start date", ["start_date", "effective_date", "begins_on"], "started"),
                                 N("deductible", ["deductible", "excess", "deductible_usd"], 0, 2500), B(["auto_renew", "renews"], "renew automatically", "do not renew automatically")],
                P="policies"),
    "claim": E("claim", None, [N("claimed amount", ["claimed_amount", "amount", "claim_usd"], 50, 60000, 2), D("claim date", ["claim_date", "filed_on", "reported_on"], "were filed"),
                               STATUS(["Open", "Approved", "Rejected", "Paid"]), B(["is_fraud_suspected", "fraud_flag"], "are suspected of fraud", "are not suspected of fraud")]),
    "adjuster": E("adjuster", PEOPLE, [N("years of experience", ["years_experience", "exp_years"], 1, 30), C("region", ["region", "territory"], ["North", "South", "East", "West"], "covering the {v} region"),
                                       N("caseload", ["caseload", "open_cases", "case_count"], 3, 60)], who=True, label_cols=["name", "full_name", "adjuster_name"]),
}, [R("policy", "policyholder", "held by"), R("claim", "policy", "under"), R("claim", "adjuster", "handled by")])

DOMAINS["research"] = ({
    "lab": E("lab", combo(["Quantum", "Marine", "Neural", "Materials", "Climate", "Robotics", "Genomics", "Optics"], ["Lab", "Group"]),
             [CITY(), N("annual funding", ["funding", "annual_funding", "funding_usd"], 100000, 9000000), D("founding date", ["founded_on", "established"], "were founded"),
              B(["has_cleanroom", "cleanroom"], "have a cleanroom", "have no cleanroom")], label_cols=["name", "lab_name", "unit_name"]),
    "researcher": E("researcher", PEOPLE, [C("academic rank", ["rank", "title", "position"], ["Postdoc", "Lecturer", "Professor", "Fellow"], "with the rank {v}"),
                                           N("h-index", ["h_index", "hindex"], 1, 90, no_sum=True), D("start date", ["joined_on", "start_date"], "joined"),
                                           B(["is_tenured", "tenured"], "are tenured", "are not tenured")], who=True, label_cols=["name", "full_name", "researcher_name"]),
    "paper": E("paper", combo(["Towards", "On", "Rethinking", "Scaling"], ["Sparse Models", "Coral Growth", "Battery Chemistry", "Ocean Currents", "Protein Folding", "Soft Robots"]),
               [N("citation count", ["citations", "citation_count", "cites"], 0, 2500), D("publication date", ["published_on", "pub_date"], "were published"),
                C("venue", ["venue", "journal", "outlet"], ["Nature", "Science", "NeurIPS", "PLOS One", "ICML"], "published in {v}"),
                B(["open_access", "is_open_access"], "are open access", "are paywalled")], label_cols=["title", "paper_title"], label_ph="title"),
    "grant": E("grant", None, [N("amount", ["amount", "amount_usd", "award_amount"], 10000, 2500000), D("award date", ["awarded_on", "award_date"], "were awarded"),
                               C("funder", ["funder", "agency", "sponsor"], ["NSF", "ERC", "Wellcome", "NIH", "DFG"], "funded by {v}"), N("duration in years", ["years", "duration_years"], 1, 6)]),
    "instrument": E("instrument", combo(["Mass", "Laser", "Electron", "Thermal", "Optical"], ["Spectrometer", "Microscope", "Analyzer", "Scanner"]),
                    [N("purchase cost", ["cost", "purchase_cost", "price_usd"], 5000, 900000), D("purchase date", ["purchased_on", "bought_on"], "were bought"),
                     B(["needs_calibration", "calibration_due"], "need calibration", "need no calibration")], label_cols=["name", "instrument_name", "model"]),
}, [R("instrument", "lab", "in"), R("researcher", "lab", "working in"), R("paper", "researcher", "written by", fks=["author_id", "researcher_id", "lead_author_id"], role="author"),
    R("grant", "lab", "awarded to")])

DOMAINS["transit"] = ({
    "route": E("bus route", combo(["Line"], [str(k) for k in (1, 2, 3, 4, 5, 7, 9, 11, 12, 15, 21, 33, 40, 52, 66)]),
               [N("length in km", ["length_km", "route_km", "distance_km"], 4, 60, 1), C("service type", ["service_type", "kind"], ["Local", "Express", "Night"], "running as {v} service"),
                B(["is_accessible", "step_free"], "are step-free", "are not step-free")], stem="bus_route", label_cols=["name", "route_name", "code"]),
    "stop": E("stop", combo(["Market", "Station", "Church", "Harbor", "College", "Museum", "Park", "Bridge"], ["Square", "Street"]),
              [C("district", ["district", "zone", "area"], ["Old Town", "Docklands", "Uptown", "Riverside", "Hillside"], "in {v}"), N("daily boardings", ["daily_boardings", "boardings"], 50, 4000),
               B(["has_shelter", "sheltered"], "have a shelter", "have no shelter")], label_cols=["name", "stop_name"]),
    "driver": E("driver", PEOPLE, [D("hire date", ["hired_on", "hire_date"], "were hired"), N("years of service", ["years_service", "service_years"], 1, 35),
                                   B(["night_shift", "works_nights"], "work night shifts", "work day shifts")], who=True, label_cols=["name", "full_name", "driver_name"]),
    "trip": E("trip", None, [D("trip date", ["trip_date", "run_date", "service_date"], "ran"), N("passenger count", ["passengers", "riders", "pax"], 3, 90),
                             N("delay in minutes", ["delay_min", "minutes_late", "delay"], 0, 25), B(["was_cancelled", "cancelled"], "were cancelled", "ran as planned")]),
}, [R("stop", "route", "on"), R("trip", "route", "on"), R("trip", "driver", "driven by")])

DOMAINS["conference"] = ({
    "conference": E("conference", combo(["DataWorld", "CloudConf", "DevSummit", "EdTech Forum", "GreenTech"], ["2021", "2022", "2023", "2024"]),
                    [CITY(), D("start date", ["starts_on", "start_date", "opening_day"], "started"), N("registration fee", ["fee", "registration_fee", "ticket_usd"], 50, 1500, 2),
                     B(["is_virtual", "online", "virtual"], "are virtual", "are in person")], label_cols=["name", "title", "conf_name"]),
    "speaker": E("speaker", PEOPLE, [C("company", ["company", "employer", "affiliation"], COMPANIES[:8], "working at {v}"),
                                     N("number of talks", ["talk_count", "talks_given"], 1, 60), B(["is_keynote", "keynote_speaker"], "are keynote speakers", "are not keynote speakers")],
                 who=True, label_cols=["name", "full_name", "speaker_name"]),
    "talk": E("talk", combo(["Scaling", "Debugging", "Securing", "Teaching", "Measuring"], ["Pipelines", "Teams", "Databases", "Networks", "Startups"]),
              [N("duration in minutes", ["duration_min", "minutes", "slot_length"], 15, 90), C("track", ["track", "stream", "topic"], ["Data", "Cloud", "Security", "Design"], "in the {v} track"),
               N("attendee count", ["attendees", "audience_size", "headcount"], 10, 900), B(["is_recorded", "recorded"], "were recorded", "were not recorded")],
              label_cols=["title", "talk_title"], label_ph="title"),
    "attendee": E("attendee", PEOPLE, [COUNTRY(), C("ticket type", ["ticket_type", "pass_type"], ["Standard", "Student", "VIP"], "holding a {v} ticket"),
                                       D("registration date", ["registered_on", "reg_date"], "registered")], who=True, label_cols=["full_name", "name"]),
}, [R("talk", "conference", "given at"), R("talk", "speaker", "given by"), R("attendee", "conference", "registered for")])

DOMAINS["charity"] = ({
    "campaign": E("campaign", combo(["Clean", "Safe", "Warm", "Bright"], ["Water", "Schools", "Homes", "Futures", "Oceans"]),
                  [N("fundraising goal", ["goal", "goal_usd", "target_amount"], 5000, 500000), D("launch date", ["launched_on", "start_date"], "were launched"),
                   C("cause", ["cause", "focus_area", "sector"], ["Health", "Education", "Environment", "Housing"], "for {v}"), ACTIVE()], label_cols=["name", "campaign_name", "title"]),
    "donor": E("donor", PEOPLE, [CITY("from {v}"), D("first gift date", ["first_gift_on", "donor_since"], "first gave"),
                                 B(["is_recurring", "monthly_donor"], "give monthly", "do not give monthly"), C("donor tier", ["tier", "donor_level"], ["Bronze", "Silver", "Gold"], "in the {v} tier")],
               who=True, label_cols=["full_name", "name", "donor_name"]),
    "donation": E("donation", None, [N("amount", ["amount", "amt", "gift_usd"], 5, 5000, 2), D("donation date", ["donated_on", "gift_date", "received_on"], "were received"),
                                     C("method", ["method", "pay_method", "channel"], ["Card", "Transfer", "Check", "Cash"], "paid by {v}"), B(["gift_aid", "tax_deductible"], "are tax-deductible", "are not tax-deductible")]),
    "volunteer": E("volunteer", PEOPLE, [N("number of hours logged", ["hours", "hours_logged", "total_hours"], 2, 400), D("start date", ["joined_on", "start_date"], "joined"),
                                         B(["has_background_check", "vetted"], "are vetted", "are not vetted")], who=True, label_cols=["name", "full_name"]),
    "event": E("fundraising event", combo(["Spring", "Summer", "Autumn", "Winter", "Midnight"], ["Gala", "Fun Run", "Bake Sale", "Auction", "Concert"]),
               [D("event date", ["event_date", "held_on"], "were held"), N("money raised", ["raised", "amount_raised", "raised_usd"], 500, 90000, 2),
                N("number of guests", ["guests", "guest_count"], 20, 900)], stem="event", label_cols=["name", "event_name", "title"]),
}, [R("donation", "campaign", "to"), R("donation", "donor", "given by"), R("volunteer", "campaign", "helping"),
    R("event", "campaign", "for")])

DOMAINS["vet"] = ({
    "owner": E("owner", PEOPLE, [CITY("living in {v}"), D("registration date", ["registered_on", "client_since"], "registered"),
                                 B(["has_insurance", "insured"], "have pet insurance", "have no pet insurance")], who=True, label_cols=["full_name", "name", "owner_name"]),
    "pet": E("pet", ["Biscuit", "Luna", "Milo", "Pepper", "Rocky", "Coco", "Shadow", "Nala", "Ziggy", "Mochi", "Otis", "Daisy", "Bruno", "Pixel", "Juniper", "Clover Jr"],
             [C("species", ["species", "animal_type", "kind"], ["Dog", "Cat", "Rabbit", "Parrot", "Ferret"], "of the species {v}"), N("weight in kg", ["weight_kg", "wt_kg"], 1, 45, 1),
              D("birth date", ["birth_date", "born_on", "dob"], "were born", years=(2009, 2023)), B(["is_neutered", "neutered"], "are neutered", "are not neutered")]),
    "vet": E("veterinarian", PEOPLE, [C("specialty", ["specialty", "field"], ["Surgery", "Dentistry", "Dermatology", "Exotics"], "specializing in {v}"),
                                      N("years of practice", ["years_practice", "exp_years"], 1, 35)], who=True, stem="vet", label_cols=["name", "vet_name", "full_name"]),
    "visit": E("visit", None, [D("visit date", ["visit_date", "seen_on"], "took place"), N("bill amount", ["bill", "bill_usd", "charge"], 25, 900, 2),
                               C("reason", ["reason", "visit_reason", "purpose"], ["Checkup", "Vaccination", "Injury", "Dental"], "for a {v}"), B(["follow_up", "needs_follow_up"], "need a follow-up", "need no follow-up")]),
}, [R("pet", "owner", "owned by"), R("visit", "pet", "for"), R("visit", "vet", "with", role="veterinarian")])

DOMAINS["games"] = ({
    "studio": E("studio", combo(["Pixel", "Moonlit", "Red Fox", "Ironclad", "Tiny Giant", "Starfall"], ["Games", "Interactive", "Studios"]),
                [COUNTRY("based in {v}"), N("number of employees", ["employees", "headcount", "staff"], 5, 900), N("founding year", ["founded", "founded_year"], 1985, 2020, no_sum=True)],
                label_cols=["name", "studio_name", "company"]),
    "game": E("video game", combo(["Shadow", "Crystal", "Rogue", "Star", "Dungeon", "Sky"], ["Quest", "Tactics", "Racer", "Legends", "Frontier"]),
              [C("genre", ["genre", "category"], ["RPG", "Strategy", "Puzzle", "Racing", "Shooter"], "in the {v} genre"), PRICE(0, 70), D("release date", ["release_date", "released_on"], "were released"),
               N("metacritic score", ["metascore", "critic_score"], 40, 98, no_sum=True), B(["is_multiplayer", "multiplayer"], "are multiplayer", "are single-player")],
              stem="game", label_cols=["title", "game_title", "name"], label_ph="title"),
    "player": E("player", combo(["dark", "pixel", "lucky", "neo", "frost", "void"], ["_fox", "_wizard", "_byte", "_ninja", "_rider"], ""),
                [COUNTRY(), N("level", ["level", "player_level", "lvl"], 1, 100, no_sum=True), D("signup date", ["signup_date", "joined_on"], "signed up"),
                 B(["is_premium", "premium"], "have premium accounts", "have free accounts")], who=True, label_cols=["username", "handle", "gamertag"], label_ph="username"),
    "session": E("play session", None, [D("session date", ["played_on", "session_date"], "took place"), N("playing time in minutes", ["minutes", "duration_min", "playtime_min"], 5, 300),
                                        N("score", ["points", "score"], 0, 9000)], stem="play_session"),
}, [R("game", "studio", "made by", role="studio"), R("session", "player", "played by"), R("session", "game", "of", role="game")])

DOMAINS["energy"] = ({
    "plant": E("power plant", combo(["North Ridge", "Bay", "Sandy Flats", "Valley", "Cape", "Redrock"], ["Wind Farm", "Solar Park", "Hydro Station"]),
               [C("energy source", ["source", "energy_source", "fuel"], ["Wind", "Solar", "Hydro", "Gas", "Biomass"], "running on {v}"), N("capacity in MW", ["capacity_mw", "mw"], 5, 900),
                D("commissioning date", ["commissioned_on", "online_since"], "were commissioned"), B(["grid_connected", "on_grid"], "are grid-connected", "are off-grid")],
               stem="power_plant", label_cols=["name", "plant_name", "site"]),
    "meter": E("smart meter", None, [C("district", ["district", "zone"], ["Harborside", "Old Quarter", "Newfield", "Eastgate"], "in {v}"),
                                     D("installation date", ["installed_on", "install_date"], "were installed"),
                                     B(["is_commercial", "commercial"], "serve businesses", "serve homes")], stem="meter"),
    "reading": E("meter reading", None, [D("reading date", ["read_on", "reading_date"], "were taken"), N("consumption in kWh", ["kwh", "consumption_kwh", "usage_kwh"], 20, 1800, 1),
                                         N("cost", ["cost", "cost_usd", "charge"], 3, 400, 2), B(["is_estimated", "estimated"], "are estimated", "are actual readings")], stem="reading"),
    "outage": E("outage", None, [D("outage date", ["started_on", "outage_date"], "began"), N("duration in minutes", ["duration_min", "minutes_down"], 5, 600),
                                 N("number of customers affected", ["customers_affected", "affected"], 10, 50000), C("cause", ["cause", "reason"], ["Storm", "Maintenance", "Equipment", "Overload"], "caused by {v}")]),
}, [R("reading", "meter", "from"), R("outage", "plant", "at", role="power plant", fks=["plant_id", "power_plant_id", "station_id"]),
    R("meter", "plant", "supplied by", role="power plant", fks=["plant_id", "power_plant_id", "supplier_plant_id"])])

DOMAINS["zoo"] = ({
    "enclosure": E("enclosure", combo(["Savanna", "Rainforest", "Arctic", "Desert", "Wetland", "Mountain"], ["Zone", "House", "Yard"]),
                   [N("area in square meters", ["area_m2", "area_sqm", "size"], 80, 9000), C("climate", ["climate", "biome"], ["Tropical", "Temperate", "Polar", "Arid"], "with a {v} climate"),
                    B(["is_indoor", "indoor"], "are indoors", "are outdoors")], label_cols=["name", "enclosure_name", "area_name"]),
    "animal": E("animal", combo(["Kito", "Asha", "Bruno", "Nyx", "Tundra", "Mango", "Sol", "Pip"], ["", " II"], ""),
                [C("species", ["species", "kind"], ["Giraffe", "Penguin", "Lemur", "Zebra", "Otter", "Tortoise"], "of the species {v}"),
                 N("weight in kg", ["weight_kg", "kg"], 2, 1200, 1), D("arrival date", ["arrived_on", "arrival_date"], "arrived"),
                 B(["is_endangered", "endangered"], "are endangered", "are not endangered")], label_cols=["name", "animal_name", "nickname"]),
    "caretaker": E("caretaker", PEOPLE, [N("years of experience", ["years_experience", "exp_years"], 1, 30), D("hire date", ["hired_on", "hire_date"], "were hired"),
                                         C("shift", ["shift", "shift_name"], ["Morning", "Evening", "Night"], "on the {v} shift")], who=True, label_cols=["name", "full_name"]),
    "feeding": E("feeding", None, [D("feeding date", ["fed_on", "feeding_date"], "took place"), N("food in kg", ["food_kg", "kg_fed", "amount_kg"], 1, 60, 1),
                                   C("food type", ["food_type", "diet"], ["Hay", "Fish", "Fruit", "Insects", "Pellets"], "of food type {v}")]),
}, [R("animal", "enclosure", "living in"), R("feeding", "animal", "for"), R("feeding", "caretaker", "done by")])

DOMAINS["shipping"] = ({
    "port": E("port", ["Rotterdam", "Antwerp", "Valencia", "Genoa", "Piraeus", "Gdansk", "Halifax", "Santos", "Durban", "Busan", "Kobe", "Mombasa", "Tangier", "Callao"],
              [COUNTRY("in {v}"), N("number of berths", ["berths", "berth_count"], 4, 80), B(["deep_water", "is_deep_water"], "are deep-water ports", "are not deep-water ports")],
              label_cols=["name", "port_name"]),
    "ship": E("ship", combo(["MV", "SS"], ["Northern Star", "Blue Marlin", "Sea Breeze", "Iron Gull", "Aurora", "Tern", "Cormorant"]),
              [C("vessel type", ["vessel_type", "ship_type", "class"], ["Container", "Tanker", "Bulk", "Ferry"], "of type {v}"), N("gross tonnage", ["gross_tonnage", "tonnage", "gt"], 3000, 220000),
               N("build year", ["built_year", "year_built"], 1990, 2023, no_sum=True), C("flag", ["flag", "flag_state"], ["Panama", "Liberia", "Malta", "Norway"], "flying the {v} flag")],
              label_cols=["name", "ship_name", "vessel_name"]),
    "voyage": E("voyage", None, [D("departure date", ["departed_on", "departure_date"], "departed"), N("cargo in tonnes", ["cargo_tonnes", "cargo_t"], 100, 90000),
                                 N("duration in days", ["days", "duration_days"], 1, 40), B(["arrived_late", "delayed"], "arrived late", "arrived on time")]),
    "crew": E("crew member", PEOPLE, [C("rank", ["rank", "position"], ["Captain", "Officer", "Engineer", "Deckhand", "Cook"], "serving as {v}"), N("years at sea", ["years_at_sea", "sea_years"], 1, 40),
                                      COUNTRY()], who=True, stem="crew_member", label_cols=["name", "full_name"]),
}, [R("voyage", "ship", "made by"), R("voyage", "port", "leaving from", role="departure port", fks=["origin_port_id", "from_port_id", "port_id"]),
    R("crew", "ship", "serving on")])

DOMAINS["telecom"] = ({
    "plan": E("mobile plan", combo(["Flex", "Max", "Go", "Unlimited"], ["10", "25", "50", "Plus"]),
              [N("monthly price", ["monthly_price", "price", "fee_usd"], 5, 90, 2), N("data allowance in GB", ["data_gb", "gb_included"], 1, 200),
               B(["includes_roaming", "roaming"], "include roaming", "do not include roaming")], stem="plan", label_cols=["name", "plan_name"]),
    "subscriber": E("subscriber", PEOPLE, [CITY("living in {v}"), D("activation date", ["activated_on", "start_date"], "were activated"),
                                           N("age", ["age"], 18, 85, no_sum=True), B(["is_prepaid", "prepaid"], "are prepaid", "are on contract")], who=True, label_cols=["full_name", "name"]),
    "call": E("call", None, [D("call date", ["call_date", "placed_on"], "were placed"), N("duration in seconds", ["duration_sec", "seconds", "secs"], 5, 3600),
                             N("charge", ["charge", "cost", "charge_usd"], 0, 25, 2), C("call type", ["call_type", "kind"], ["Local", "National", "International"], "of type {v}"),
                             B(["is_roaming", "roaming"], "were made while roaming", "were made at home")]),
    "device": E("device", combo(["Nova", "Pixel", "Zen", "Aero", "Luma"], ["5", "7", "X", "Pro", "Mini"]),
                [C("brand", ["brand", "make"], ["Orbis", "Kite", "Pomelo", "Vantage"], "made by {v}"), PRICE(90, 1400), D("release date", ["released_on", "release_date"], "were released")],
                label_cols=["model", "model_name", "name"], label_ph="model"),
}, [R("subscriber", "plan", "on"), R("call", "subscriber", "made by", role="subscriber", fks=["subscriber_id", "caller_id"]),
    R("subscriber", "device", "using")])

DOMAINS["manufacturing"] = ({
    "factory": E("factory", combo(CITIES[10:26], ["Plant"]), [COUNTRY("in {v}"), N("number of workers", ["workers", "headcount", "staff"], 40, 3000),
                 D("opening date", ["opened_on", "open_date"], "opened"), B(["iso_certified", "certified"], "are ISO certified", "are not ISO certified")],
                 P="factories", label_cols=["name", "factory_name", "site_name"]),
    "machine": E("machine", combo(["Press", "Lathe", "Robot", "Oven", "Mill"], ["A1", "B2", "C3", "D4"], "-"),
                 [C("machine type", ["machine_type", "kind"], ["Press", "Lathe", "Robot", "Oven", "Mill"], "of type {v}"), N("running hours", ["hours_run", "runtime_h", "hours"], 100, 60000),
                  D("installation date", ["installed_on", "install_date"], "were installed"), B(["under_maintenance", "in_repair"], "are under maintenance", "are running")],
                 label_cols=["code", "machine_code", "asset_tag"], label_ph="code"),
    "work_order": E("work order", None, [D("due date", ["due_date", "due_on"], "are due"), N("quantity", ["quantity", "qty", "units"], 10, 5000),
                                         C("priority", ["priority", "prio"], ["Low", "Normal", "Urgent"], "with {v} priority"), B(["is_complete", "done", "completed"], "are complete", "are not complete")]),
    "part": E("part", combo(["Steel", "Brass", "Nylon", "Alloy"], ["Bolt", "Gear", "Bracket", "Valve", "Spring"]),
              [N("unit cost", ["unit_cost", "cost", "cost_usd"], 0, 250, 2), N("stock level", ["stock", "qty_on_hand", "in_stock"], 0, 9000),
               C("material", ["material", "mat"], ["Steel", "Brass", "Nylon", "Aluminium"], "made of {v}")], label_cols=["name", "part_name", "description"]),
}, [R("machine", "factory", "in"), R("work_order", "factory", "for", role="factory"), R("work_order", "part", "producing", role="part")])

DOMAINS["parking"] = ({
    "garage": E("garage", combo(["Central", "Harbor", "Station", "Market", "Museum"], ["Garage", "Car Park", "Parking"]),
                [N("number of spaces", ["spaces", "space_count", "capacity"], 40, 1200), PRICE(1, 9, "hourly rate", ["hourly_rate", "rate_per_hour"]),
                 B(["has_ev_chargers", "ev_charging"], "have EV chargers", "have no EV chargers"), C("district", ["district", "area"], ["Downtown", "Harbor", "Airport", "University"], "in the {v} district")],
                label_cols=["name", "garage_name"]),
    "permit": E("permit", None, [D("issue date", ["issued_on", "issue_date"], "were issued"), N("monthly fee", ["monthly_fee", "fee"], 20, 300, 2),
                                 C("permit type", ["permit_type", "kind"], ["Resident", "Commuter", "Business"], "of type {v}"), ACTIVE()]),
    "motorist": E("motorist", PEOPLE, [CITY("from {v}"), B(["has_disability_badge", "blue_badge"], "hold a disability badge", "hold no disability badge")],
                  who=True, label_cols=["full_name", "name", "driver_name"]),
    "ticket": E("parking ticket", None, [D("ticket date", ["issued_on", "ticket_date"], "were issued"), N("fine amount", ["fine", "fine_amount", "fine_usd"], 15, 250, 2),
                                         B(["is_paid", "paid"], "are paid", "are unpaid")], stem="parking_ticket"),
}, [R("permit", "garage", "for"), R("permit", "motorist", "held by"), R("ticket", "motorist", "given to"), R("ticket", "garage", "issued at")])

DOMAINS["recipes"] = ({
    "cook": E("cook", PEOPLE, [COUNTRY(), N("number of recipes", ["recipe_count", "published"], 1, 300), B(["is_professional", "pro"], "are professional cooks", "are home cooks")],
              who=True, label_cols=["name", "full_name", "cook_name"]),
    "recipe": E("recipe", combo(["Lemon", "Garlic", "Smoky", "Herb", "Ginger", "Coconut"], ["Soup", "Risotto", "Tart", "Curry", "Salad", "Stew"]),
                [C("cuisine", ["cuisine", "origin"], ["French", "Thai", "Greek", "Peruvian", "Korean"], "from the {v} kitchen"), N("preparation time in minutes", ["prep_minutes", "prep_time", "minutes"], 5, 180),
                 N("number of servings", ["servings", "serves", "portions"], 1, 12), B(["is_vegan", "vegan"], "are vegan", "are not vegan"), D("publication date", ["published_on", "posted_on"], "were published")],
                label_cols=["title", "name", "recipe_name"], label_ph="title"),
    "ingredient": E("ingredient", ["Lentils", "Basil", "Paprika", "Tofu", "Shallot", "Saffron", "Quinoa", "Fennel", "Tahini", "Miso", "Chickpeas", "Leek", "Cumin", "Feta", "Oregano"],
                    [N("calories per 100 g", ["kcal_per_100g", "calories"], 5, 900), C("food group", ["food_group", "group_name", "kind"], ["Vegetable", "Spice", "Legume", "Dairy", "Grain"], "in the {v} group"),
                     B(["is_allergen", "allergen"], "are allergens", "are not allergens")], label_cols=["name", "ingredient_name"]),
    "rating": E("recipe rating", None, [N("stars", ["stars", "score"], 1, 5, no_sum=True), D("rating date", ["rated_on", "created_on"], "were given")], stem="recipe_rating"),
}, [R("recipe", "cook", "created by", role="cook", fks=["cook_id", "author_id", "creator_id"]), R("rating", "recipe", "for")])

DOMAINS["podcast"] = ({
    "podcast": E("podcast", combo(["Deep", "Slow", "Curious", "Daily", "Hidden"], ["Science", "History", "Money", "Stories", "Design"]),
                 [C("category", ["category", "genre"], ["Education", "News", "Comedy", "Business", "Culture"], "in the {v} category"), N("subscriber count", ["subscribers", "subs", "followers"], 500, 900000),
                  D("launch date", ["launched_on", "first_aired"], "were launched"), B(["is_explicit", "explicit"], "are explicit", "are family-friendly")], label_cols=["title", "name", "show_name"], label_ph="title"),
    "episode": E("episode", None, [D("air date", ["aired_on", "air_date", "published_on"], "aired"), N("length in minutes", ["length_min", "duration_min", "minutes"], 8, 150),
                                   N("download count", ["downloads", "plays", "listens"], 100, 500000), B(["has_transcript", "transcribed"], "have a transcript", "have no transcript")]),
    "host": E("host", PEOPLE, [COUNTRY(), N("years of hosting", ["years_hosting", "host_years"], 1, 20)], who=True, label_cols=["name", "full_name", "host_name"]),
    "sponsor": E("sponsor", COMPANIES, [C("industry", ["industry", "sector"], ["Software", "Finance", "Food", "Travel", "Retail"], "in the {v} industry"),
                                        N("monthly spend", ["monthly_spend", "spend_usd", "budget"], 500, 90000)], label_cols=["name", "company_name", "brand"]),
}, [R("episode", "podcast", "of"), R("podcast", "host", "hosted by"), R("episode", "sponsor", "sponsored by")])

DOMAINS["legal"] = ({
    "firm": E("law firm", combo(["Hale", "Morrow", "Castell", "Whitby", "Ashford", "Pryce"], ["& Partners", "Legal", "LLP"]),
              [CITY(), N("number of lawyers", ["lawyer_count", "lawyers", "headcount"], 3, 400), N("founding year", ["founded", "founded_year"], 1900, 2018, no_sum=True)],
              stem="law_firm", label_cols=["name", "firm_name"]),
    "lawyer": E("lawyer", PEOPLE, [C("practice area", ["practice_area", "specialty"], ["Tax", "Family", "Criminal", "Corporate", "Immigration"], "practicing {v} law"),
                                   N("hourly rate", ["hourly_rate", "rate_usd"], 120, 900), D("bar admission date", ["admitted_on", "bar_date"], "were admitted to the bar"),
                                   B(["is_partner", "partner"], "are partners", "are associates")], who=True, label_cols=["name", "full_name", "lawyer_name"]),
    "case": E("legal case", None, [D("filing date", ["filed_on", "filing_date", "opened_on"], "were filed"), N("fees billed", ["fees_billed", "billed_usd", "fees"], 500, 300000, 2),
                                   C("outcome", ["outcome", "result"], ["Won", "Lost", "Settled", "Pending"], "with the outcome {v}"), B(["is_pro_bono", "pro_bono"], "are pro bono", "are paid")],
                 stem="legal_case"),
    "client": E("client", PEOPLE, [CITY("from {v}"), B(["is_corporate", "corporate"], "are companies", "are individuals")], who=True, label_cols=["name", "client_name"]),
}, [R("lawyer", "firm", "working at", role="law firm", fks=["firm_id", "law_firm_id"]), R("case", "lawyer", "handled by"), R("case", "client", "for")])

DOMAINS["travel"] = ({
    "tour": E("tour", combo(["Highlights of", "Hidden", "Classic", "Wild"], ["Andes", "Sahara", "Balkans", "Patagonia", "Iceland", "Japan"]),
              [N("length in days", ["days", "length_days", "duration_days"], 2, 21), PRICE(300, 6000, "price per person", ["price_pp", "price", "price_per_person"]),
               C("difficulty", ["difficulty", "grade"], ["Easy", "Moderate", "Hard"], "of {v} difficulty"), B(["includes_flights", "flights_included"], "include flights", "exclude flights")],
              label_cols=["name", "tour_name", "title"]),
    "guide": E("guide", PEOPLE, [C("language", ["language", "main_language", "lang"], ["English", "Spanish", "German", "Japanese", "French"], "speaking {v}"),
                                 N("years guiding", ["years_guiding", "exp_years"], 1, 30), RATING()], who=True, label_cols=["name", "full_name", "guide_name"]),
    "traveler": E("traveler", PEOPLE, [COUNTRY(), N("age", ["age"], 18, 85, no_sum=True), B(["is_repeat", "repeat_customer"], "are repeat customers", "are first-time customers")],
                  who=True, label_cols=["full_name", "name"]),
    "booking": E("tour booking", None, [D("departure date", ["departs_on", "departure_date", "start_date"], "depart"), N("group size", ["group_size", "party_size", "pax"], 1, 8),
                                        N("amount paid", ["amount_paid", "paid_usd", "total"], 300, 30000, 2), B(["is_cancelled", "cancelled"], "were cancelled", "went ahead")],
                 stem="booking"),
}, [R("booking", "tour", "for"), R("booking", "traveler", "made by"), R("tour", "guide", "led by")])

DOMAINS["newsroom"] = ({
    "section": E("section", ["World", "Politics", "Business", "Science", "Culture", "Sport", "Opinion", "Travel", "Tech", "Health"],
                 [N("weekly page views", ["weekly_views", "page_views"], 5000, 900000), B(["is_paywalled", "paywalled"], "are paywalled", "are free to read")],
                 label_cols=["name", "section_name", "title"]),
    "reporter": E("reporter", PEOPLE, [D("hire date", ["hired_on", "hire_date"], "were hired"), CITY("based in {v}"), B(["is_freelance", "freelance"], "are freelancers", "are staff")],
                  who=True, label_cols=["name", "byline", "full_name"]),
    "article": E("article", combo(["Inside the", "Why the", "How the", "After the"], ["Vote", "Merger", "Drought", "Final", "Strike", "Launch"]),
                 [D("publication date", ["published_on", "pub_date"], "were published"), N("word count", ["word_count", "words", "length_words"], 300, 5000),
                  N("page views", ["views", "page_views", "reads"], 100, 400000), B(["is_breaking", "breaking"], "are breaking news", "are not breaking news")],
                 label_cols=["headline", "title"], label_ph="headline"),
    "correction": E("correction", None, [D("correction date", ["corrected_on", "issued_on"], "were issued"),
                                         C("severity", ["severity", "kind"], ["Minor", "Major"], "rated {v}")]),
}, [R("article", "section", "in"), R("article", "reporter", "written by", role="reporter", fks=["reporter_id", "author_id", "byline_id"]),
    R("correction", "article", "to")])

DOMAINS["helpdesk"] = ({
    "agent": E("support agent", PEOPLE, [C("team", ["team", "team_name", "squad"], ["Billing", "Technical", "Onboarding", "Returns"], "on the {v} team"),
                                         D("start date", ["started_on", "start_date"], "started"), N("satisfaction score", ["csat", "satisfaction", "csat_score"], 60, 99, no_sum=True)],
                 who=True, stem="agent", label_cols=["name", "agent_name", "full_name"]),
    "customer": E("customer", COMPANIES, [C("plan", ["plan", "tier", "subscription"], ["Free", "Team", "Enterprise"], "on the {v} plan"), COUNTRY("based in {v}"),
                                          N("seat count", ["seats", "licenses", "seat_count"], 1, 500)], label_cols=["name", "company_name", "account_name"]),
    "ticket": E("ticket", None, [D("open date", ["opened_on", "created_date", "open_date"], "were opened"), C("priority", ["priority", "prio", "urgency"], ["Low", "Normal", "High", "Urgent"], "with {v} priority"),
                                 N("hours to resolve", ["hours_to_resolve", "resolution_hours", "ttr_h"], 1, 200), B(["is_escalated", "escalated"], "were escalated", "were not escalated")]),
}, [R("ticket", "agent", "assigned to", role="agent", fks=["agent_id", "assignee_id", "owner_id"]), R("ticket", "customer", "raised by")])

DOMAINS["library"] = ({
    "branch": E("library branch", combo(["Eastside", "Westgate", "Hillcrest", "Riverbend", "Oakwood", "Central"], ["Branch"]),
                [N("number of seats", ["seats", "seat_count"], 20, 400), D("opening date", ["opened_on", "open_date"], "opened"), B(["open_weekends", "weekend_hours"], "open on weekends", "close on weekends")],
                P="library branches", stem="branch", label_cols=["name", "branch_name"]),
    "patron": E("patron", PEOPLE, [D("card issue date", ["card_issued", "member_since"], "got their cards"), N("age", ["age"], 6, 90, no_sum=True),
                                   B(["has_fines", "owes_fines"], "owe fines", "owe no fines")], who=True, label_cols=["full_name", "name", "patron_name"]),
    "item": E("catalog item", combo(["Atlas of", "Guide to", "History of", "Poems of"], ["Rivers", "Mountains", "Cities", "Birds", "Stars", "Machines"]),
              [C("format", ["format", "media_type", "kind"], ["Book", "DVD", "Audiobook", "Magazine"], "in {v} format"), N("publication year", ["pub_year", "year_published"], 1950, 2024, no_sum=True),
               N("number of copies", ["copies", "copy_count", "num_copies"], 1, 12)], stem="item", label_cols=["title", "item_title"], label_ph="title"),
    "loan": E("loan", None, [D("checkout date", ["checked_out", "loan_date", "borrowed_on"], "were checked out"), N("loan length in days", ["days_kept", "loan_days"], 1, 60),
                             B(["returned", "is_returned"], "were returned", "are still out")]),
}, [R("loan", "item", "of", role="item"), R("loan", "patron", "made by"), R("item", "branch", "held at", role="branch")])

DOMAINS["astronomy"] = ({
    "observatory": E("observatory", combo(["Mauna", "Cerro", "Roque", "Kitt", "Sierra", "Mount"], ["Alto", "Peak", "Ridge"]),
                     [N("altitude in meters", ["altitude_m", "elevation_m", "elevation"], 200, 4500), COUNTRY("in {v}"), D("founding date", ["founded_on", "first_light"], "were founded")],
                     P="observatories", label_cols=["name", "site_name", "obs_name"]),
    "telescope": E("telescope", combo(["Kepler", "Hale", "Vega", "Lyra", "Orion", "Draco"], ["I", "II", "III"]),
                   [N("aperture in meters", ["aperture_m", "aperture"], 0.5, 10, 1), C("telescope type", ["telescope_type", "kind", "design"], ["Reflector", "Refractor", "Radio"], "of type {v}"),
                    B(["is_robotic", "robotic"], "are robotic", "are manually operated")], label_cols=["name", "scope_name"]),
    "observation": E("observation", None, [D("observation date", ["observed_on", "obs_date"], "were made"), N("exposure in seconds", ["exposure_s", "exposure_sec"], 1, 3600),
                                           C("target type", ["target_type", "object_class"], ["Galaxy", "Nebula", "Comet", "Exoplanet", "Star cluster"], "of a {v}"),
                                           B(["is_calibrated", "calibrated"], "are calibrated", "are raw")]),
    "astronomer": E("astronomer", PEOPLE, [N("number of papers", ["papers", "paper_count"], 1, 200), COUNTRY()], who=True, label_cols=["name", "full_name"]),
}, [R("telescope", "observatory", "at"), R("observation", "telescope", "made with"), R("observation", "astronomer", "made by", role="astronomer",
                                                                                         fks=["astronomer_id", "observer_id"])])

DOMAINS["races"] = ({
    "race": E("race", combo(CITIES[:14], ["Marathon", "10K", "Half Marathon"]),
              [D("race date", ["race_date", "held_on"], "were held"), N("distance in km", ["distance_km", "km"], 5, 42.2, 1), N("entry fee", ["entry_fee", "fee"], 10, 150, 2),
               B(["is_trail", "trail"], "are trail races", "are road races")], label_cols=["name", "race_name", "event_name"]),
    "runner": E("runner", PEOPLE, [COUNTRY(), N("age", ["age"], 16, 80, no_sum=True), C("club", ["club", "club_name", "team"], ["Harriers", "Striders", "Road Runners", "Unattached"], "running for {v}"),
                                   B(["is_elite", "elite"], "are elite runners", "are amateur runners")], who=True, label_cols=["name", "full_name", "runner_name"]),
    "result": E("race result", None, [N("finish time in minutes", ["finish_min", "time_minutes", "chip_time_min"], 18, 330, 1), N("overall place", ["place", "overall_rank", "position_overall"], 1, 5000, no_sum=True),
                                      B(["personal_best", "is_pb"], "were personal bests", "were not personal bests")], stem="result"),
}, [R("result", "race", "in"), R("result", "runner", "run by")])

DOMAINS["marketplace"] = ({
    "seller": E("seller", combo(["vintage", "crafty", "urban", "retro", "green"], ["_corner", "_finds", "_market", "_studio"], ""),
                [COUNTRY("based in {v}"), RATING(), D("join date", ["joined_on", "created_on"], "joined"), B(["is_verified", "verified"], "are verified", "are not verified")],
                label_cols=["shop_name", "handle", "username"], label_ph="shop name"),
    "listing": E("listing", combo(["Handmade", "Vintage", "Upcycled", "Ceramic"], ["Mug", "Scarf", "Poster", "Vase", "Necklace", "Clock"]),
                 [PRICE(4, 350), N("stock level", ["stock", "available_qty"], 0, 40), C("condition", ["condition", "item_condition"], ["New", "Used", "Refurbished"], "in {v} condition"),
                  D("listing date", ["listed_on", "created_date"], "were listed")], label_cols=["title", "listing_title"], label_ph="title"),
    "buyer": E("buyer", PEOPLE, [CITY("from {v}"), N("number of orders", ["order_count", "orders_placed"], 1, 90)], who=True, label_cols=["name", "full_name", "buyer_name"]),
    "review": E("product review", None, [N("stars", ["stars", "rating"], 1, 5, no_sum=True), D("review date", ["reviewed_on", "posted_on"], "were posted"),
                                         B(["has_photo", "with_photo"], "include a photo", "include no photo")], stem="review"),
}, [R("listing", "seller", "sold by"), R("review", "listing", "of", role="listing"), R("review", "buyer", "written by")])

DOMAINS["airport_ops"] = ({
    "terminal": E("terminal", ["Terminal A", "Terminal B", "Terminal C", "Terminal D", "Terminal E", "North Pier", "South Pier", "Satellite 1"],
                  [N("number of gates", ["gates", "gate_count"], 4, 60), N("opening year", ["opened_year", "year_opened"], 1965, 2022, no_sum=True)], label_cols=["name", "terminal_name"]),
    "shop": E("duty-free shop", combo(["Sky", "Aero", "Jet", "Cloud"], ["Books", "Sweets", "Fashion", "Tech", "Perfume"]),
              [C("shop category", ["category", "shop_type"], ["Food", "Fashion", "Electronics", "Books"], "selling {v}"), N("monthly rent", ["monthly_rent", "rent"], 2000, 60000),
               B(["open_overnight", "night_open"], "open overnight", "close overnight")], stem="shop", label_cols=["name", "shop_name"]),
    "staff": E("ground staff member", PEOPLE, [C("role", ["job_role", "duty"], ["Baggage", "Security", "Check-in", "Ramp"], "working in {v}"), D("hire date", ["hired_on", "hire_date"], "were hired")],
               who=True, P="ground staff members", stem="ground_staff", label_cols=["name", "full_name"]),
}, [R("shop", "terminal", "in"), R("staff", "terminal", "assigned to", role="terminal")])

DOMAINS["nonprofit_housing"] = ({
    "building": E("building", combo(["Linden", "Carver", "Harper", "Mercer", "Dalton"], ["Court", "House", "Towers"]),
                  [N("number of units", ["unit_count", "units"], 6, 200), N("year built", ["year_built", "built"], 1900, 2022, no_sum=True), CITY(),
                   B(["has_elevator", "elevator"], "have an elevator", "have no elevator")], label_cols=["name", "building_name"]),
    "apartment": E("apartment", None, [N("monthly rent", ["rent", "monthly_rent", "rent_usd"], 400, 3000, 2), N("size in square meters", ["size_m2", "area_sqm"], 25, 140),
                                       N("number of bedrooms", ["bedrooms", "beds"], 0, 4), B(["is_vacant", "vacant"], "are vacant", "are occupied")], stem="apartment"),
    "tenant": E("tenant", PEOPLE, [D("move-in date", ["moved_in", "move_in_date"], "moved in"), N("household size", ["household_size", "occupants"], 1, 7),
                                   B(["receives_subsidy", "subsidized"], "receive a subsidy", "receive no subsidy")], who=True, label_cols=["full_name", "name"]),
    "repair": E("repair request", None, [D("request date", ["requested_on", "request_date"], "were requested"), C("trade", ["trade", "category"], ["Plumbing", "Electrical", "Heating", "Carpentry"], "for {v}"),
                                         N("cost", ["cost", "cost_usd"], 20, 3000, 2), B(["is_closed", "closed"], "are closed", "are still open")], stem="repair_request"),
}, [R("apartment", "building", "in"), R("tenant", "apartment", "living in"), R("repair", "apartment", "for")])


# ---------------------------------------------------------------- one database
def _keywords():
    from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS
    return set(RESERVED_KEYWORDS) | set(TYPE_FUNC_NAME_KEYWORDS) | set(COL_NAME_KEYWORDS)
KEYWORDS = _keywords()
_LEAK = re.compile(r"\b(" + "|".join(HELDOUT_WORDS) + r")", re.I)
_HELD_NAMES = {HELDOUT_DB} | {t["name"] for t in HELDOUT["tables"]}

def db_id(i): return f"synth_{i:04d}"

def _table_name(stem, style, prefix):
    many = stem if stem.endswith("staff") else plural(stem)
    name = {"plural": many, "singular": stem, "prefix": f"{prefix}_{many}", "tbl": f"tbl_{stem}"}[style]
    return many if name in KEYWORDS else name

def _col_name(rng, cols, taken):
    """A column name for an attribute: the first choice about half the time, else another; never a keyword or taken."""
    ok = [c for c in cols if c not in KEYWORDS and c not in taken]
    if not ok: return None
    return ok[0] if len(ok) == 1 or rng.random() < 0.45 else rng.choice(ok[1:])

def _num_type(rng, a):
    if a["dec"] == 0:
        return rng.choice(["INTEGER", "INTEGER", "INT", "BIGINT"] + (["SMALLINT"] if a["hi"] < 30000 else []))
    digits = len(str(int(a["hi"]))) + 2
    kinds = [f"NUMERIC({digits + 1},2)", f"NUMERIC({digits + 2},2)", f"DECIMAL({digits + 1},2)", "NUMERIC"]
    if a["hi"] < 10000 and a["dec"] == 1: kinds += ["REAL", "DOUBLE PRECISION"]
    return rng.choice(kinds)

def _text_type(rng, label=False):
    t = rng.choice(["TEXT", "TEXT", "VARCHAR(40)", "VARCHAR(60)", "VARCHAR(100)"])
    return t + (" NOT NULL" if label and rng.random() < 0.7 else "")

def _alias(name, prefix, taken):
    base = name[len(prefix) + 1:] if prefix and name.startswith(prefix + "_") else name
    base = base[4:] if base.startswith("tbl_") else base
    words = base.split("_")
    for a in ["".join(w[0] for w in words), words[-1][:2], words[-1][:3], base[:4]]:
        if a not in taken and a not in KEYWORDS: return a
    k = 2
    while f"{words[0][0]}{k}" in taken: k += 1
    return f"{words[0][0]}{k}"

def _values(rng, a, n, era):
    """n values of an attribute; numbers and dates distinct where the range allows (no ties at ORDER BY ... LIMIT)."""
    if a["kind"] == "num":
        lo, hi, dec = a["lo"], a["hi"], a["dec"]
        if dec == 0:
            span = int(hi) - int(lo) + 1
            if span >= 2 * n: return rng.sample(range(int(lo), int(hi) + 1), n)
            return [rng.randint(int(lo), int(hi)) for _ in range(n)]
        seen, out = set(), []
        while len(out) < n:
            x = round(rng.uniform(lo, hi), dec)
            if x not in seen or len(seen) > 10 * n: seen.add(x); out.append(x)
        return out
    if a["kind"] == "cat":
        pool = rng.sample(a["pool"], min(len(a["pool"]), rng.randint(3, 5)))
        vals = [rng.choice(pool) for _ in range(n)]
        if len(set(vals)) < 2: vals[0], vals[-1] = pool[0], pool[1]
        return vals
    if a["kind"] == "date":
        y0, y1 = a["years"] or era
        d0, days = date(y0, 1, 1), (date(y1, 12, 31) - date(y0, 1, 1)).days
        return [(d0 + timedelta(days=k)).isoformat() for k in rng.sample(range(days + 1), n)]
    if a["kind"] == "bool":
        p = rng.uniform(0.3, 0.7)
        vals = [rng.random() < p for _ in range(n)]
        if all(vals) or not any(vals): vals[0] = not vals[0]
        return vals
    raise ValueError(a["kind"])

def _pick_entities(rng, ents, rels):
    """A connected set of 2-5 entities of the domain and the relations among them."""
    k = min(len(ents), rng.choice([2, 3, 3, 3, 4, 4, 5, 5]))
    r0 = rng.choice(rels)
    chosen = [r0["parent"], r0["child"]]
    while len(chosen) < k:
        edges = [r for r in rels if (r["child"] in chosen) != (r["parent"] in chosen)]
        if not edges: break
        r = rng.choice(edges)
        chosen.append(r["parent"] if r["child"] in chosen else r["child"])
    return chosen, [r for r in rels if r["child"] in chosen and r["parent"] in chosen]

def make_db(i):
    """Database i: (db_id, spec, rng); the spec is what the templates of make_sample_data.py read."""
    rng = random.Random(f"synth:{i}")
    dkey = sorted(DOMAINS)[i % len(DOMAINS)]
    ents, rels = DOMAINS[dkey]
    keys, rels = _pick_entities(rng, ents, rels)
    style = rng.choices(["plural", "singular", "prefix", "tbl"], [50, 20, 20, 10])[0]
    prefix = rng.choice([dkey.split("_")[0][:3], dkey.split("_")[0][:3], "app", "core"]) if style == "prefix" else ""
    short_ids = rng.random() < 0.35          # `id` rather than `<entity>_id`
    era = (y0 := rng.randint(2012, 2023), y0 + (0 if rng.random() < 0.3 else rng.randint(1, 5)))
    # parents before children, so each REFERENCES names a table created above it
    order, left = [], list(keys)
    rng.shuffle(left)
    while left:
        k = next(k for k in left if all(r["parent"] in order for r in rels if r["child"] == k and r["parent"] != k))
        order.append(k); left.remove(k)
    names = {k: _table_name(ents[k]["stem"], style, prefix) for k in order}
    if len(set(names.values())) < len(names): names = {k: _table_name(ents[k]["stem"], "plural", "") for k in order}
    tables, aliases, pkcol = {}, set(), {}
    for k in order:
        e = ents[k]
        n = rng.randint(6, 10) if any(r["parent"] == k for r in rels) else rng.randint(8, 15)
        if e["label"]: n = min(n, len(e["label"]))
        pk = "id" if short_ids else f"{e['stem']}_id"
        pkcol[k] = pk
        pk_type = rng.choice(["INTEGER PRIMARY KEY"] * 3 + ["SERIAL PRIMARY KEY", "BIGINT PRIMARY KEY"])
        cols, rows_by_col, taken = [(pk, pk_type)], {}, {pk}
        rows_by_col[pk] = list(range(1, n + 1))
        t = dict(grammar=True, name=names[k], S=e["S"], P=e["P"], nums={}, cats={}, cat_preps={}, dates={}, bools={},
                 no_sum=[])
        if e["label"]:
            lc = _col_name(rng, e["label_cols"], taken)
            taken.add(lc)
            cols.append((lc, _text_type(rng, label=True)))
            rows_by_col[lc] = rng.sample(e["label"], n)
            t.update(label=lc, label_ph=e["label_ph"], text_label=True)
        else:
            t.update(label=pk, label_ph="id" if pk == "id" else f"{e['S']} id", text_label=False)
        for r in rels:
            if r["child"] != k: continue
            p = r["parent"]
            fk = _col_name(rng, r["fks"] or [f"{ents[p]['stem']}_id"], taken) or f"{ents[p]['stem']}_ref"
            taken.add(fk)
            r.setdefault("_fk", {})[i] = fk   # per database, read back below
            fk_type = "BIGINT" if "BIGINT" in tables[p]["cols"][0][1] else "INTEGER"
            cols.append((fk, f"{fk_type} REFERENCES {names[p]}({pkcol[p]})"))
            npar = len(tables[p]["rows"])
            weights = [rng.random() ** 2 + 0.05 for _ in range(npar)]
            rows_by_col[fk] = rng.choices(range(1, npar + 1), weights, k=n)
        room = 7 - len(cols)
        attrs = rng.sample(e["attrs"], min(len(e["attrs"]), room, rng.randint(2, 4) if room >= 2 else room))
        if len(cols) + len(attrs) < 3 and e["attrs"]: attrs = e["attrs"][:3 - len(cols)]
        for a in attrs:
            c = _col_name(rng, a["cols"], taken)
            if c is None: continue
            taken.add(c)
            kind = a["kind"]
            if kind == "num":
                cols.append((c, _num_type(rng, a))); t["nums"][c] = a["ph"]
                if a["no_sum"]: t["no_sum"].append(c)
            elif kind == "cat":
                cols.append((c, _text_type(rng))); t["cats"][c] = a["ph"]; t["cat_preps"][c] = a["prep"]
            elif kind == "date":
                cols.append((c, "DATE")); t["dates"][c] = (a["clause"], a["noun"])
            else:
                who = "who" if e["who"] else "that"
                cols.append((c, rng.choice(["BOOLEAN", "BOOLEAN", "BOOL"])))
                t["bools"][c] = (f"{who} {a['yes']}", f"{who} {a['no']}")
            rows_by_col[c] = _values(rng, a, n, era)
        if len(cols) < 7 and rng.random() < 0.15:   # a column no question asks about, as real schemas have
            c = rng.choice(["created_at", "updated_at", "notes"])
            if c not in taken:
                if c == "notes":
                    cols.append((c, "TEXT"))
                    rows_by_col[c] = [None if rng.random() < 0.7 else "see file" for _ in range(n)]
                else:
                    cols.append((c, "TIMESTAMP"))
                    rows_by_col[c] = [f"{rng.randint(2020, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
                                      f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00" for _ in range(n)]
        t["cols"] = cols
        t["rows"] = [tuple(rows_by_col[c][j] for c, _ in cols) for j in range(n)]
        t["alias"] = _alias(names[k], prefix, aliases | set(names.values()))
        aliases.add(t["alias"])
        tables[k] = t
    spec_rels = []
    for r in rels:
        c, p = tables[r["child"]], tables[r["parent"]]
        role = r["role"] or ents[r["parent"]]["S"]
        cP, by = c["P"], r["by"]
        spec_rels.append(dict(child=c["name"], parent=p["name"], fk=r["_fk"].pop(i), role=role, roles=plural(role),
                              by=by,
                              count_q=[f"How many {cP} are {by} each {role}?", f"Count the {cP} {by} each {role}.",
                                       f"For each {role}, how many {cP} are there?"]))
    spec = dict(grammar=True, domain=dkey, tables=[tables[k] for k in order], rels=spec_rels)
    return db_id(i), spec, rng


def leaks(text):
    """Held-out words or table names found in a text (none may be in training data)."""
    found = {m.group(0).lower() for m in _LEAK.finditer(text)}
    return found | {n for n in _HELD_NAMES if re.search(rf"\b{n}\b", text, re.I)}


def db_records(i, pg=None):
    """Database i's schema file text, its records and its drops [(question, sql, why)]. With `pg` (a Postgres), the
    database is loaded and every gold query checked; questions are taken in a fixed order until the quota is met."""
    db, spec, rng = make_db(i)
    sql_file = schema_file(db, spec, "generated by scripts/make_synthetic_data.py")
    schema = schema_text(spec)
    if leaks(sql_file): raise ValueError(f"{db}: held-out words {leaks(sql_file)} in the schema")
    quota = rng.randint(11, 15)
    cands, seen = [], set()
    for cat, qs, sql in instances(spec, rng):
        if sql in seen: continue
        seen.add(sql)
        cands.append((cat, qs, sql))
    first, rest = pick(cands, len(cands), rng, WEIGHTS)
    ordered = [(cat, rng.choice(qs), sql) for cat, qs, sql in first]   # phrasings fixed before any check
    if pg: pg.load(db, sql_file)
    recs, drops = [], []
    for cat, q, sql in ordered:
        if len(recs) == quota: break
        r = record(db, schema, cat, q, sql)
        if leaks(q): raise ValueError(f"{db}: held-out words {leaks(q)} in {q!r}")
        why = "too long" if rec_chars(r) > MAX_CHARS else (pg.check(db, sql) if pg else None)
        if why: drops.append((db, q, sql, why)); continue
        recs.append(r)
    return db, sql_file, recs, drops


def generate(indices, verify=True, progress=False):
    """{db_id: schema file text}, records (in database order), drops."""
    files, recs, drops = {}, [], []
    pg = Postgres() if verify else None
    try:
        for n, i in enumerate(indices):
            db, sql_file, rs, ds = db_records(i, pg)
            files[db] = sql_file; recs += rs; drops += ds
            if progress and (n + 1) % 50 == 0: print(f"  {n + 1}/{len(indices)} databases", file=sys.stderr)
    finally:
        if pg: pg.close()
    return files, recs, drops


def shuffled(recs):
    """The training file's order: a fixed shuffle, so that any prefix mixes databases."""
    recs = list(recs)
    random.Random("synth:shuffle").shuffle(recs)
    return recs


def jsonl_text(recs): return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-dbs", type=int, default=N_DBS)
    ap.add_argument("--no-verify", action="store_true", help="skip PostgreSQL (faster; drops nothing but length)")
    ap.add_argument("--check", action="store_true", help="regenerate in memory and compare with the files")
    args = ap.parse_args(argv)
    files, recs, drops = generate(range(1, args.n_dbs + 1), verify=not args.no_verify, progress=True)
    text = jsonl_text(shuffled(recs))
    if args.check:
        bad = [db for db, t in files.items()
               if not (SCHEMA_DIR / f"{db}.sql").exists() or (SCHEMA_DIR / f"{db}.sql").read_text() != t]
        extra = sorted({p.stem for p in SCHEMA_DIR.glob("*.sql")} - set(files))
        same = TRAIN_FILE.exists() and TRAIN_FILE.read_text(encoding="utf-8") == text
        print(f"synth_train.jsonl {'identical' if same else 'DIFFERS'}; "
              f"schema files differing: {bad[:5]} ({len(bad)}), extra: {extra[:5]}")
        return 0 if same and not bad and not extra else 1
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    for p in SCHEMA_DIR.glob("*.sql"):
        if p.stem not in files: p.unlink()
    for db, t in files.items(): (SCHEMA_DIR / f"{db}.sql").write_text(t)
    TRAIN_FILE.write_text(text, encoding="utf-8")
    for db, q, sql, why in drops: print(f"dropped {db} ({why}): {q}  |  {sql}")
    lens = sorted(rec_chars(r) for r in recs)
    size = sum((SCHEMA_DIR / f"{db}.sql").stat().st_size for db in files)
    why = dict(Counter(d[3].split(":")[0] for d in drops))
    print(f"{len(files)} databases, {len(recs)} records, dropped {len(drops)} {why}")
    print(f"chars (user + SQL) max {lens[-1]} median {statistics.median(lens)}; synth_train.jsonl "
          f"{TRAIN_FILE.stat().st_size / 1e6:.2f} MB; synth_schemas {size / 1e6:.2f} MB")
    print("categories", dict(sorted(Counter(r["category"] for r in recs).items())))
    ntab = Counter(len(make_db(i)[1]["tables"]) for i in range(1, args.n_dbs + 1))
    print("tables per db", dict(sorted(ntab.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
