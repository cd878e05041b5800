-- The matching function's documents: States' assistance requests and stakeholders' offers,
-- stored as their API document plus the columns, facet rows and full-text entry their lists
-- use (src/db/assistance_requests.rs, src/db/offers.rs). A draft is not public; every other
-- status is (`public`, kept by the code from the status and checked here).

CREATE TABLE assistance_requests (
    seq INTEGER PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE CONSTRAINT assistance_requests_id_check CHECK ((id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    -- The State asking (ISO alpha-3).
    state TEXT NOT NULL CONSTRAINT assistance_requests_state_check
        CHECK (length(state) = 3 AND state = upper(state)),
    status TEXT NOT NULL CONSTRAINT assistance_requests_status_check
        CHECK (status IN ('draft', 'open', 'matched', 'closed')),
    public INTEGER NOT NULL CONSTRAINT assistance_requests_public_check
        CHECK (public = (status <> 'draft')),
    -- The State and the normalised description: the same request filed twice is one.
    natural_key TEXT NOT NULL UNIQUE,
    search_text TEXT NOT NULL,
    document TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX assistance_requests_state ON assistance_requests (state, seq);
CREATE INDEX assistance_requests_public ON assistance_requests (seq) WHERE public = 1;

CREATE TABLE assistance_request_facets (
    assistance_request_seq INTEGER NOT NULL
        REFERENCES assistance_requests (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL CONSTRAINT assistance_request_facets_facet_check CHECK (facet IN (
        'regional_group', 'recommendation', 'theme', 'sdg_target', 'modality', 'language')),
    value TEXT NOT NULL,
    CONSTRAINT assistance_request_facets_value_check CHECK (CASE facet
        WHEN 'recommendation' THEN (value GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')
        WHEN 'regional_group' THEN value IN ('african', 'asia_pacific', 'eastern_european',
            'latin_american_and_caribbean', 'western_european_and_others')
        ELSE 1 END),
    PRIMARY KEY (assistance_request_seq, facet, value)
);
CREATE INDEX assistance_request_facets_lookup
    ON assistance_request_facets (facet, value, assistance_request_seq);

CREATE VIRTUAL TABLE assistance_request_search USING fts5 (
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE offers (
    seq INTEGER PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE CONSTRAINT offers_id_check CHECK ((id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    -- The offering stakeholder.
    stakeholder TEXT NOT NULL CONSTRAINT offers_stakeholder_fkey
        REFERENCES stakeholders (id) DEFERRABLE INITIALLY DEFERRED
        CONSTRAINT offers_stakeholder_check CHECK ((stakeholder GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    status TEXT NOT NULL CONSTRAINT offers_status_check
        CHECK (status IN ('draft', 'open', 'closed')),
    public INTEGER NOT NULL CONSTRAINT offers_public_check CHECK (public = (status <> 'draft')),
    peer_to_peer INTEGER NOT NULL CONSTRAINT offers_peer_to_peer_check
        CHECK (peer_to_peer IN (0, 1)),
    -- The stakeholder and the normalised description: the same offer made twice is one.
    natural_key TEXT NOT NULL UNIQUE,
    search_text TEXT NOT NULL,
    document TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX offers_stakeholder ON offers (stakeholder, seq);
CREATE INDEX offers_public ON offers (seq) WHERE public = 1;

-- theme, sdg_target, modality, language, and where it serves: state, region (M49),
-- regional_group; activity: the past activities it cites.
CREATE TABLE offer_facets (
    offer_seq INTEGER NOT NULL REFERENCES offers (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL CONSTRAINT offer_facets_facet_check CHECK (facet IN ('theme',
        'sdg_target', 'modality', 'language', 'state', 'region', 'regional_group', 'activity')),
    value TEXT NOT NULL,
    CONSTRAINT offer_facets_value_check CHECK (CASE facet
        WHEN 'activity' THEN (value GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')
        WHEN 'regional_group' THEN value IN ('african', 'asia_pacific', 'eastern_european',
            'latin_american_and_caribbean', 'western_european_and_others')
        ELSE 1 END),
    PRIMARY KEY (offer_seq, facet, value)
);
CREATE INDEX offer_facets_lookup ON offer_facets (facet, value, offer_seq);

CREATE VIRTUAL TABLE offer_search USING fts5 (
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);
