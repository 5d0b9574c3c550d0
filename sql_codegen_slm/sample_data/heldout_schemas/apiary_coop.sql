-- Synthetic sample database 'apiary_coop' for sql-codegen-slm (hand-written held-out database: never in training; scripts/make_sample_data.py).
CREATE TABLE beekeepers (beekeeper_id INTEGER PRIMARY KEY, full_name TEXT NOT NULL, village TEXT, joined_on DATE, organic_certified BOOLEAN);
CREATE TABLE apiaries (apiary_id INTEGER PRIMARY KEY, site_name TEXT NOT NULL, beekeeper_id INTEGER REFERENCES beekeepers(beekeeper_id), region TEXT, altitude_m INTEGER);
CREATE TABLE hives (hive_id INTEGER PRIMARY KEY, apiary_id INTEGER REFERENCES apiaries(apiary_id), hive_type TEXT, queen_year INTEGER, installed_on DATE, is_active BOOLEAN);
CREATE TABLE harvests (harvest_id INTEGER PRIMARY KEY, hive_id INTEGER REFERENCES hives(hive_id), harvest_date DATE, honey_kg NUMERIC(6,2), floral_source TEXT, moisture_pct NUMERIC(4,1));

INSERT INTO beekeepers (beekeeper_id, full_name, village, joined_on, organic_certified) VALUES
  (1, 'Ingrid Solberg', 'Lindholm', '2016-04-12', TRUE),
  (2, 'Tomasz Wrona', 'Brzezina', '2018-09-03', FALSE),
  (3, 'Amara Okoye', 'Lindholm', '2019-03-21', TRUE),
  (4, 'Pierre Castel', 'Saint-Vallier', '2015-06-30', TRUE),
  (5, 'Rosa Delgado', 'Brzezina', '2020-05-14', FALSE),
  (6, 'Hamish Reid', 'Glenmoray', '2017-02-08', TRUE),
  (7, 'Yuki Tanaka', 'Saint-Vallier', '2021-07-19', FALSE),
  (8, 'Greta Lind', 'Glenmoray', '2022-04-02', TRUE);
INSERT INTO apiaries (apiary_id, site_name, beekeeper_id, region, altitude_m) VALUES
  (1, 'Clover Hill', 1, 'Northern Lowlands', 120),
  (2, 'Birch Hollow', 1, 'Northern Lowlands', 85),
  (3, 'Old Mill Meadow', 2, 'Eastern Plateau', 430),
  (4, 'Sunny Terrace', 3, 'Northern Lowlands', 150),
  (5, 'Lavender Ridge', 4, 'Southern Hills', 610),
  (6, 'Chestnut Grove', 4, 'Southern Hills', 540),
  (7, 'Heath Corner', 6, 'Highlands', 780),
  (8, 'Thistle Brae', 6, 'Highlands', 905),
  (9, 'Poplar Bend', 7, 'Southern Hills', 320),
  (10, 'Willow Creek', 8, 'Highlands', 690);
INSERT INTO hives (hive_id, apiary_id, hive_type, queen_year, installed_on, is_active) VALUES
  (1, 1, 'Langstroth', 2023, '2019-04-10', TRUE),
  (2, 1, 'Langstroth', 2022, '2019-04-10', TRUE),
  (3, 2, 'Warre', 2024, '2020-05-02', TRUE),
  (4, 3, 'Dadant', 2021, '2018-06-15', FALSE),
  (5, 3, 'Langstroth', 2023, '2021-04-28', TRUE),
  (6, 4, 'Top-bar', 2022, '2019-05-20', TRUE),
  (7, 5, 'Dadant', 2024, '2016-04-05', TRUE),
  (8, 5, 'Dadant', 2020, '2016-04-05', FALSE),
  (9, 6, 'Langstroth', 2023, '2017-05-11', TRUE),
  (10, 7, 'Warre', 2022, '2018-04-22', TRUE),
  (11, 7, 'Top-bar', 2021, '2020-06-01', FALSE),
  (12, 8, 'Warre', 2024, '2022-05-09', TRUE),
  (13, 9, 'Langstroth', 2023, '2021-05-17', TRUE),
  (14, 10, 'Dadant', 2022, '2022-04-30', TRUE),
  (15, 10, 'Top-bar', 2024, '2023-05-06', TRUE),
  (16, 6, 'Langstroth', 2019, '2017-05-11', FALSE);
INSERT INTO harvests (harvest_id, hive_id, harvest_date, honey_kg, floral_source, moisture_pct) VALUES
  (1, 1, '2023-06-18', 14.5, 'Clover', 17.2),
  (2, 2, '2023-06-18', 11.2, 'Clover', 17.8),
  (3, 3, '2023-07-02', 8.75, 'Wildflower', 18.1),
  (4, 5, '2023-07-09', 12.4, 'Acacia', 16.9),
  (5, 6, '2023-07-15', 6.3, 'Wildflower', 18.6),
  (6, 7, '2023-07-22', 16.8, 'Lavender', 17),
  (7, 9, '2023-08-05', 13.1, 'Chestnut', 17.5),
  (8, 10, '2023-08-12', 9.6, 'Heather', 18.9),
  (9, 12, '2023-08-26', 7.25, 'Heather', 19.2),
  (10, 1, '2023-08-30', 10.9, 'Wildflower', 17.9),
  (11, 13, '2023-09-03', 12, 'Chestnut', 17.4),
  (12, 14, '2023-09-10', 9.15, 'Heather', 18.4),
  (13, 1, '2024-06-09', 15.3, 'Clover', 17.1),
  (14, 2, '2024-06-09', 12.75, 'Clover', 17.6),
  (15, 3, '2024-06-23', 9.4, 'Wildflower', 18),
  (16, 5, '2024-07-01', 13.85, 'Acacia', 16.8),
  (17, 7, '2024-07-14', 18.2, 'Lavender', 16.7),
  (18, 9, '2024-07-28', 11.6, 'Chestnut', 17.7),
  (19, 10, '2024-08-04', 10.05, 'Heather', 18.8),
  (20, 12, '2024-08-18', 8.4, 'Heather', 19),
  (21, 13, '2024-08-25', 12.9, 'Chestnut', 17.3),
  (22, 15, '2024-09-01', 5.7, 'Wildflower', 18.7),
  (23, 6, '2024-09-08', 7.1, 'Wildflower', 18.5),
  (24, 14, '2024-09-15', 10.35, 'Heather', 18.2);
