-- Reverting forgets interests: their rows, their audit entries (the append-only trigger is set
-- aside for that statement alone), and the activities' facets naming requests and offers (the
-- activities' documents keep the two fields, which the code of before this migration does not
-- read).

DELETE FROM activity_facets WHERE facet IN ('assistance_request', 'offer');
ALTER TABLE activity_facets
    DROP CONSTRAINT activity_facets_facet_check,
    DROP CONSTRAINT activity_facets_value_check,
    ADD CONSTRAINT activity_facets_facet_check CHECK (facet IN ('state', 'regional_group',
        'participant', 'role', 'stakeholder', 'recommendation', 'theme', 'sdg_target',
        'funding_source', 'awaiting', 'refused')),
    ADD CONSTRAINT activity_facets_value_check CHECK (CASE facet
        WHEN 'stakeholder' THEN is_canonical_uuid(value)
        WHEN 'recommendation' THEN is_canonical_uuid(value)
        WHEN 'participant' THEN is_canonical_uuid(substr(value, 1, 36))
            AND substr(value, 37, 1) = '|'
            AND substr(value, 38) IN ('funding', 'accountable', 'extending', 'implementing')
        WHEN 'role' THEN value IN ('funding', 'accountable', 'extending', 'implementing')
        WHEN 'regional_group' THEN value IN ('african', 'asia_pacific', 'eastern_european',
            'latin_american_and_caribbean', 'western_european_and_others')
        ELSE true END);

ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change;
DELETE FROM audit_log WHERE entity = 'interest';
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change;
ALTER TABLE audit_log
    DROP CONSTRAINT audit_log_entity_check,
    ADD CONSTRAINT audit_log_entity_check CHECK (entity IN ('recommendation', 'stakeholder',
        'activity', 'consent', 'assistance_request', 'offer'));

DROP TABLE interests;
