-- The public activities concerning a State were found by reading every activity concerning it
-- (641 for one State at UN scale, 43 of them public) to look at its verdict. Each facet now
-- carries its activity's verdict (`public`), kept by the database: a facet takes the verdict
-- its activity has when it is written, and every facet of an activity takes the new verdict
-- when it changes. Lists still check the activity's own verdict: the copy only narrows what
-- is read, so a copy out of date could hide a public activity, never show a hidden one.
ALTER TABLE activity_facets ADD COLUMN public INTEGER NOT NULL DEFAULT 0
    CONSTRAINT activity_facets_public_check CHECK (public IN (0, 1));
UPDATE activity_facets SET public = 1
WHERE activity_seq IN (SELECT seq FROM activities WHERE public = 1);
CREATE INDEX activity_facets_public ON activity_facets (facet, value, activity_seq)
WHERE public = 1;
CREATE TRIGGER activity_facets_take_the_verdict AFTER INSERT ON activity_facets
WHEN NEW.public IS NOT (SELECT a.public FROM activities a WHERE a.seq = NEW.activity_seq)
BEGIN
    UPDATE activity_facets SET public = (SELECT a.public FROM activities a WHERE a.seq = NEW.activity_seq)
    WHERE activity_seq = NEW.activity_seq AND facet = NEW.facet AND value = NEW.value;
END;
-- And nothing else may set it otherwise.
CREATE TRIGGER activity_facets_verdict_is_the_activitys BEFORE UPDATE OF public ON activity_facets
WHEN NEW.public IS NOT (SELECT a.public FROM activities a WHERE a.seq = NEW.activity_seq)
BEGIN
    SELECT RAISE(ABORT, 'activity_facets.public is the verdict of its activity');
END;
CREATE TRIGGER activity_facets_follow_the_verdict AFTER UPDATE OF public ON activities
WHEN NEW.public IS NOT OLD.public
BEGIN
    UPDATE activity_facets SET public = NEW.public WHERE activity_seq = NEW.seq;
END;
