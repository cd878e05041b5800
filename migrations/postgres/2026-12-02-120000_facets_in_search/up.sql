-- A recommendation's facets are kept as lexemes of its `search` column, `facet=value` each,
-- and no longer as rows of `recommendation_facets` (which stays, empty, as SQLite's schema
-- has it). The facet filters of recommendations read the full-text index instead
-- (`Table::facets_in_search`). Measured on the 5,617 recommendations of one UPR Info export,
-- the facet rows and their two indexes held 3.1 of the 14.5 MB the import stored
-- (docs/benchmarks.md, "PostgreSQL's storage"). No term of a text has `=`, so no search finds
-- a facet's lexeme.
--
-- The service writes the terms to `search_text` as before, followed, for a recommendation, by
-- U+0001 and its facets' lexemes separated by U+0002; the trigger puts the lexemes in `search`
-- as they are (no positions) and still leaves `search_text` empty.
CREATE OR REPLACE FUNCTION search_of_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := to_tsvector('simple', split_part(NEW.search_text, E'\x01', 1))
        || COALESCE(array_to_tsvector(string_to_array(
               NULLIF(split_part(NEW.search_text, E'\x01', 2), ''), E'\x02')), ''::tsvector);
    NEW.search_text := '';
    RETURN NEW;
END;
$$;

-- The facets kept so far, moved. Naming only `search`, the update fires no trigger; it
-- rewrites every recommendation's row once.
UPDATE recommendations r
SET search = COALESCE(r.search, ''::tsvector) || array_to_tsvector(f.lexemes)
FROM (SELECT recommendation_seq, array_agg(DISTINCT facet || '=' || value) AS lexemes
      FROM recommendation_facets GROUP BY recommendation_seq) f
WHERE r.seq = f.recommendation_seq;
DELETE FROM recommendation_facets;
