-- The public activities concerning a State were found by reading every activity concerning it
-- (641 for one State at UN scale, 43 of them public) to look at its verdict. Each facet now
-- carries its activity's verdict (`public`), kept by the database: a facet takes the verdict
-- its activity has when it is written, and every facet of an activity takes the new verdict
-- when it changes. Lists still check the activity's own verdict: the copy only narrows what
-- is read, so a copy out of date could hide a public activity, never show a hidden one.
ALTER TABLE activity_facets ADD COLUMN public BOOLEAN NOT NULL DEFAULT false;
UPDATE activity_facets SET public = true
WHERE activity_seq IN (SELECT seq FROM activities WHERE public);
CREATE INDEX activity_facets_public ON activity_facets (facet, value, activity_seq) WHERE public;
-- A facet's verdict is always its activity's, whatever an insert or update says.
CREATE FUNCTION activity_facets_take_the_verdict() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.public := COALESCE((SELECT a.public FROM activities a WHERE a.seq = NEW.activity_seq), false);
    RETURN NEW;
END;
$$;
CREATE TRIGGER activity_facets_take_the_verdict BEFORE INSERT OR UPDATE ON activity_facets
    FOR EACH ROW EXECUTE FUNCTION activity_facets_take_the_verdict();
CREATE FUNCTION activity_facets_follow_the_verdict() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE activity_facets SET public = NEW.public WHERE activity_seq = NEW.seq;
    RETURN NULL;
END;
$$;
CREATE TRIGGER activity_facets_follow_the_verdict AFTER UPDATE OF public ON activities
    FOR EACH ROW WHEN (OLD.public IS DISTINCT FROM NEW.public)
    EXECUTE FUNCTION activity_facets_follow_the_verdict();
