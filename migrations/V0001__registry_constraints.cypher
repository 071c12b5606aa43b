// Business keys of the registry: one node per code, identity number, record id and authority.
CREATE CONSTRAINT company_uscc IF NOT EXISTS FOR (c:Company) REQUIRE c.uscc IS UNIQUE;
CREATE CONSTRAINT person_id_number IF NOT EXISTS FOR (p:Person) REQUIRE p.idNumber IS UNIQUE;
CREATE CONSTRAINT record_record_id IF NOT EXISTS FOR (r:Record) REQUIRE r.recordId IS UNIQUE;
CREATE CONSTRAINT authority_name IF NOT EXISTS FOR (a:Authority) REQUIRE a.name IS UNIQUE;
