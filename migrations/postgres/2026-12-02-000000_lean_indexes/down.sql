-- The generated `search` columns again, from `search_text`, which this migration left empty:
-- the build before it writes every item's terms again at its start (`analysis_version`).

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['recommendations', 'stakeholders', 'activities',
                             'assistance_requests', 'offers'] LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', t || '_search_of_terms', t);
        EXECUTE format('ALTER TABLE %I DROP COLUMN search', t);
        EXECUTE format('ALTER TABLE %I ADD COLUMN search tsvector '
            'GENERATED ALWAYS AS (to_tsvector(''simple'', search_text)) STORED', t);
        EXECUTE format('CREATE INDEX %I ON %I USING GIN (search)', t || '_search', t);
    END LOOP;
END;
$$;

DROP FUNCTION search_of_terms();
UPDATE instance SET analysis_version = 0;

ALTER TABLE recommendation_facets REPLICA IDENTITY DEFAULT;
DROP INDEX recommendation_facets_item;
DROP INDEX recommendation_facets_lookup;
ALTER TABLE recommendation_facets ADD PRIMARY KEY (recommendation_seq, facet, value);
CREATE INDEX recommendation_facets_lookup
    ON recommendation_facets (facet, value, recommendation_seq);
