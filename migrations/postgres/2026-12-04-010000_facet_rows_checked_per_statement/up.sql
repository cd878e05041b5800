-- A facet row names a row of its item's table, as its foreign key said, checked once a
-- statement instead of once a row. PostgreSQL checks a foreign key with a query of its own for
-- each row written: 81 of the 118 ms that the facet rows of a UPR Info import of 5,617
-- recommendations (21,232 rows) took to write (docs/benchmarks.md, "Issue 13: what
-- PostgreSQL's rules cost an import"). The triggers below keep what the keys kept:
-- * a facet row naming no item is refused (`foreign_key_violation`), and the items named are
--   locked `FOR KEY SHARE` until the transaction ends, as the key locked them, so that no
--   transaction beside it deletes one meanwhile;
-- * deleting items deletes their facet rows (the keys' `ON DELETE CASCADE`);
-- * an item's number (`seq`) does not change while facet rows name it.
-- SQLite keeps its foreign keys: it checks each in its own B-tree, without a query.

ALTER TABLE recommendation_facets
    DROP CONSTRAINT recommendation_facets_recommendation_seq_fkey1;
ALTER TABLE stakeholder_facets DROP CONSTRAINT stakeholder_facets_stakeholder_seq_fkey;
ALTER TABLE activity_facets DROP CONSTRAINT activity_facets_activity_seq_fkey;
ALTER TABLE offer_facets DROP CONSTRAINT offer_facets_offer_seq_fkey;
ALTER TABLE assistance_request_facets
    DROP CONSTRAINT assistance_request_facets_assistance_request_seq_fkey;

-- After rows of a facet table are written (`named`, the rows as written): every item they
-- name exists, and is locked. TG_ARGV: the facet table's column naming the item, the item's
-- table.
CREATE FUNCTION facet_rows_name_items() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted bigint;
    found bigint;
BEGIN
    EXECUTE format(
        'SELECT (SELECT COUNT(DISTINCT %1$I) FROM named), '
        '(SELECT COUNT(*) FROM (SELECT 1 FROM %2$I t '
        'WHERE t.seq IN (SELECT %1$I FROM named) FOR KEY SHARE OF t) l)',
        TG_ARGV[0], TG_ARGV[1]) INTO wanted, found;
    IF found < wanted THEN
        RAISE EXCEPTION 'a row of % names no row of %', TG_TABLE_NAME, TG_ARGV[1]
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$;

-- After items are deleted (`removed`): their facet rows go. TG_ARGV: the facet table, its
-- column naming the item.
CREATE FUNCTION items_take_their_facet_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DELETE FROM %1$I f USING removed r WHERE f.%2$I = r.seq',
        TG_ARGV[0], TG_ARGV[1]);
    RETURN NULL;
END;
$$;

-- Before an item's number changes: refused while facet rows name it. TG_ARGV as above.
CREATE FUNCTION items_named_keep_their_numbers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named boolean;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %1$I WHERE %2$I = $1)', TG_ARGV[0], TG_ARGV[1])
        INTO named USING OLD.seq;
    IF named THEN
        RAISE EXCEPTION 'a row of % named by rows of % changes its number', TG_TABLE_NAME,
            TG_ARGV[0] USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER recommendation_facets_name_items_inserted AFTER INSERT ON recommendation_facets
    REFERENCING NEW TABLE AS named FOR EACH STATEMENT
    EXECUTE FUNCTION facet_rows_name_items('recommendation_seq', 'recommendations');
CREATE TRIGGER recommendation_facets_name_items_updated AFTER UPDATE ON recommendation_facets
    REFERENCING NEW TABLE AS named FOR EACH STATEMENT
    EXECUTE FUNCTION facet_rows_name_items('recommendation_seq', 'recommendations');
CREATE TRIGGER recommendations_take_their_facet_rows AFTER DELETE ON recommendations
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
    EXECUTE FUNCTION items_take_their_facet_rows('recommendation_facets', 'recommendation_seq');
CREATE TRIGGER recommendations_named_keep_their_numbers BEFORE UPDATE OF seq ON recommendations
    FOR EACH ROW WHEN (OLD.seq IS DISTINCT FROM NEW.seq)
    EXECUTE FUNCTION items_named_keep_their_numbers('recommendation_facets', 'recommendation_seq');

