// Signed checkpoints of the audit chain's head: one per signed sequence number.
CREATE CONSTRAINT audit_checkpoint_seq IF NOT EXISTS FOR (c:AuditCheckpoint) REQUIRE c.seq IS UNIQUE;
