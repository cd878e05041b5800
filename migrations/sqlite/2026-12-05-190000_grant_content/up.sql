-- A State's grant by name is for the activity's content as the State saw it: a digest of that
-- content (`ActivityContent::consented`), which the publication rule compares with the
-- activity's content now. Grants recorded before have none, and hold whatever the content.
ALTER TABLE consents ADD COLUMN granted_content TEXT;
