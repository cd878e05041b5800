-- The stakeholders that took themselves off an activity that named them as participants
-- (`app::activities::decline`): no later write names one of them on that activity again but
-- admin's. A decline goes with its activity when the activity is deleted.
CREATE TABLE activity_declined_participants (
    activity_id TEXT NOT NULL CONSTRAINT activity_declined_participants_activity_id_fkey
        REFERENCES activities (id) ON DELETE CASCADE,
    stakeholder_id TEXT NOT NULL,
    PRIMARY KEY (activity_id, stakeholder_id)
);
