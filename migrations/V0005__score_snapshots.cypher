// Score snapshots: one node per change of a subject's score under a scheme, kept as history.
CREATE CONSTRAINT score_snapshot_id IF NOT EXISTS FOR (s:ScoreSnapshot) REQUIRE s.snapshotId IS UNIQUE;
CREATE INDEX score_snapshot_subject IF NOT EXISTS FOR (s:ScoreSnapshot) ON (s.subjectScheme);
CREATE INDEX score_snapshot_blacklist IF NOT EXISTS FOR (s:ScoreSnapshot) ON (s.blacklistedIn);
