-- A State's own stakeholder is bound to it explicitly: `own_state` is the State's code on the
-- one stakeholder of kind `state` for that country, and nothing else. Only `admin` sets kind and
-- country (src/routes/stakeholders.rs), and the unique index keeps it to one a State. Where
-- earlier data has several, the first registered stays the State's own.
ALTER TABLE stakeholders ADD COLUMN own_state TEXT;
UPDATE stakeholders SET own_state = country
WHERE kind = 'state' AND country IS NOT NULL
  AND seq = (SELECT MIN(s.seq) FROM stakeholders s WHERE s.kind = 'state' AND s.country = stakeholders.country);
CREATE UNIQUE INDEX stakeholders_own_state ON stakeholders (own_state);

-- Partner keys of activities are scoped to their submitter (`activity:<submitter id>`), so a key
-- held by another submitter's activity tells a caller nothing about it.
UPDATE external_refs
SET entity = 'activity:' || (SELECT a.submitter FROM activities a WHERE a.id = external_refs.entity_id)
WHERE entity = 'activity'
  AND EXISTS (SELECT 1 FROM activities a WHERE a.id = external_refs.entity_id);

-- The version of the publication rule the stored verdicts were computed with; the service
-- computes them again at start when its rule is newer (src/db/activities.rs).
ALTER TABLE instance ADD COLUMN rule_version INTEGER NOT NULL DEFAULT 1;
