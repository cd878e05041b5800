-- PostgreSQL's storage made leaner where it held what it did not need (docs/benchmarks.md,
-- "PostgreSQL's storage"). Each change measured alone on the 5,617 recommendations of one
-- UPR Info export; SQLite keeps its own forms (its migration of the same name changes nothing).
--
-- 1. The full-text terms are kept once, in `search`. It was generated from `search_text`, which
--    kept the same terms again as text. The service still writes the terms to `search_text`
--    (as on SQLite, where the row keeps it empty); the trigger below turns them into `search`
--    as the row is written and leaves `search_text` empty. A write that does not name
--    `search_text` leaves `search` as it is, as the generated column did.
CREATE FUNCTION search_of_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := to_tsvector('simple', NEW.search_text);
    NEW.search_text := '';
    RETURN NEW;
END;
$$;
--
-- 2. The full-text indexes keep a short list of pending entries (128 kB, not 4 MB). GIN puts
--    new entries in that list and moves them into the index later; the list's pages are then
--    free but stay in the index's file, which made the index of one import five times the
--    size of the same index built at once.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['recommendations', 'stakeholders', 'activities',
                             'assistance_requests', 'offers'] LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN search DROP EXPRESSION', t);
        EXECUTE format('UPDATE %I SET search_text = %L WHERE search_text <> %L', t, '', '');
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE OF search_text ON %I '
            'FOR EACH ROW EXECUTE FUNCTION search_of_terms()', t || '_search_of_terms', t);
        EXECUTE format('ALTER INDEX %I SET (gin_pending_list_limit = 128)', t || '_search');
    END LOOP;
END;
$$;

-- 3. A recommendation's facets are unique by their lookup index (facet, value, recommendation),
--    the same three columns as the primary key they had, so that key's index is replaced by
--    one on the recommendation alone (deleting an item's facets), which PostgreSQL stores
--    deduplicated: a quarter of the size. Other kinds keep their key: matching and the
--    annual report look up an activity's facets by activity and facet, which it answers.
ALTER TABLE recommendation_facets DROP CONSTRAINT recommendation_facets_pkey;
DROP INDEX recommendation_facets_lookup;
CREATE UNIQUE INDEX recommendation_facets_lookup
    ON recommendation_facets (facet, value, recommendation_seq);
CREATE INDEX recommendation_facets_item ON recommendation_facets (recommendation_seq);
-- What identifies a row to logical replication, which a table without a key lacks.
ALTER TABLE recommendation_facets REPLICA IDENTITY USING INDEX recommendation_facets_lookup;
