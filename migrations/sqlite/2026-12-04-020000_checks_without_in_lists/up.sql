-- A table's CHECK that a column is one of a list (`x IN ('a', 'b', 'c')`) made SQLite build
-- the list as a temporary index again for every row it checked: SQLite evaluates a list once
-- a statement everywhere but in a table's checks. An audit entry's three lists were nearly half
-- of what its insert cost, and every write checks some (docs/benchmarks.md). The same
-- checks are written as comparisons joined by OR, which refuse and let through the same
-- values (NULL included) and cost a comparison each.
--
-- Only the text of the tables' definitions changes, not what is stored, and every stored row
-- meets the new checks, which are the old ones: so the definitions are edited in place, as
-- SQLite documents for changing a table's constraints, rather than by copying each table.
-- `writable_schema = RESET` makes this connection read the definitions again; the table made
-- and dropped at the end moves the schema's version, so that every other connection does too.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql,
    '(response IN (''supported'', ''supported_in_part'', ''noted'')',
    '((response = ''supported'' OR response = ''supported_in_part'' OR response = ''noted'')')
    WHERE type = 'table' AND name = 'recommendations';
UPDATE sqlite_schema SET sql = replace(sql,
    '(kind IN (''state'', ''un_entity'',
        ''international_organization'', ''regional_organization'', ''regional_human_rights_mechanism'',
        ''nhri'', ''civil_society_organization'', ''nmirf'', ''parliament'', ''academia'',
        ''private_sector'', ''other'')',
    '((kind = ''state'' OR kind = ''un_entity'' OR kind = ''international_organization'' OR kind = ''regional_organization'' OR kind = ''regional_human_rights_mechanism'' OR kind = ''nhri'' OR kind = ''civil_society_organization'' OR kind = ''nmirf'' OR kind = ''parliament'' OR kind = ''academia'' OR kind = ''private_sector'' OR kind = ''other'')')
    WHERE type = 'table' AND name = 'stakeholders';
UPDATE sqlite_schema SET sql = replace(sql,
    '(submitter_kind IN (''state'', ''un_entity'', ''international_organization'',
        ''regional_organization'', ''regional_human_rights_mechanism'', ''nhri'',
        ''civil_society_organization'', ''nmirf'', ''parliament'', ''academia'', ''private_sector'',
        ''other'')',
    '((submitter_kind = ''state'' OR submitter_kind = ''un_entity'' OR submitter_kind = ''international_organization'' OR submitter_kind = ''regional_organization'' OR submitter_kind = ''regional_human_rights_mechanism'' OR submitter_kind = ''nhri'' OR submitter_kind = ''civil_society_organization'' OR submitter_kind = ''nmirf'' OR submitter_kind = ''parliament'' OR submitter_kind = ''academia'' OR submitter_kind = ''private_sector'' OR submitter_kind = ''other'')')
    WHERE type = 'table' AND name = 'activities';
UPDATE sqlite_schema SET sql = replace(sql,
    '(publication IN (''draft'', ''submitted'', ''withdrawn'')',
    '((publication = ''draft'' OR publication = ''submitted'' OR publication = ''withdrawn'')')
    WHERE type = 'table' AND name = 'activities';
UPDATE sqlite_schema SET sql = replace(sql,
    '(status IN (''pipeline'',
        ''implementation'', ''finalisation'', ''closed'', ''cancelled'', ''suspended'')',
    '((status = ''pipeline'' OR status = ''implementation'' OR status = ''finalisation'' OR status = ''closed'' OR status = ''cancelled'' OR status = ''suspended'')')
    WHERE type = 'table' AND name = 'activities';
UPDATE sqlite_schema SET sql = replace(sql,
    '(modality IN (''training'',
        ''legislative_advice'', ''institution_building'', ''data_and_indicators'',
        ''awareness_raising'', ''peer_exchange'', ''needs_assessment'', ''nmirf_support'',
        ''reporting_support'', ''other'')',
    '((modality = ''training'' OR modality = ''legislative_advice'' OR modality = ''institution_building'' OR modality = ''data_and_indicators'' OR modality = ''awareness_raising'' OR modality = ''peer_exchange'' OR modality = ''needs_assessment'' OR modality = ''nmirf_support'' OR modality = ''reporting_support'' OR modality = ''other'')')
    WHERE type = 'table' AND name = 'activities';