CREATE TRIGGER stakeholder_facets_name_items_inserted AFTER INSERT ON stakeholder_facets
    REFERENCING NEW TABLE AS named FOR EACH STATEMENT
    EXECUTE FUNCTION facet_rows_name_items('stakeholder_seq', 'stakeholders');
CREATE TRIGGER stakeholder_facets_name_items_updated AFTER UPDATE ON stakeholder_facets
    REFERENCING NEW TABLE AS named FOR EACH STATEMENT
    EXECUTE FUNCTION facet_rows_name_items('stakeholder_seq', 'stakeholders');
CREATE TRIGGER stakeholders_take_their_facet_rows AFTER DELETE ON stakeholders
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
    EXECUTE FUNCTION items_take_their_facet_rows('stakeholder_facets', 'stakeholder_seq');
CREATE TRIGGER stakeholders_named_keep_their_numbers BEFORE UPDATE OF seq ON stakeholders
    FOR EACH ROW WHEN (OLD.seq IS DISTINCT FROM NEW.seq)
    EXECUTE FUNCTION items_named_keep_their_numbers('stakeholder_facets', 'stakeholder_seq');

CREATE TRIGGER activity_facets_name_items_inserted AFTER INSERT ON activity_facets
    REFERENCING NEW TABLE AS named FOR EACH STATEMENT
    EXECUTE FUNCTION facet_rows_name_items('activity_seq', 'activities');
CREATE TRIGGER activity_facets_name_items_updated AFTER UPDATE ON activity_facets
    REFERENCING NEW TABLE AS named FOR EACH STATEMENT
    EXECUTE FUNCTION facet_rows_name_items('activity_seq', 'activities');
CREATE TRIGGER activities_take_their_facet_rows AFTER DELETE ON activities
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
    EXECUTE FUNCTION items_take_their_facet_rows('activity_facets', 'activity_seq');
CREATE TRIGGER activities_named_keep_their_numbers BEFORE UPDATE OF seq ON activities
    FOR EACH ROW WHEN (OLD.seq IS DISTINCT FROM NEW.seq)
    EXECUTE FUNCTION items_named_keep_their_numbers('activity_facets', 'activity_seq');

CREATE TRIGGER offer_facets_name_items_inserted AFTER INSERT ON offer_facets
    REFERENCING NEW TABLE AS named FOR EACH STATEMENT
    EXECUTE FUNCTION facet_rows_name_items('offer_seq', 'offers');
CREATE TRIGGER offer_facets_name_items_updated AFTER UPDATE ON offer_facets
    REFERENCING NEW TABLE AS named FOR EACH STATEMENT
    EXECUTE FUNCTION facet_rows_name_items('offer_seq', 'offers');
CREATE TRIGGER offers_take_their_facet_rows AFTER DELETE ON offers
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
    EXECUTE FUNCTION items_take_their_facet_rows('offer_facets', 'offer_seq');
CREATE TRIGGER offers_named_keep_their_numbers BEFORE UPDATE OF seq ON offers
    FOR EACH ROW WHEN (OLD.seq IS DISTINCT FROM NEW.seq)
    EXECUTE FUNCTION items_named_keep_their_numbers('offer_facets', 'offer_seq');

CREATE TRIGGER assistance_request_facets_name_items_inserted
    AFTER INSERT ON assistance_request_facets
    REFERENCING NEW TABLE AS named FOR EACH STATEMENT
    EXECUTE FUNCTION facet_rows_name_items('assistance_request_seq', 'assistance_requests');
CREATE TRIGGER assistance_request_facets_name_items_updated
    AFTER UPDATE ON assistance_request_facets
    REFERENCING NEW TABLE AS named FOR EACH STATEMENT
    EXECUTE FUNCTION facet_rows_name_items('assistance_request_seq', 'assistance_requests');
CREATE TRIGGER assistance_requests_take_their_facet_rows AFTER DELETE ON assistance_requests
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
    EXECUTE FUNCTION items_take_their_facet_rows('assistance_request_facets',
        'assistance_request_seq');
CREATE TRIGGER assistance_requests_named_keep_their_numbers
    BEFORE UPDATE OF seq ON assistance_requests
    FOR EACH ROW WHEN (OLD.seq IS DISTINCT FROM NEW.seq)
    EXECUTE FUNCTION items_named_keep_their_numbers('assistance_request_facets',
        'assistance_request_seq');
