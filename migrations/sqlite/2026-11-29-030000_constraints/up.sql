-- The database holds the rules too: what the code writes, the tables now refuse otherwise.
--
-- * CHECK constraints on every enumerated column (the values of the domain enums' `as_str`,
--   of the reference vocabularies the code validates against, and of the writers in src/db),
--   on the 0/1 flags, and on the shape of ids: a UUID in canonical lowercase hyphenated text,
--   as `uuid::Uuid::to_string()` writes it, in every id column and every column or facet value
--   that names an item by id. SQLite has no functions of the schema's own, so the shape is
--   written out where it is checked: one GLOB of 8-4-4-4-12 lowercase hexadecimal digits
--   (fixed classes, no `*`: it is checked on every row a bulk upload writes, and a pattern
--   with `*` costs about twice as much).
-- * Foreign keys: an activity's submitter is a stakeholder (`activities.submitter` →
--   `stakeholders.id`); facet rows keep theirs (→ the parent's `seq`, removed with it, as
--   before). The code refuses to delete a stakeholder that activities name (a 409,
--   src/db/stakeholders.rs) before the key is reached: the key is a second line of defence,
--   never the answer. It is checked when the transaction commits (DEFERRABLE INITIALLY
--   DEFERRED): a State's first dry run of a bulk upload writes its rows as the stakeholder it
--   will be, not registered yet, and rolls them back (src/routes/bulk.rs).
-- * Triggers where one column names items of several kinds, which no single foreign key can
--   express: a consent record's `target` (an activity for scope `activity`, a stakeholder for
--   scope `submitter`, nothing for `all`) and a partner key's `entity_id` (a recommendation, a
--   stakeholder or an activity, by `entity`) must name an item that exists when the row is
--   written. Only then: `admin` may delete an activity a State decided on by name, and consent
--   records are append-only, so a record may outlive its target; partner keys are deleted with
--   their item by the code (src/db/table.rs), in the same transaction.
--
-- SQLite adds constraints only by rebuilding a table: each is created anew under a `_new`
-- name, filled from the old one (same `seq`, so the FTS5 tables, keyed by it, still match),
-- then the old one is dropped and the new one renamed; indexes and triggers are created again.
-- Diesel runs a migration in a transaction, where `PRAGMA foreign_keys` cannot be turned off,
-- so the order matters: a new child references the new parent (`*_new`, renamed with it), and
-- old children are dropped before their old parents (with foreign keys on, dropping a parent
-- deletes its rows first, which would cascade into children that still referenced it).
--
-- The modalities are reference data (api/reference/modalities.json): one added there needs a
-- migration that widens `activities_modality_check`.
--
-- A row that breaks a rule makes the migration fail, naming the constraint, and nothing
-- changes: such a row was not written by this code. E.g. an activity whose submitter is gone:
-- SELECT id, submitter FROM activities WHERE submitter NOT IN (SELECT id FROM stakeholders);

