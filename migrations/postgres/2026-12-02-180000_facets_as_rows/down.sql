-- The facets as lexemes of `search` again, as `2026-12-02-120000_facets_in_search` kept them.
CREATE OR REPLACE FUNCTION search_of_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := to_tsvector('simple', split_part(NEW.search_text, E'\x01', 1))
        || COALESCE(array_to_tsvector(string_to_array(
               NULLIF(split_part(NEW.search_text, E'\x01', 2), ''), E'\x02')), ''::tsvector);
    NEW.search_text := '';
    RETURN NEW;
END;
$$;

UPDATE recommendations r
SET search = COALESCE(r.search, ''::tsvector) || array_to_tsvector(f.lexemes)
FROM (SELECT recommendation_seq, array_agg(DISTINCT facet || '=' || value) AS lexemes
      FROM recommendation_facets GROUP BY recommendation_seq) f
WHERE r.seq = f.recommendation_seq;
DELETE FROM recommendation_facets;