UPDATE sqlite_schema SET sql = replace(sql,
    '(decision IN (''granted'', ''refused'', ''withdrawn'')',
    '((decision = ''granted'' OR decision = ''refused'' OR decision = ''withdrawn'')')
    WHERE type = 'table' AND name = 'consents';
UPDATE sqlite_schema SET sql = replace(sql,
    '(scope IN (''all'', ''submitter'', ''activity'')',
    '((scope = ''all'' OR scope = ''submitter'' OR scope = ''activity'')')
    WHERE type = 'table' AND name = 'consents';
UPDATE sqlite_schema SET sql = replace(sql,
    '(entity IN (''recommendation'', ''stakeholder'')',
    '((entity = ''recommendation'' OR entity = ''stakeholder'')')
    WHERE type = 'table' AND name = 'external_refs';
UPDATE sqlite_schema SET sql = replace(sql,
    '(status IN (''draft'', ''open'', ''matched'', ''closed'')',
    '((status = ''draft'' OR status = ''open'' OR status = ''matched'' OR status = ''closed'')')
    WHERE type = 'table' AND name = 'assistance_requests';
UPDATE sqlite_schema SET sql = replace(sql,
    '(facet IN (
        ''regional_group'', ''recommendation'', ''theme'', ''sdg_target'', ''modality'', ''language'')',
    '((facet = ''regional_group'' OR facet = ''recommendation'' OR facet = ''theme'' OR facet = ''sdg_target'' OR facet = ''modality'' OR facet = ''language'')')
    WHERE type = 'table' AND name = 'assistance_request_facets';
UPDATE sqlite_schema SET sql = replace(sql,
    ' value IN (''african'', ''asia_pacific'', ''eastern_european'',
            ''latin_american_and_caribbean'', ''western_european_and_others'')',
    ' (value = ''african'' OR value = ''asia_pacific'' OR value = ''eastern_european'' OR value = ''latin_american_and_caribbean'' OR value = ''western_european_and_others'')')
    WHERE type = 'table' AND name = 'assistance_request_facets';
UPDATE sqlite_schema SET sql = replace(sql,
    '(status IN (''draft'', ''open'', ''closed'')',
    '((status = ''draft'' OR status = ''open'' OR status = ''closed'')')
    WHERE type = 'table' AND name = 'offers';
UPDATE sqlite_schema SET sql = replace(sql,
    '(facet IN (''theme'',
        ''sdg_target'', ''modality'', ''language'', ''state'', ''region'', ''regional_group'', ''activity'')',
    '((facet = ''theme'' OR facet = ''sdg_target'' OR facet = ''modality'' OR facet = ''language'' OR facet = ''state'' OR facet = ''region'' OR facet = ''regional_group'' OR facet = ''activity'')')
    WHERE type = 'table' AND name = 'offer_facets';
UPDATE sqlite_schema SET sql = replace(sql,
    ' value IN (''african'', ''asia_pacific'', ''eastern_european'',
            ''latin_american_and_caribbean'', ''western_european_and_others'')',
    ' (value = ''african'' OR value = ''asia_pacific'' OR value = ''eastern_european'' OR value = ''latin_american_and_caribbean'' OR value = ''western_european_and_others'')')
    WHERE type = 'table' AND name = 'offer_facets';
UPDATE sqlite_schema SET sql = replace(sql,
    '(status IN (''pending'', ''accepted'', ''declined'', ''withdrawn'')',
    '((status = ''pending'' OR status = ''accepted'' OR status = ''declined'' OR status = ''withdrawn'')')
    WHERE type = 'table' AND name = 'interests';
UPDATE sqlite_schema SET sql = replace(sql,
    '(facet IN (''state'',
        ''regional_group'', ''participant'', ''role'', ''stakeholder'', ''recommendation'', ''theme'',
        ''sdg_target'', ''funding_source'', ''awaiting'', ''refused'',
        ''assistance_request'', ''offer'')',
    '((facet = ''state'' OR facet = ''regional_group'' OR facet = ''participant'' OR facet = ''role'' OR facet = ''stakeholder'' OR facet = ''recommendation'' OR facet = ''theme'' OR facet = ''sdg_target'' OR facet = ''funding_source'' OR facet = ''awaiting'' OR facet = ''refused'' OR facet = ''assistance_request'' OR facet = ''offer'')')
    WHERE type = 'table' AND name = 'activity_facets';
