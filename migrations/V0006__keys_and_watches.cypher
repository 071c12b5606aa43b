// API keys (stored salted and hashed), watches and the events delivered to watchers.
CREATE CONSTRAINT api_key_id IF NOT EXISTS FOR (k:ApiKey) REQUIRE k.keyId IS UNIQUE;
CREATE CONSTRAINT watch_id IF NOT EXISTS FOR (w:Watch) REQUIRE w.watchId IS UNIQUE;
CREATE INDEX watch_watcher IF NOT EXISTS FOR (w:Watch) ON (w.watcher);
CREATE INDEX watch_subject IF NOT EXISTS FOR (w:Watch) ON (w.subjectKey);
CREATE CONSTRAINT watch_event_id IF NOT EXISTS FOR (e:WatchEvent) REQUIRE e.eventId IS UNIQUE;
CREATE INDEX watch_event_subject IF NOT EXISTS FOR (e:WatchEvent) ON (e.subjectKey);
