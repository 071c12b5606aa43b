// The audit chain: entries linked by hashes, one head holding the latest, mentions per subject.
CREATE CONSTRAINT audit_entry_seq IF NOT EXISTS FOR (e:AuditEntry) REQUIRE e.seq IS UNIQUE;
CREATE CONSTRAINT audit_head_chain IF NOT EXISTS FOR (h:AuditHead) REQUIRE h.chain IS UNIQUE;
CREATE INDEX audit_mention_subject IF NOT EXISTS FOR (m:AuditMention) ON (m.subjectKey);