UPDATE sqlite_schema SET sql = replace(sql,
    ' substr(value, 38) IN (''funding'', ''accountable'', ''extending'', ''implementing'')',
    ' (substr(value, 38) = ''funding'' OR substr(value, 38) = ''accountable'' OR substr(value, 38) = ''extending'' OR substr(value, 38) = ''implementing'')')
    WHERE type = 'table' AND name = 'activity_facets';
UPDATE sqlite_schema SET sql = replace(sql,
    ' value IN (''funding'', ''accountable'', ''extending'', ''implementing'')',
    ' (value = ''funding'' OR value = ''accountable'' OR value = ''extending'' OR value = ''implementing'')')
    WHERE type = 'table' AND name = 'activity_facets';
UPDATE sqlite_schema SET sql = replace(sql,
    ' value IN (''african'', ''asia_pacific'', ''eastern_european'',
            ''latin_american_and_caribbean'', ''western_european_and_others'')',
    ' (value = ''african'' OR value = ''asia_pacific'' OR value = ''eastern_european'' OR value = ''latin_american_and_caribbean'' OR value = ''western_european_and_others'')')
    WHERE type = 'table' AND name = 'activity_facets';
UPDATE sqlite_schema SET sql = replace(sql,
    '(entity IN (''recommendation'',
        ''stakeholder'', ''activity'', ''consent'', ''assistance_request'', ''offer'')',
    '((entity = ''recommendation'' OR entity = ''stakeholder'' OR entity = ''activity'' OR entity = ''consent'' OR entity = ''assistance_request'' OR entity = ''offer'')')
    WHERE type = 'table' AND name = 'changes';
UPDATE sqlite_schema SET sql = replace(sql,
    '(op IN (''upsert'', ''delete'')',
    '((op = ''upsert'' OR op = ''delete'')')
    WHERE type = 'table' AND name = 'changes';
UPDATE sqlite_schema SET sql = replace(sql,
    '(public_op IN (''upsert'', ''delete'')',
    '((public_op = ''upsert'' OR public_op = ''delete'')')
    WHERE type = 'table' AND name = 'changes';
UPDATE sqlite_schema SET sql = replace(sql,
    '(role IN (''admin'', ''state'', ''contributor'', ''sync'', ''operator'')',
    '((role = ''admin'' OR role = ''state'' OR role = ''contributor'' OR role = ''sync'' OR role = ''operator'')')
    WHERE type = 'table' AND name = 'audit_log';
UPDATE sqlite_schema SET sql = replace(sql,
    '(entity IN (''recommendation'',
        ''stakeholder'', ''activity'', ''consent'', ''assistance_request'', ''offer'', ''interest'')',
    '((entity = ''recommendation'' OR entity = ''stakeholder'' OR entity = ''activity'' OR entity = ''consent'' OR entity = ''assistance_request'' OR entity = ''offer'' OR entity = ''interest'')')
    WHERE type = 'table' AND name = 'audit_log';
UPDATE sqlite_schema SET sql = replace(sql,
    '(operation IN (''create'', ''update'', ''delete'')',
    '((operation = ''create'' OR operation = ''update'' OR operation = ''delete'')')
    WHERE type = 'table' AND name = 'audit_log';
UPDATE sqlite_schema SET sql = replace(sql,
    '(facet IN (''theme'', ''language'', ''region'')',
    '((facet = ''theme'' OR facet = ''language'' OR facet = ''region'')')
    WHERE type = 'table' AND name = 'stakeholder_facets';
UPDATE sqlite_schema SET sql = replace(sql,
    '(facet IN (''recommending_state'', ''theme'', ''affected_persons'', ''sdg_target'',
                         ''sdg_goal'', ''source'')',
    '((facet = ''recommending_state'' OR facet = ''theme'' OR facet = ''affected_persons'' OR facet = ''sdg_target'' OR facet = ''sdg_goal'' OR facet = ''source'')')
    WHERE type = 'table' AND name = 'recommendation_facet_values';

PRAGMA writable_schema = RESET;
CREATE TABLE schema_version_moved (x INTEGER);
DROP TABLE schema_version_moved;