CREATE TABLE instance_new (
    singleton INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
    id TEXT NOT NULL CONSTRAINT instance_id_check
        CHECK ((id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    rule_version INTEGER NOT NULL DEFAULT 1
);
INSERT INTO instance_new (singleton, id, created_at, rule_version)
SELECT singleton, id, created_at, rule_version FROM instance;

CREATE TABLE recommendations_new (
    seq INTEGER PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE CONSTRAINT recommendations_id_check
        CHECK ((id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    state_under_review TEXT NOT NULL,
    cycle INTEGER NOT NULL,
    session INTEGER NOT NULL,
    response TEXT CONSTRAINT recommendations_response_check
        CHECK (response IN ('supported', 'supported_in_part', 'noted')),
    action_category INTEGER CONSTRAINT recommendations_action_category_check
        CHECK (action_category BETWEEN 1 AND 5),
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
    facet TEXT NOT NULL CONSTRAINT recommendation_facets_facet_check
        CHECK (facet IN ('recommending_state', 'theme', 'affected_persons', 'sdg_target')),
    value TEXT NOT NULL,
    PRIMARY KEY (recommendation_seq, facet, value)
);
INSERT INTO recommendation_facets_new (recommendation_seq, facet, value)
SELECT recommendation_seq, facet, value FROM recommendation_facets;

CREATE TABLE stakeholders_new (
    seq INTEGER PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE CONSTRAINT stakeholders_id_check
        CHECK ((id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    kind TEXT NOT NULL CONSTRAINT stakeholders_kind_check CHECK (kind IN ('state', 'un_entity',
        'international_organization', 'regional_organization', 'regional_human_rights_mechanism',
        'nhri', 'civil_society_organization', 'nmirf', 'parliament', 'academia',
        'private_sector', 'other')),
    country TEXT,
    natural_key TEXT NOT NULL UNIQUE,
    search_text TEXT NOT NULL,
    document TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- A State's own stakeholder is of kind `state`, and its State is its country.
    own_state TEXT CONSTRAINT stakeholders_own_state_check
        CHECK (own_state IS NULL OR (kind = 'state' AND own_state = country))
);
INSERT INTO stakeholders_new (seq, id, kind, country, natural_key, search_text, document,
    version, created_at, updated_at, own_state)
SELECT seq, id, kind, country, natural_key, search_text, document,
    version, created_at, updated_at, own_state
FROM stakeholders;

CREATE TABLE stakeholder_facets_new (
    stakeholder_seq INTEGER NOT NULL REFERENCES stakeholders_new (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL CONSTRAINT stakeholder_facets_facet_check
        CHECK (facet IN ('theme', 'language', 'region')),
    value TEXT NOT NULL,
    PRIMARY KEY (stakeholder_seq, facet, value)
);
INSERT INTO stakeholder_facets_new (stakeholder_seq, facet, value)
SELECT stakeholder_seq, facet, value FROM stakeholder_facets;

CREATE TABLE activities_new (
    seq INTEGER PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE CONSTRAINT activities_id_check
        CHECK ((id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    submitter TEXT NOT NULL CONSTRAINT activities_submitter_fkey
        REFERENCES stakeholders_new (id) DEFERRABLE INITIALLY DEFERRED
        CONSTRAINT activities_submitter_check
        CHECK ((submitter GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    submitter_kind TEXT NOT NULL CONSTRAINT activities_submitter_kind_check
        CHECK (submitter_kind IN ('state', 'un_entity', 'international_organization',
        'regional_organization', 'regional_human_rights_mechanism', 'nhri',
        'civil_society_organization', 'nmirf', 'parliament', 'academia', 'private_sector',
        'other')),
    submitter_state TEXT,
    publication TEXT NOT NULL CONSTRAINT activities_publication_check
        CHECK (publication IN ('draft', 'submitted', 'withdrawn')),
    status TEXT NOT NULL CONSTRAINT activities_status_check CHECK (status IN ('pipeline',
        'implementation', 'finalisation', 'closed', 'cancelled', 'suspended')),
    modality TEXT CONSTRAINT activities_modality_check CHECK (modality IN ('training',
        'legislative_advice', 'institution_building', 'data_and_indicators',
        'awareness_raising', 'peer_exchange', 'needs_assessment', 'nmirf_support',
        'reporting_support', 'other')),
    good_practice INTEGER NOT NULL CONSTRAINT activities_good_practice_check
        CHECK (good_practice IN (0, 1)),
    peer_to_peer INTEGER NOT NULL CONSTRAINT activities_peer_to_peer_check
        CHECK (peer_to_peer IN (0, 1)),
    active_from TEXT,
    active_to TEXT,
    public INTEGER NOT NULL CONSTRAINT activities_public_check CHECK (public IN (0, 1)),
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
SELECT activity_seq, facet, value FROM activity_facets;

CREATE TABLE consents_new (
    seq INTEGER PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE CONSTRAINT consents_id_check
        CHECK ((id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    state TEXT NOT NULL,
    decision TEXT NOT NULL CONSTRAINT consents_decision_check
        CHECK (decision IN ('granted', 'refused', 'withdrawn')),
    scope TEXT NOT NULL CONSTRAINT consents_scope_check
        CHECK (scope IN ('all', 'submitter', 'activity')),
    -- The stakeholder (scope `submitter`) or the activity (scope `activity`) it covers; none
    -- for `all`.
    target TEXT CONSTRAINT consents_target_check
        CHECK (CASE scope
            WHEN 'all' THEN target IS NULL
            ELSE target IS NOT NULL
                AND (target GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]') END),
    document TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
INSERT INTO consents_new (seq, id, state, decision, scope, target, document, recorded_at)
SELECT seq, id, state, decision, scope, target, document, recorded_at FROM consents;

CREATE TABLE external_refs_new (
    -- `recommendation`, `stakeholder`, or `activity:<submitter id>` (keys of activities are
    -- unique per submitter).
    entity TEXT NOT NULL CONSTRAINT external_refs_entity_check
        CHECK (entity IN ('recommendation', 'stakeholder')
            OR (substr(entity, 1, 9) = 'activity:'
                AND (substr(entity, 10) GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'))),
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    entity_id TEXT NOT NULL CONSTRAINT external_refs_entity_id_check
        CHECK ((entity_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    PRIMARY KEY (entity, source, external_id)
);
INSERT INTO external_refs_new (entity, source, external_id, entity_id)
SELECT entity, source, external_id, entity_id FROM external_refs;

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
SELECT seq, at, actor, role, entity, entity_id, operation, changes FROM audit_log;

CREATE TABLE changes_new (
    seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    entity TEXT NOT NULL CONSTRAINT changes_entity_check CHECK (entity IN ('recommendation',
        'stakeholder', 'activity', 'consent', 'assistance_request', 'offer')),
    entity_id TEXT NOT NULL CONSTRAINT changes_entity_id_check
        CHECK ((entity_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    at TEXT NOT NULL,
    op TEXT NOT NULL CONSTRAINT changes_op_check CHECK (op IN ('upsert', 'delete')),
    -- An upsert carries the item; a deletion nothing.
    data TEXT CONSTRAINT changes_data_check CHECK ((op = 'upsert') = (data IS NOT NULL)),
    public_op TEXT CONSTRAINT changes_public_op_check CHECK (public_op IN ('upsert', 'delete')),
    -- Only a public upsert carries a public representation (when it differs from `data`).
    public_data TEXT CONSTRAINT changes_public_data_check
        CHECK (public_data IS NULL OR public_op = 'upsert')
);
INSERT INTO changes_new (seq, entity, entity_id, at, op, data, public_op, public_data)
SELECT seq, entity, entity_id, at, op, data, public_op, public_data FROM changes;
-- AUTOINCREMENT's high-water mark goes with the table: a feed position is never given twice.
DELETE FROM sqlite_sequence WHERE name = 'changes_new';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'changes_new', seq FROM sqlite_sequence WHERE name = 'changes';

-- Children before their parents (see above); indexes and triggers go with their tables.
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

-- Renaming a parent renames the references of its new children and of activities.
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

-- The indexes of 2026-11-28-010000 to 2026-11-29-020000, as they were.
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

-- The append-only triggers, as they were.
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

-- A consent record names an existing target when it is recorded.
CREATE TRIGGER consents_target_exists BEFORE INSERT ON consents
WHEN (NEW.scope = 'activity' AND NOT EXISTS (SELECT 1 FROM activities WHERE id = NEW.target))
  OR (NEW.scope = 'submitter' AND NOT EXISTS (SELECT 1 FROM stakeholders WHERE id = NEW.target))
BEGIN
    SELECT RAISE(ABORT, 'a consent record names a target that does not exist');
END;

-- A partner key names an existing item of its kind (an activity of its submitter).
CREATE TRIGGER external_refs_entity_exists BEFORE INSERT ON external_refs
WHEN NOT CASE
    WHEN NEW.entity = 'recommendation'
        THEN EXISTS (SELECT 1 FROM recommendations WHERE id = NEW.entity_id)
    WHEN NEW.entity = 'stakeholder'
        THEN EXISTS (SELECT 1 FROM stakeholders WHERE id = NEW.entity_id)
    ELSE EXISTS (SELECT 1 FROM activities
                 WHERE id = NEW.entity_id AND 'activity:' || submitter = NEW.entity)
END
BEGIN
    SELECT RAISE(ABORT, 'a partner key names an item that does not exist');
END;
CREATE TRIGGER external_refs_entity_exists_on_update
BEFORE UPDATE OF entity, entity_id ON external_refs
WHEN NOT CASE
    WHEN NEW.entity = 'recommendation'
        THEN EXISTS (SELECT 1 FROM recommendations WHERE id = NEW.entity_id)
    WHEN NEW.entity = 'stakeholder'
        THEN EXISTS (SELECT 1 FROM stakeholders WHERE id = NEW.entity_id)
    ELSE EXISTS (SELECT 1 FROM activities
                 WHERE id = NEW.entity_id AND 'activity:' || submitter = NEW.entity)
END
BEGIN
    SELECT RAISE(ABORT, 'a partner key names an item that does not exist');
END;
