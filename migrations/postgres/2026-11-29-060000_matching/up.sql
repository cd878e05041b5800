-- The matching function's documents: States' assistance requests and stakeholders' offers,
-- stored as their API document plus the columns, facet rows and full-text column their lists
-- use (src/db/assistance_requests.rs, src/db/offers.rs). A draft is not public; every other
-- status is (`public`, kept by the code from the status and checked here).

CREATE TABLE assistance_requests (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE CONSTRAINT assistance_requests_id_check
        CHECK (is_canonical_uuid(id)),
    -- The State asking (ISO alpha-3).
    state TEXT NOT NULL CONSTRAINT assistance_requests_state_check
        CHECK (length(state) = 3 AND state = upper(state)),
    status TEXT NOT NULL CONSTRAINT assistance_requests_status_check
        CHECK (status IN ('draft', 'open', 'matched', 'closed')),
    public boolean NOT NULL,
    CONSTRAINT assistance_requests_public_check CHECK (public = (status <> 'draft')),
    -- The State and the normalised description: the same request filed twice is one.
    natural_key TEXT NOT NULL UNIQUE,
    search_text TEXT NOT NULL,
    search tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED,
    document TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL
);
CREATE INDEX assistance_requests_state ON assistance_requests (state, seq);
CREATE INDEX assistance_requests_public ON assistance_requests (seq) WHERE public;
CREATE INDEX assistance_requests_search ON assistance_requests USING GIN (search);

CREATE TABLE assistance_request_facets (
    assistance_request_seq BIGINT NOT NULL
        REFERENCES assistance_requests (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL CONSTRAINT assistance_request_facets_facet_check CHECK (facet IN (
        'regional_group', 'recommendation', 'theme', 'sdg_target', 'modality', 'language')),
    value TEXT NOT NULL,
    CONSTRAINT assistance_request_facets_value_check CHECK (CASE facet
        WHEN 'recommendation' THEN is_canonical_uuid(value)
        WHEN 'regional_group' THEN value IN ('african', 'asia_pacific', 'eastern_european',
            'latin_american_and_caribbean', 'western_european_and_others')
        ELSE true END),
    PRIMARY KEY (assistance_request_seq, facet, value)
);
CREATE INDEX assistance_request_facets_lookup
    ON assistance_request_facets (facet, value, assistance_request_seq);

CREATE TABLE offers (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE CONSTRAINT offers_id_check CHECK (is_canonical_uuid(id)),
    -- The offering stakeholder.
    stakeholder TEXT NOT NULL CONSTRAINT offers_stakeholder_fkey
        REFERENCES stakeholders (id) DEFERRABLE INITIALLY DEFERRED
        CONSTRAINT offers_stakeholder_check CHECK (is_canonical_uuid(stakeholder)),
    status TEXT NOT NULL CONSTRAINT offers_status_check
        CHECK (status IN ('draft', 'open', 'closed')),
    public boolean NOT NULL,
    CONSTRAINT offers_public_check CHECK (public = (status <> 'draft')),
    peer_to_peer boolean NOT NULL,
    -- The stakeholder and the normalised description: the same offer made twice is one.
    natural_key TEXT NOT NULL UNIQUE,
    search_text TEXT NOT NULL,
    search tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED,
    document TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL
);
CREATE INDEX offers_stakeholder ON offers (stakeholder, seq);
CREATE INDEX offers_public ON offers (seq) WHERE public;
CREATE INDEX offers_search ON offers USING GIN (search);

-- theme, sdg_target, modality, language, and where it serves: state, region (M49),
-- regional_group; activity: the past activities it cites.
CREATE TABLE offer_facets (
    offer_seq BIGINT NOT NULL REFERENCES offers (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL CONSTRAINT offer_facets_facet_check CHECK (facet IN ('theme',
        'sdg_target', 'modality', 'language', 'state', 'region', 'regional_group', 'activity')),
    value TEXT NOT NULL,
    CONSTRAINT offer_facets_value_check CHECK (CASE facet
        WHEN 'activity' THEN is_canonical_uuid(value)
        WHEN 'regional_group' THEN value IN ('african', 'asia_pacific', 'eastern_european',
            'latin_american_and_caribbean', 'western_european_and_others')
        ELSE true END),
    PRIMARY KEY (offer_seq, facet, value)
);
CREATE INDEX offer_facets_lookup ON offer_facets (facet, value, offer_seq);
