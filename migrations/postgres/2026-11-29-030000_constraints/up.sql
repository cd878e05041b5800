-- The database holds the rules too: what the code writes, the tables now refuse otherwise.
--
-- * CHECK constraints on every enumerated column (the values of the domain enums' `as_str`,
--   of the reference vocabularies the code validates against, and of the writers in src/db),
--   and on the shape of ids: a UUID in canonical lowercase hyphenated text, as
--   `uuid::Uuid::to_string()` writes it, in every id column and every column or facet value
--   that names an item by id. The INTEGER flags (`good_practice`, `peer_to_peer`, `public`)
--   get no CHECK here: they become `boolean` (2026-11-29-050000), whose type holds the rule.
-- * Foreign keys: an activity's submitter is a stakeholder (`activities.submitter` →
--   `stakeholders.id`); facet rows keep theirs (→ the parent's `seq`, removed with it, as
--   before). The code refuses to delete a stakeholder that activities name (a 409,
--   src/db/stakeholders.rs) before the key is reached: the key is a second line of defence,
--   never the answer. It is checked when the transaction commits (DEFERRABLE INITIALLY
--   DEFERRED): a State's first dry run of a bulk upload writes its rows as the stakeholder it
--   will be, not registered yet, and rolls them back (src/routes/bulk.rs).
-- * Triggers where one column names items of several kinds, which no single foreign key can
--   express: a consent record's `target` (an activity for scope `activity`, a stakeholder for
--   scope `submitter`, nothing for `all`) and a partner key's `entity_id` (a recommendation, a
--   stakeholder or an activity, by `entity`) must name an item that exists when the row is
--   written. Only then: `admin` may delete an activity a State decided on by name, and consent
--   records are append-only, so a record may outlive its target; partner keys are deleted with
--   their item by the code (src/db/table.rs), in the same transaction. Writers are serialised
--   (`db::lock_writes`), so the item cannot go between the check and the commit.
--
-- The modalities are reference data (api/reference/modalities.json): one added there needs a
-- migration that widens `activities_modality_check`.
--
-- A row that breaks a rule makes the migration fail, naming the constraint, and nothing
-- changes: such a row was not written by this code. E.g. an activity whose submitter is gone:
-- SELECT id, submitter FROM activities WHERE submitter NOT IN (SELECT id FROM stakeholders);

