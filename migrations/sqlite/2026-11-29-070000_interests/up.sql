-- From match to activity (issue 11): a provider expresses interest in a State's assistance
-- request, citing its offer; the State (or `admin`) accepts one, the request is matched, and
-- an activity is created from the match, naming the request and the offer.
--
-- * `interests` (src/db/interests.rs): typed columns, not a document table. Interests are
--   never public (the request's State, the provider and `admin` read them), so they have no
--   facets, no full text and no place in the change feed or the snapshot; every write is in
--   the audit trail. One interest per request and offer; at most one accepted per request; an
--   activity is recorded only on an accepted interest. The request, the offer and the provider
--   are foreign keys: the code refuses first (409) to delete a request or an offer that an
--   interest names (src/db/assistance_requests.rs, src/db/offers.rs). The activity is not a
--   key: its submitter or `admin` may delete it, and the match may then make another.
-- * The audit trail records interests: `audit_log.entity` takes `interest`. SQLite changes a
--   CHECK only by rebuilding the table: it is created anew under a `_new` name, filled from
--   the old one (same `seq`), the old one dropped and the new one renamed; its indexes and
--   append-only triggers are created again as they were (2026-11-29-030000_constraints,
--   2026-11-29-050000_typed_columns).
-- * An activity names the request and the offer it came from (its `assistance_request` and
--   `offer`), and its facets say so, so that lists filter by them and neither is deleted while
--   an activity names it: `activity_facets` is rebuilt the same way with the two new facets.

CREATE TABLE interests (
    seq INTEGER PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE CONSTRAINT interests_id_check CHECK ((id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    -- The request it is for.
    assistance_request TEXT NOT NULL CONSTRAINT interests_assistance_request_fkey
        REFERENCES assistance_requests (id)
        CONSTRAINT interests_assistance_request_check CHECK ((assistance_request GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    -- The provider's offer it cites.
    offer TEXT NOT NULL CONSTRAINT interests_offer_fkey REFERENCES offers (id)
        CONSTRAINT interests_offer_check CHECK ((offer GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    -- The provider: the offer's stakeholder when the interest was expressed.
    stakeholder TEXT NOT NULL CONSTRAINT interests_stakeholder_fkey REFERENCES stakeholders (id)
        CONSTRAINT interests_stakeholder_check CHECK ((stakeholder GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    status TEXT NOT NULL CONSTRAINT interests_status_check
        CHECK (status IN ('pending', 'accepted', 'declined', 'withdrawn')),
    message TEXT,
    -- The activity created from the match: only an accepted interest has one.
    activity TEXT CONSTRAINT interests_activity_check
        CHECK (activity IS NULL OR ((activity GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]') AND status = 'accepted')),
    version BIGINT NOT NULL CONSTRAINT interests_version_check CHECK (version >= 1),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT interests_request_offer_key UNIQUE (assistance_request, offer)
);
CREATE INDEX interests_request ON interests (assistance_request, seq);
CREATE INDEX interests_offer ON interests (offer);
CREATE INDEX interests_stakeholder ON interests (stakeholder);
-- A request accepts one interest.
CREATE UNIQUE INDEX interests_accepted ON interests (assistance_request) WHERE status = 'accepted';

CREATE TABLE audit_log_new (
    seq INTEGER PRIMARY KEY NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    -- A token's role, or `operator` for the command line (src/db/audit.rs).
    role TEXT NOT NULL CONSTRAINT audit_log_role_check
        CHECK (role IN ('admin', 'state', 'contributor', 'sync', 'operator')),
    -- The kinds of item (src/db/changes.rs, `TYPES`), and `interest`, which the
    -- feed does not carry.
    entity TEXT NOT NULL CONSTRAINT audit_log_entity_check CHECK (entity IN ('recommendation',
        'stakeholder', 'activity', 'consent', 'assistance_request', 'offer', 'interest')),
    entity_id TEXT NOT NULL CONSTRAINT audit_log_entity_id_check
        CHECK ((entity_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    operation TEXT NOT NULL CONSTRAINT audit_log_operation_check
        CHECK (operation IN ('create', 'update', 'delete')),
    changes TEXT NOT NULL
);
INSERT INTO audit_log_new (seq, at, actor, role, entity, entity_id, operation, changes)
SELECT seq, at, actor, role, entity, entity_id, operation, changes FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
-- Its indexes and append-only triggers, as they were.
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

CREATE TABLE activity_facets_new (
    activity_seq INTEGER NOT NULL REFERENCES activities (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL CONSTRAINT activity_facets_facet_check CHECK (facet IN ('state',
        'regional_group', 'participant', 'role', 'stakeholder', 'recommendation', 'theme',
        'sdg_target', 'funding_source', 'awaiting', 'refused',
        'assistance_request', 'offer')),
    value TEXT NOT NULL,
    -- Facets that name items name them by id; a participant is `id|role`.
    CONSTRAINT activity_facets_value_check CHECK (CASE facet
        WHEN 'stakeholder' THEN
            (value GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')
        WHEN 'recommendation' THEN
            (value GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')
        WHEN 'assistance_request' THEN
            (value GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')
        WHEN 'offer' THEN
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
DROP TABLE activity_facets;
ALTER TABLE activity_facets_new RENAME TO activity_facets;
CREATE INDEX activity_facets_lookup ON activity_facets (facet, value, activity_seq);
