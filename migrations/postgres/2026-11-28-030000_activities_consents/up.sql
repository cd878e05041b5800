-- Activities are stored like recommendations and stakeholders: the API document plus the
-- columns and facet rows filters use. `public` and the facets `awaiting` and `refused` hold the
-- publication rule's verdict (src/domain/publication.rs), kept current by every write that can
-- change it: the activity's own, a consent record of a State it concerns, a change of its
-- submitter's kind or country (src/db/activities.rs).
CREATE TABLE activities (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    submitter TEXT NOT NULL,
    submitter_kind TEXT NOT NULL,
    -- The State the submitter is, when the submitter is a State's own stakeholder.
    submitter_state TEXT,
    publication TEXT NOT NULL,
    status TEXT NOT NULL,
    modality TEXT,
    good_practice INTEGER NOT NULL,
    peer_to_peer INTEGER NOT NULL,
    -- When it runs: actual dates, else planned ones (ISO dates, so text order is date order).
    active_from TEXT,
    active_to TEXT,
    public INTEGER NOT NULL,
    -- Submitter, normalised title and planned start: the same activity imported twice is one.
    natural_key TEXT NOT NULL UNIQUE,
    search_text TEXT NOT NULL,
    search tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED,
    document TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- Public activities in creation order: what anonymous lists scan. Partial, so that it holds
-- only them and planners prefer it to scanning every activity.
CREATE INDEX activities_public ON activities (seq) WHERE public = 1;
CREATE INDEX activities_submitter ON activities (submitter, seq);
CREATE INDEX activities_status ON activities (status, seq);
CREATE INDEX activities_modality ON activities (modality, seq);

-- state, regional_group, stakeholder, participant (`id|role`), role, recommendation, theme,
-- sdg_target, funding_source, and the verdict: awaiting, refused (a State code each).
CREATE TABLE activity_facets (
    activity_seq BIGINT NOT NULL REFERENCES activities (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (activity_seq, facet, value)
);
CREATE INDEX activity_facets_lookup ON activity_facets (facet, value, activity_seq);

CREATE INDEX activities_search ON activities USING GIN (search);

-- States' decisions about publication, append-only: a change is a new record, and the
-- effective consent is derived (the most recent record of the narrowest scope).
CREATE TABLE consents (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    decision TEXT NOT NULL,
    scope TEXT NOT NULL,
    -- The stakeholder (scope `submitter`) or the activity (scope `activity`) it covers.
    target TEXT,
    document TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX consents_state ON consents (state, scope, target, seq);
CREATE INDEX consents_target ON consents (target, seq);

CREATE FUNCTION consents_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'consent records are append-only';
END;
$$;
CREATE TRIGGER consents_no_change BEFORE UPDATE OR DELETE ON consents
    FOR EACH ROW EXECUTE FUNCTION consents_append_only();
