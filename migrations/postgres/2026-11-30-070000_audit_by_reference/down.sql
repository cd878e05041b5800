-- Every creation entry carries its item again.
DROP TRIGGER audit_log_no_update ON audit_log;
DROP TRIGGER audit_log_no_delete ON audit_log;
UPDATE audit_log SET changes = '{"after":' || (SELECT COALESCE(c.data, CASE c.entity
        WHEN 'recommendation' THEN (SELECT document FROM recommendations t WHERE t.id = c.entity_id)
        WHEN 'stakeholder' THEN (SELECT document FROM stakeholders t WHERE t.id = c.entity_id)
        WHEN 'activity' THEN (SELECT document FROM activities t WHERE t.id = c.entity_id)
        WHEN 'consent' THEN (SELECT document FROM consents t WHERE t.id = c.entity_id)
        WHEN 'assistance_request' THEN (SELECT document FROM assistance_requests t WHERE t.id = c.entity_id)
        WHEN 'offer' THEN (SELECT document FROM offers t WHERE t.id = c.entity_id)
    END) FROM changes c
    WHERE c.entity = audit_log.entity AND c.entity_id = audit_log.entity_id
    ORDER BY c.seq LIMIT 1) || '}'
WHERE changes IS NULL;
ALTER TABLE audit_log
    DROP CONSTRAINT audit_log_changes_check,
    ALTER COLUMN changes SET NOT NULL;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
