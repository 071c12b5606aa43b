// Seals of what each audited write stored: one or more parts per entry, found by its number.
CREATE INDEX audit_state_seq IF NOT EXISTS FOR (s:AuditState) ON (s.seq);
