DROP TRIGGER external_refs_entity_exists ON external_refs;
DROP FUNCTION external_refs_entity_exists();
DROP TRIGGER consents_target_exists ON consents;
DROP FUNCTION consents_target_exists();

ALTER TABLE changes
    DROP CONSTRAINT changes_entity_check,
    DROP CONSTRAINT changes_entity_id_check,
    DROP CONSTRAINT changes_op_check,
    DROP CONSTRAINT changes_data_check,
    DROP CONSTRAINT changes_public_op_check,
    DROP CONSTRAINT changes_public_data_check;

ALTER TABLE audit_log
    DROP CONSTRAINT audit_log_role_check,
    DROP CONSTRAINT audit_log_entity_check,
    DROP CONSTRAINT audit_log_entity_id_check,
    DROP CONSTRAINT audit_log_operation_check;

ALTER TABLE external_refs
    DROP CONSTRAINT external_refs_entity_check,
    DROP CONSTRAINT external_refs_entity_id_check;

ALTER TABLE consents
    DROP CONSTRAINT consents_id_check,
    DROP CONSTRAINT consents_decision_check,
    DROP CONSTRAINT consents_scope_check,
    DROP CONSTRAINT consents_target_check;

ALTER TABLE activity_facets
    DROP CONSTRAINT activity_facets_facet_check,
    DROP CONSTRAINT activity_facets_value_check;

ALTER TABLE activities
    DROP CONSTRAINT activities_id_check,
    DROP CONSTRAINT activities_submitter_check,
    DROP CONSTRAINT activities_submitter_fkey,
    DROP CONSTRAINT activities_submitter_kind_check,
    DROP CONSTRAINT activities_publication_check,
    DROP CONSTRAINT activities_status_check,
    DROP CONSTRAINT activities_modality_check;

ALTER TABLE stakeholder_facets
    DROP CONSTRAINT stakeholder_facets_facet_check;

ALTER TABLE stakeholders
    DROP CONSTRAINT stakeholders_id_check,
    DROP CONSTRAINT stakeholders_kind_check,
    DROP CONSTRAINT stakeholders_own_state_check;

ALTER TABLE recommendation_facets
    DROP CONSTRAINT recommendation_facets_facet_check;

ALTER TABLE recommendations
    DROP CONSTRAINT recommendations_id_check,
    DROP CONSTRAINT recommendations_response_check,
    DROP CONSTRAINT recommendations_action_category_check;

ALTER TABLE instance
    DROP CONSTRAINT instance_id_check;

DROP FUNCTION is_canonical_uuid(text);
