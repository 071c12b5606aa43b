// Lookups that are not business keys: registration number, record dates for the publicity feed.
CREATE INDEX company_registration_number IF NOT EXISTS FOR (c:Company) ON (c.registrationNumber);
CREATE INDEX record_decided_on IF NOT EXISTS FOR (r:Record) ON (r.decidedOn);
