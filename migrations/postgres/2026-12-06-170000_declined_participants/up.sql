-- The stakeholders that took themselves off an activity that named them as participants
-- (`app::activities::decline`), with the activity's natural key (its submitter, title and
-- planned start) then: no later write names one of them on that activity, nor on one of that
-- natural key (the same activity deleted and submitted again), but admin's. A decline stays
-- when its activity is deleted, and goes with its stakeholder.
CREATE TABLE activity_declined_participants (
    activity_id TEXT NOT NULL,
    stakeholder_id TEXT NOT NULL CONSTRAINT activity_declined_participants_stakeholder_id_fkey
        REFERENCES stakeholders (id) ON DELETE CASCADE,
    natural_key TEXT NOT NULL,
    PRIMARY KEY (activity_id, stakeholder_id)
);
CREATE INDEX activity_declined_participants_natural_key
    ON activity_declined_participants (natural_key);
CREATE INDEX activity_declined_participants_stakeholder
    ON activity_declined_participants (stakeholder_id);
