-- Every change carries its item again.
DROP TRIGGER recommendations_keep_fed_document ON recommendations;
DROP TRIGGER recommendations_keep_fed_document_deleted ON recommendations;
DROP TRIGGER stakeholders_keep_fed_document ON stakeholders;
DROP TRIGGER stakeholders_keep_fed_document_deleted ON stakeholders;
DROP TRIGGER activities_keep_fed_document ON activities;
DROP TRIGGER activities_keep_fed_document_deleted ON activities;
DROP TRIGGER assistance_requests_keep_fed_document ON assistance_requests;
DROP TRIGGER assistance_requests_keep_fed_document_deleted ON assistance_requests;
DROP TRIGGER offers_keep_fed_document ON offers;
DROP TRIGGER offers_keep_fed_document_deleted ON offers;
DROP FUNCTION keep_fed_document();

UPDATE changes c SET data = CASE c.entity
    WHEN 'recommendation' THEN (SELECT document FROM recommendations t WHERE t.id = c.entity_id)
    WHEN 'stakeholder' THEN (SELECT document FROM stakeholders t WHERE t.id = c.entity_id)
    WHEN 'activity' THEN (SELECT document FROM activities t WHERE t.id = c.entity_id)
    WHEN 'assistance_request' THEN (SELECT document FROM assistance_requests t WHERE t.id = c.entity_id)
    WHEN 'offer' THEN (SELECT document FROM offers t WHERE t.id = c.entity_id)
    WHEN 'consent' THEN (SELECT document FROM consents t WHERE t.id = c.entity_id)
END
WHERE c.op = 'upsert' AND c.data IS NULL;
ALTER TABLE changes
    DROP CONSTRAINT changes_data_check,
    ADD CONSTRAINT changes_data_check CHECK ((op = 'upsert') = (data IS NOT NULL));
