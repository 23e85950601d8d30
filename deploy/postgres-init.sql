-- Run once by the postgres image on an empty data volume (docker-entrypoint-initdb.d):
-- Rasa's tracker store gets a database of its own next to the store's `concierge`, as in
-- the scaled stack (concierge/scale.py, TRACKER_DATABASE).
CREATE DATABASE tracker;