-- An id as `uuid::Uuid::to_string()` writes it: lowercase hexadecimal, hyphenated 8-4-4-4-12.
CREATE FUNCTION is_canonical_uuid(value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT value ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' $$;

ALTER TABLE instance
    ADD CONSTRAINT instance_id_check CHECK (is_canonical_uuid(id));

ALTER TABLE recommendations
    ADD CONSTRAINT recommendations_id_check CHECK (is_canonical_uuid(id)),
    ADD CONSTRAINT recommendations_response_check
        CHECK (response IN ('supported', 'supported_in_part', 'noted')),
    ADD CONSTRAINT recommendations_action_category_check
        CHECK (action_category BETWEEN 1 AND 5);

ALTER TABLE recommendation_facets
    ADD CONSTRAINT recommendation_facets_facet_check
        CHECK (facet IN ('recommending_state', 'theme', 'affected_persons', 'sdg_target'));

ALTER TABLE stakeholders
    ADD CONSTRAINT stakeholders_id_check CHECK (is_canonical_uuid(id)),
    ADD CONSTRAINT stakeholders_kind_check CHECK (kind IN ('state', 'un_entity',
        'international_organization', 'regional_organization', 'regional_human_rights_mechanism',
        'nhri', 'civil_society_organization', 'nmirf', 'parliament', 'academia',
        'private_sector', 'other')),
    -- A State's own stakeholder is of kind `state`, and its State is its country.
    ADD CONSTRAINT stakeholders_own_state_check
        CHECK (own_state IS NULL OR (kind = 'state' AND own_state = country));

ALTER TABLE stakeholder_facets
    ADD CONSTRAINT stakeholder_facets_facet_check
        CHECK (facet IN ('theme', 'language', 'region'));

ALTER TABLE activities
    ADD CONSTRAINT activities_id_check CHECK (is_canonical_uuid(id)),
    ADD CONSTRAINT activities_submitter_check CHECK (is_canonical_uuid(submitter)),
    ADD CONSTRAINT activities_submitter_fkey
        FOREIGN KEY (submitter) REFERENCES stakeholders (id) DEFERRABLE INITIALLY DEFERRED,
    ADD CONSTRAINT activities_submitter_kind_check
        CHECK (submitter_kind IN ('state', 'un_entity', 'international_organization',
        'regional_organization', 'regional_human_rights_mechanism', 'nhri',
        'civil_society_organization', 'nmirf', 'parliament', 'academia', 'private_sector',
        'other')),
    ADD CONSTRAINT activities_publication_check
        CHECK (publication IN ('draft', 'submitted', 'withdrawn')),
    ADD CONSTRAINT activities_status_check CHECK (status IN ('pipeline', 'implementation',
        'finalisation', 'closed', 'cancelled', 'suspended')),
    ADD CONSTRAINT activities_modality_check CHECK (modality IN ('training',
        'legislative_advice', 'institution_building', 'data_and_indicators',
        'awareness_raising', 'peer_exchange', 'needs_assessment', 'nmirf_support',
        'reporting_support', 'other'));

ALTER TABLE activity_facets
    ADD CONSTRAINT activity_facets_facet_check CHECK (facet IN ('state', 'regional_group',
        'participant', 'role', 'stakeholder', 'recommendation', 'theme', 'sdg_target',
        'funding_source', 'awaiting', 'refused')),
    -- Facets that name items name them by id; a participant is `id|role`.
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

ALTER TABLE consents
    ADD CONSTRAINT consents_id_check CHECK (is_canonical_uuid(id)),
    ADD CONSTRAINT consents_decision_check
        CHECK (decision IN ('granted', 'refused', 'withdrawn')),
    ADD CONSTRAINT consents_scope_check CHECK (scope IN ('all', 'submitter', 'activity')),
    -- The stakeholder (scope `submitter`) or the activity (scope `activity`) it covers; none
    -- for `all`.
    ADD CONSTRAINT consents_target_check CHECK (CASE scope
        WHEN 'all' THEN target IS NULL
        ELSE target IS NOT NULL AND is_canonical_uuid(target) END);

ALTER TABLE external_refs
    -- `recommendation`, `stakeholder`, or `activity:<submitter id>` (keys of activities are
    -- unique per submitter).
    ADD CONSTRAINT external_refs_entity_check CHECK (entity IN ('recommendation', 'stakeholder')
        OR (substr(entity, 1, 9) = 'activity:' AND is_canonical_uuid(substr(entity, 10)))),
    ADD CONSTRAINT external_refs_entity_id_check CHECK (is_canonical_uuid(entity_id));

ALTER TABLE audit_log
    -- A token's role, or `operator` for the command line (src/db/audit.rs).
    ADD CONSTRAINT audit_log_role_check
        CHECK (role IN ('admin', 'state', 'contributor', 'sync', 'operator')),
    -- The kinds of item (src/db/changes.rs, `TYPES`).
    ADD CONSTRAINT audit_log_entity_check CHECK (entity IN ('recommendation', 'stakeholder',
        'activity', 'consent', 'assistance_request', 'offer')),
    ADD CONSTRAINT audit_log_entity_id_check CHECK (is_canonical_uuid(entity_id)),
    ADD CONSTRAINT audit_log_operation_check
        CHECK (operation IN ('create', 'update', 'delete'));

ALTER TABLE changes
    ADD CONSTRAINT changes_entity_check CHECK (entity IN ('recommendation', 'stakeholder',
        'activity', 'consent', 'assistance_request', 'offer')),
    ADD CONSTRAINT changes_entity_id_check CHECK (is_canonical_uuid(entity_id)),
    ADD CONSTRAINT changes_op_check CHECK (op IN ('upsert', 'delete')),
    -- An upsert carries the item; a deletion nothing.
    ADD CONSTRAINT changes_data_check CHECK ((op = 'upsert') = (data IS NOT NULL)),
    ADD CONSTRAINT changes_public_op_check CHECK (public_op IN ('upsert', 'delete')),
    -- Only a public upsert carries a public representation (when it differs from `data`).
    ADD CONSTRAINT changes_public_data_check CHECK (public_data IS NULL OR public_op = 'upsert');

-- A consent record names an existing target when it is recorded.
CREATE FUNCTION consents_target_exists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.scope = 'activity' AND NOT EXISTS (SELECT 1 FROM activities WHERE id = NEW.target))
        OR (NEW.scope = 'submitter'
            AND NOT EXISTS (SELECT 1 FROM stakeholders WHERE id = NEW.target)) THEN
        RAISE EXCEPTION 'a consent record names a target that does not exist: % %',
            NEW.scope, NEW.target USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER consents_target_exists BEFORE INSERT ON consents
    FOR EACH ROW EXECUTE FUNCTION consents_target_exists();

-- A partner key names an existing item of its kind (an activity of its submitter).
CREATE FUNCTION external_refs_entity_exists() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    present boolean;
BEGIN
    present := CASE
        WHEN NEW.entity = 'recommendation'
            THEN EXISTS (SELECT 1 FROM recommendations WHERE id = NEW.entity_id)
        WHEN NEW.entity = 'stakeholder'
            THEN EXISTS (SELECT 1 FROM stakeholders WHERE id = NEW.entity_id)
        ELSE EXISTS (SELECT 1 FROM activities
                     WHERE id = NEW.entity_id AND 'activity:' || submitter = NEW.entity)
    END;
    IF NOT present THEN
        RAISE EXCEPTION 'a partner key names an item that does not exist: % %',
            NEW.entity, NEW.entity_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER external_refs_entity_exists BEFORE INSERT OR UPDATE OF entity, entity_id
    ON external_refs FOR EACH ROW EXECUTE FUNCTION external_refs_entity_exists();
