-- The facets as rows again, read from the lexemes, which leave `search`; the trigger makes
-- `search` of the terms alone.
INSERT INTO recommendation_facets (recommendation_seq, facet, value)
SELECT r.seq, split_part(l, '=', 1), substr(l, strpos(l, '=') + 1)
FROM recommendations r, unnest(tsvector_to_array(r.search)) AS l
WHERE strpos(l, '=') > 0;

UPDATE recommendations
SET search = ts_delete(search, ARRAY(SELECT l FROM unnest(tsvector_to_array(search)) AS l
                                     WHERE strpos(l, '=') > 0))
WHERE search IS NOT NULL;

CREATE OR REPLACE FUNCTION search_of_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := to_tsvector('simple', NEW.search_text);
    NEW.search_text := '';
    RETURN NEW;
END;
$$;
