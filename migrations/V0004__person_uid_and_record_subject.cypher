// Opaque person ids (global ids must never carry an identity number) and records by subject.
CREATE CONSTRAINT person_uid IF NOT EXISTS FOR (p:Person) REQUIRE p.uid IS UNIQUE;
CREATE INDEX record_subject_key IF NOT EXISTS FOR (r:Record) ON (r.subjectKey);
CREATE INDEX record_polarity IF NOT EXISTS FOR (r:Record) ON (r.polarity);
