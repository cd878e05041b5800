DROP TRIGGER activity_facets_follow_the_verdict ON activities;
DROP FUNCTION activity_facets_follow_the_verdict();
DROP TRIGGER activity_facets_take_the_verdict ON activity_facets;
DROP FUNCTION activity_facets_take_the_verdict();
DROP INDEX activity_facets_public;
ALTER TABLE activity_facets DROP COLUMN public;
