-- The tables as 2026-11-29-020000_consent_gate left them, rebuilt the same way as `up.sql`.

CREATE TABLE instance_new (
    singleton INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
    id TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    rule_version INTEGER NOT NULL DEFAULT 1
);
INSERT INTO instance_new (singleton, id, created_at, rule_version)
SELECT singleton, id, created_at, rule_version FROM instance;

CREATE TABLE recommendations_new (
    seq INTEGER PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    state_under_review TEXT NOT NULL,
    cycle INTEGER NOT NULL,
    session INTEGER NOT NULL,
    response TEXT,
    action_category INTEGER,
    natural_key TEXT NOT NULL UNIQUE,
    search_text TEXT NOT NULL,
    document TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO recommendations_new (seq, id, state_under_review, cycle, session, response,
    action_category, natural_key, search_text, document, version, created_at, updated_at)
SELECT seq, id, state_under_review, cycle, session, response,
    action_category, natural_key, search_text, document, version, created_at, updated_at
FROM recommendations;

CREATE TABLE recommendation_facets_new (
    recommendation_seq INTEGER NOT NULL REFERENCES recommendations_new (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (recommendation_seq, facet, value)
);
INSERT INTO recommendation_facets_new (recommendation_seq, facet, value)
SELECT recommendation_seq, facet, value FROM recommendation_facets;

CREATE TABLE stakeholders_new (
    seq INTEGER PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    country TEXT,
    natural_key TEXT NOT NULL UNIQUE,
    search_text TEXT NOT NULL,
    document TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    own_state TEXT
);
INSERT INTO stakeholders_new (seq, id, kind, country, natural_key, search_text, document,
    version, created_at, updated_at, own_state)
SELECT seq, id, kind, country, natural_key, search_text, document,
    version, created_at, updated_at, own_state
FROM stakeholders;

CREATE TABLE stakeholder_facets_new (
    stakeholder_seq INTEGER NOT NULL REFERENCES stakeholders_new (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (stakeholder_seq, facet, value)
);
INSERT INTO stakeholder_facets_new (stakeholder_seq, facet, value)
SELECT stakeholder_seq, facet, value FROM stakeholder_facets;

CREATE TABLE activities_new (
    seq INTEGER PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    submitter TEXT NOT NULL,
    submitter_kind TEXT NOT NULL,
    submitter_state TEXT,
    publication TEXT NOT NULL,
    status TEXT NOT NULL,
    modality TEXT,
    good_practice INTEGER NOT NULL,
    peer_to_peer INTEGER NOT NULL,
    active_from TEXT,
    active_to TEXT,
    public INTEGER NOT NULL,
    natural_key TEXT NOT NULL UNIQUE,
    search_text TEXT NOT NULL,
    document TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO activities_new (seq, id, submitter, submitter_kind, submitter_state, publication,
    status, modality, good_practice, peer_to_peer, active_from, active_to, public, natural_key,
    search_text, document, version, created_at, updated_at)
SELECT seq, id, submitter, submitter_kind, submitter_state, publication,
    status, modality, good_practice, peer_to_peer, active_from, active_to, public, natural_key,
    search_text, document, version, created_at, updated_at
FROM activities;

CREATE TABLE activity_facets_new (
    activity_seq INTEGER NOT NULL REFERENCES activities_new (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (activity_seq, facet, value)
);
INSERT INTO activity_facets_new (activity_seq, facet, value)
SELECT activity_seq, facet, value FROM activity_facets;

CREATE TABLE consents_new (
    seq INTEGER PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    decision TEXT NOT NULL,
    scope TEXT NOT NULL,
    target TEXT,
    document TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
INSERT INTO consents_new (seq, id, state, decision, scope, target, document, recorded_at)
SELECT seq, id, state, decision, scope, target, document, recorded_at FROM consents;

CREATE TABLE external_refs_new (
    entity TEXT NOT NULL,
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    PRIMARY KEY (entity, source, external_id)
);
INSERT INTO external_refs_new (entity, source, external_id, entity_id)
SELECT entity, source, external_id, entity_id FROM external_refs;

CREATE TABLE audit_log_new (
    seq INTEGER PRIMARY KEY NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    changes TEXT NOT NULL
);
INSERT INTO audit_log_new (seq, at, actor, role, entity, entity_id, operation, changes)
SELECT seq, at, actor, role, entity, entity_id, operation, changes FROM audit_log;

CREATE TABLE changes_new (
    seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    at TEXT NOT NULL,
    op TEXT NOT NULL,
    data TEXT,
    public_op TEXT,
    public_data TEXT
);
INSERT INTO changes_new (seq, entity, entity_id, at, op, data, public_op, public_data)
SELECT seq, entity, entity_id, at, op, data, public_op, public_data FROM changes;
DELETE FROM sqlite_sequence WHERE name = 'changes_new';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'changes_new', seq FROM sqlite_sequence WHERE name = 'changes';

DROP TABLE recommendation_facets;
DROP TABLE stakeholder_facets;
DROP TABLE activity_facets;
DROP TABLE recommendations;
DROP TABLE activities;
DROP TABLE stakeholders;
DROP TABLE consents;
DROP TABLE external_refs;
DROP TABLE audit_log;
DROP TABLE changes;
DROP TABLE instance;

ALTER TABLE instance_new RENAME TO instance;
ALTER TABLE recommendations_new RENAME TO recommendations;
ALTER TABLE recommendation_facets_new RENAME TO recommendation_facets;
ALTER TABLE stakeholders_new RENAME TO stakeholders;
ALTER TABLE stakeholder_facets_new RENAME TO stakeholder_facets;
ALTER TABLE activities_new RENAME TO activities;
ALTER TABLE activity_facets_new RENAME TO activity_facets;
ALTER TABLE consents_new RENAME TO consents;
ALTER TABLE external_refs_new RENAME TO external_refs;
ALTER TABLE audit_log_new RENAME TO audit_log;
ALTER TABLE changes_new RENAME TO changes;

CREATE INDEX recommendations_state ON recommendations (state_under_review, seq);
CREATE INDEX recommendations_session ON recommendations (session, seq);
CREATE INDEX recommendation_facets_lookup
    ON recommendation_facets (facet, value, recommendation_seq);
CREATE INDEX stakeholders_kind ON stakeholders (kind, seq);
CREATE INDEX stakeholders_country ON stakeholders (country, seq);
CREATE UNIQUE INDEX stakeholders_own_state ON stakeholders (own_state);
CREATE INDEX stakeholder_facets_lookup ON stakeholder_facets (facet, value, stakeholder_seq);
CREATE INDEX external_refs_entity ON external_refs (entity_id);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX activities_public ON activities (seq) WHERE public = 1;
CREATE INDEX activities_submitter ON activities (submitter, seq);
CREATE INDEX activities_status ON activities (status, seq);
CREATE INDEX activities_modality ON activities (modality, seq);
CREATE INDEX activity_facets_lookup ON activity_facets (facet, value, activity_seq);
CREATE INDEX consents_state ON consents (state, scope, target, seq);
CREATE INDEX consents_target ON consents (target, seq);
CREATE INDEX changes_public ON changes (seq) WHERE public_op IS NOT NULL;
CREATE INDEX changes_entity ON changes (entity, seq);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER consents_no_update BEFORE UPDATE ON consents
BEGIN
    SELECT RAISE(ABORT, 'consent records are append-only');
END;
CREATE TRIGGER consents_no_delete BEFORE DELETE ON consents
BEGIN
    SELECT RAISE(ABORT, 'consent records are append-only');
END;
