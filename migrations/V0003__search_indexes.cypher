// Full-text search on names; graph/dialect.py creates these through SQL on the embedded backend.
CREATE FULLTEXT INDEX company_name IF NOT EXISTS FOR (c:Company) ON EACH [c.name];
CREATE FULLTEXT INDEX person_name IF NOT EXISTS FOR (p:Person) ON EACH [p.name];
