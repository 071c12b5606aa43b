// Disputes of records and requests to end a record's publication early (restoration).
CREATE CONSTRAINT dispute_id IF NOT EXISTS FOR (d:Dispute) REQUIRE d.disputeId IS UNIQUE;
CREATE INDEX dispute_status IF NOT EXISTS FOR (d:Dispute) ON (d.status);
CREATE INDEX dispute_subject IF NOT EXISTS FOR (d:Dispute) ON (d.subjectKey);
CREATE INDEX dispute_record IF NOT EXISTS FOR (d:Dispute) ON (d.recordId);
