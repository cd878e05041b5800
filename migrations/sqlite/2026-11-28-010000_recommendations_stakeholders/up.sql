-- Recommendations and stakeholders are stored as their API document (`document`, JSON text)
-- plus the columns and facet rows that filters use. Writes keep both in step, in one
-- transaction, through src/db/recommendations.rs and src/db/stakeholders.rs.

CREATE TABLE recommendations (
    seq INTEGER PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    state_under_review TEXT NOT NULL,
    cycle INTEGER NOT NULL,
    session INTEGER NOT NULL,
    response TEXT,
    action_category INTEGER,
    -- State under review, session and normalised text: importing the same data twice finds it.
    natural_key TEXT NOT NULL UNIQUE,
    search_text TEXT NOT NULL,
    document TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX recommendations_state ON recommendations (state_under_review, seq);
CREATE INDEX recommendations_session ON recommendations (session, seq);

-- Multi-valued filters: recommending_state, theme, affected_persons, sdg_target.
CREATE TABLE recommendation_facets (
    recommendation_seq INTEGER NOT NULL REFERENCES recommendations (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (recommendation_seq, facet, value)
);
CREATE INDEX recommendation_facets_lookup ON recommendation_facets (facet, value, recommendation_seq);

-- Full text over the text in every language it has; rowid = recommendations.seq.
CREATE VIRTUAL TABLE recommendation_search USING fts5 (
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE stakeholders (
    seq INTEGER PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    country TEXT,
    -- Kind, country and normalised name: the same organisation registered twice is one.
    natural_key TEXT NOT NULL UNIQUE,
    search_text TEXT NOT NULL,
    document TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX stakeholders_kind ON stakeholders (kind, seq);
CREATE INDEX stakeholders_country ON stakeholders (country, seq);

-- theme, language, region.
CREATE TABLE stakeholder_facets (
    stakeholder_seq INTEGER NOT NULL REFERENCES stakeholders (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (stakeholder_seq, facet, value)
);
CREATE INDEX stakeholder_facets_lookup ON stakeholder_facets (facet, value, stakeholder_seq);

CREATE VIRTUAL TABLE stakeholder_search USING fts5 (
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Partner databases' own keys: unique per source within an entity type.
CREATE TABLE external_refs (
    entity TEXT NOT NULL,
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    PRIMARY KEY (entity, source, external_id)
);
CREATE INDEX external_refs_entity ON external_refs (entity_id);
