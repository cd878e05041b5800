-- When each item was first shown, for the annual report (`submissions_by_month`,
-- `matching_summary`): an activity first submitted, an assistance request or an offer first
-- opened, an interest decided (accepted, declined or withdrawn). Kept by the writes from now on
-- (`db::documents::stamp`, `db::interests::update`); filled here from the audit trail, which
-- holds every write: a creation's entry has the document under `after`, an update's the
-- changed fields each with its `after`. An item the trail says nothing of takes its last write.
ALTER TABLE activities ADD COLUMN submitted_at timestamp;
ALTER TABLE assistance_requests ADD COLUMN opened_at timestamp;
ALTER TABLE offers ADD COLUMN opened_at timestamp;
ALTER TABLE interests ADD COLUMN decided_at timestamp;

UPDATE activities SET submitted_at = (
    SELECT MIN(l.at) FROM audit_log l
    WHERE l.entity = 'activity' AND l.entity_id = activities.id
      AND 'submitted' IN (l.changes::jsonb #>> '{after,publication}',
                          l.changes::jsonb #>> '{publication,after}'));
UPDATE activities SET submitted_at = updated_at
WHERE submitted_at IS NULL AND publication = 'submitted';

UPDATE assistance_requests SET opened_at = (
    SELECT MIN(l.at) FROM audit_log l
    WHERE l.entity = 'assistance_request' AND l.entity_id = assistance_requests.id
      AND (l.changes::jsonb #>> '{after,status}' IN ('open', 'matched')
           OR l.changes::jsonb #>> '{status,after}' IN ('open', 'matched')));
UPDATE assistance_requests SET opened_at = updated_at
WHERE opened_at IS NULL AND status IN ('open', 'matched');

UPDATE offers SET opened_at = (
    SELECT MIN(l.at) FROM audit_log l
    WHERE l.entity = 'offer' AND l.entity_id = offers.id
      AND 'open' IN (l.changes::jsonb #>> '{after,status}',
                     l.changes::jsonb #>> '{status,after}'));
UPDATE offers SET opened_at = updated_at WHERE opened_at IS NULL AND status = 'open';

UPDATE interests SET decided_at = (
    SELECT MIN(l.at) FROM audit_log l
    WHERE l.entity = 'interest' AND l.entity_id = interests.id
      AND l.changes::jsonb #>> '{status,after}' IS NOT NULL)
WHERE status <> 'pending';
UPDATE interests SET decided_at = updated_at WHERE decided_at IS NULL AND status <> 'pending';
