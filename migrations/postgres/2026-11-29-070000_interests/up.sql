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
-- * The audit trail records interests: `audit_log.entity` takes `interest`.
-- * An activity names the request and the offer it came from (its `assistance_request` and
--   `offer`), and its facets say so, so that lists filter by them and neither is deleted while
--   an activity names it: `activity_facets` takes the two new facets.

CREATE TABLE interests (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE CONSTRAINT interests_id_check CHECK (is_canonical_uuid(id)),
    -- The request it is for.
    assistance_request TEXT NOT NULL CONSTRAINT interests_assistance_request_fkey
        REFERENCES assistance_requests (id)
        CONSTRAINT interests_assistance_request_check
            CHECK (is_canonical_uuid(assistance_request)),
    -- The provider's offer it cites.
    offer TEXT NOT NULL CONSTRAINT interests_offer_fkey REFERENCES offers (id)
        CONSTRAINT interests_offer_check CHECK (is_canonical_uuid(offer)),
    -- The provider: the offer's stakeholder when the interest was expressed.
    stakeholder TEXT NOT NULL CONSTRAINT interests_stakeholder_fkey REFERENCES stakeholders (id)
        CONSTRAINT interests_stakeholder_check CHECK (is_canonical_uuid(stakeholder)),
    status TEXT NOT NULL CONSTRAINT interests_status_check
        CHECK (status IN ('pending', 'accepted', 'declined', 'withdrawn')),
    message TEXT,
    -- The activity created from the match: only an accepted interest has one.
    activity TEXT CONSTRAINT interests_activity_check
        CHECK (activity IS NULL OR (is_canonical_uuid(activity) AND status = 'accepted')),
    version BIGINT NOT NULL CONSTRAINT interests_version_check CHECK (version >= 1),
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    CONSTRAINT interests_request_offer_key UNIQUE (assistance_request, offer)
);
CREATE INDEX interests_request ON interests (assistance_request, seq);
CREATE INDEX interests_offer ON interests (offer);
CREATE INDEX interests_stakeholder ON interests (stakeholder);
-- A request accepts one interest.
CREATE UNIQUE INDEX interests_accepted ON interests (assistance_request)
    WHERE status = 'accepted';

ALTER TABLE audit_log
    DROP CONSTRAINT audit_log_entity_check,
    -- The kinds of item (src/db/changes.rs, `TYPES`), and `interest`, which the feed does not
    -- carry.
    ADD CONSTRAINT audit_log_entity_check CHECK (entity IN ('recommendation', 'stakeholder',
        'activity', 'consent', 'assistance_request', 'offer', 'interest'));

ALTER TABLE activity_facets
    DROP CONSTRAINT activity_facets_facet_check,
    DROP CONSTRAINT activity_facets_value_check,
    ADD CONSTRAINT activity_facets_facet_check CHECK (facet IN ('state', 'regional_group',
        'participant', 'role', 'stakeholder', 'recommendation', 'theme', 'sdg_target',
        'funding_source', 'awaiting', 'refused', 'assistance_request', 'offer')),
    -- Facets that name items name them by id; a participant is `id|role`.
    ADD CONSTRAINT activity_facets_value_check CHECK (CASE facet
        WHEN 'stakeholder' THEN is_canonical_uuid(value)
        WHEN 'recommendation' THEN is_canonical_uuid(value)
        WHEN 'assistance_request' THEN is_canonical_uuid(value)
        WHEN 'offer' THEN is_canonical_uuid(value)
        WHEN 'participant' THEN is_canonical_uuid(substr(value, 1, 36))
            AND substr(value, 37, 1) = '|'
            AND substr(value, 38) IN ('funding', 'accountable', 'extending', 'implementing')
        WHEN 'role' THEN value IN ('funding', 'accountable', 'extending', 'implementing')
        WHEN 'regional_group' THEN value IN ('african', 'asia_pacific', 'eastern_european',
            'latin_american_and_caribbean', 'western_european_and_others')
        ELSE true END);
