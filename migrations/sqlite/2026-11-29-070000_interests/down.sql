-- Reverting forgets interests: their rows, their audit entries, and the activities' facets
-- naming requests and offers (the activities' documents keep the two fields, which the code
-- of before this migration does not read).

CREATE TABLE activity_facets_new (
    activity_seq INTEGER NOT NULL REFERENCES activities (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL CONSTRAINT activity_facets_facet_check CHECK (facet IN ('state',
        'regional_group', 'participant', 'role', 'stakeholder', 'recommendation', 'theme',
        'sdg_target', 'funding_source', 'awaiting', 'refused')),
    value TEXT NOT NULL,
    -- Facets that name items name them by id; a participant is `id|role`.
    CONSTRAINT activity_facets_value_check CHECK (CASE facet
        WHEN 'stakeholder' THEN
            (value GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')
        WHEN 'recommendation' THEN
            (value GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')
        WHEN 'participant' THEN
            (substr(value, 1, 36) GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')
            AND substr(value, 37, 1) = '|'
            AND substr(value, 38) IN ('funding', 'accountable', 'extending', 'implementing')
        WHEN 'role' THEN value IN ('funding', 'accountable', 'extending', 'implementing')
        WHEN 'regional_group' THEN value IN ('african', 'asia_pacific', 'eastern_european',
            'latin_american_and_caribbean', 'western_european_and_others')
        ELSE 1 END),
    PRIMARY KEY (activity_seq, facet, value)
);
INSERT INTO activity_facets_new (activity_seq, facet, value)
SELECT activity_seq, facet, value FROM activity_facets
WHERE facet NOT IN ('assistance_request', 'offer');
DROP TABLE activity_facets;
ALTER TABLE activity_facets_new RENAME TO activity_facets;
CREATE INDEX activity_facets_lookup ON activity_facets (facet, value, activity_seq);

CREATE TABLE audit_log_new (
    seq INTEGER PRIMARY KEY NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    -- A token's role, or `operator` for the command line (src/db/audit.rs).
    role TEXT NOT NULL CONSTRAINT audit_log_role_check
        CHECK (role IN ('admin', 'state', 'contributor', 'sync', 'operator')),
    -- The kinds of item (src/db/changes.rs, `TYPES`).
    entity TEXT NOT NULL CONSTRAINT audit_log_entity_check CHECK (entity IN ('recommendation',
        'stakeholder', 'activity', 'consent', 'assistance_request', 'offer')),
    entity_id TEXT NOT NULL CONSTRAINT audit_log_entity_id_check
        CHECK ((entity_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    operation TEXT NOT NULL CONSTRAINT audit_log_operation_check
        CHECK (operation IN ('create', 'update', 'delete')),
    changes TEXT NOT NULL
);
INSERT INTO audit_log_new (seq, at, actor, role, entity, entity_id, operation, changes)
SELECT seq, at, actor, role, entity, entity_id, operation, changes FROM audit_log
WHERE entity <> 'interest';
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;

DROP TABLE interests;
