-- A recommendation's facets are rows of `recommendation_facets` again, not lexemes of its
-- `search` column (`2026-12-02-120000_facets_in_search`, undone here). The lexemes stored
-- less (0.49 of the storage before issue 13 against 0.59), but a facet filter could then only
-- be answered through the full-text index, which keeps no order: a page of a filtered list
-- either read every item of the facet's value and sorted them, or walked the whole list
-- testing each row, whichever the planner guessed cheaper. At UN scale (250,000
-- recommendations, 32 connections) the filtered list's p99 rose from 5 to 66 ms and one page
-- took 93 ms where the rows' index answers it in 7.5 (docs/benchmarks.md, "A recommendation's
-- facets among its search lexemes"). The rows' lookup index walks a value's items in order.
-- Only a database that ran the first form of that migration (on main for about an hour; it now
-- changes nothing) holds such lexemes: elsewhere the rows are read and none is rewritten.
INSERT INTO recommendation_facets (recommendation_seq, facet, value)
SELECT r.seq, split_part(l, '=', 1), substr(l, strpos(l, '=') + 1)
FROM recommendations r, unnest(tsvector_to_array(r.search)) AS l
WHERE strpos(l, '=') > 0
ON CONFLICT DO NOTHING;

UPDATE recommendations
SET search = ts_delete(search, ARRAY(SELECT l FROM unnest(tsvector_to_array(search)) AS l
                                     WHERE strpos(l, '=') > 0))
WHERE search IS NOT NULL AND EXISTS (
    SELECT 1 FROM unnest(tsvector_to_array(search)) AS l WHERE strpos(l, '=') > 0);

CREATE OR REPLACE FUNCTION search_of_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := to_tsvector('simple', NEW.search_text);
    NEW.search_text := '';
    RETURN NEW;
END;
$$;
