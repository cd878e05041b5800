//! Vocabularies that grow (themes, affected persons, funding sources, modalities, stakeholder
//! kinds, the States and countries) are open in what the service answers and closed in what it
//! takes. An answer's `ThemeCode` is any string: a client generated from this contract keeps
//! working when a theme is added to `/api/v1/reference/themes`, without a new release. A
//! request's `KnownThemeCode` lists the codes this release accepts, which is what the service
//! checks. Fixed sets (roles, decisions, scopes, statuses, languages, currencies, SDG targets,
//! M49 regions, regional groups) stay enums on both sides.

use std::collections::BTreeSet;

use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, ObjectBuilder, Schema, Type};
use utoipa::openapi::{OpenApi, RefOr};

use super::reach::{Sides, refs};

/// Each open vocabulary's schema, and where its codes are listed.
pub const OPEN: [(&str, &str); 7] = [
    ("ThemeCode", "/api/v1/reference/themes"),
    ("AffectedPersonsCode", "/api/v1/reference/affected-persons"),
    ("FundingSourceCode", "/api/v1/reference/funding-sources"),
    ("ModalityCode", "/api/v1/reference/modalities"),
    ("StakeholderKind", "/api/v1/reference/stakeholder-kinds"),
    (
        "StateCode",
        "/api/v1/reference/countries?status=member_state",
    ),
    ("CountryCodeValue", "/api/v1/reference/countries"),
];

const SCHEMAS: &str = "#/components/schemas/";

fn known(name: &str) -> String {
    format!("Known{name}")
}

/// Points every reference to an open vocabulary at its closed twin, at any depth.
fn close(schema: &mut RefOr<Schema>) {
    let closed = |items: &mut Vec<RefOr<Schema>>| items.iter_mut().for_each(close);
    match schema {
        RefOr::Ref(r) => {
            if let Some(name) = r.ref_location.strip_prefix(SCHEMAS)
                && OPEN.iter().any(|(open, _)| *open == name)
            {
                r.ref_location = format!("{SCHEMAS}{}", known(name));
            }
        }
        RefOr::T(Schema::Object(object)) => {
            object.properties.values_mut().for_each(close);
            if let Some(AdditionalProperties::RefOr(more)) =
                object.additional_properties.as_deref_mut()
            {
                close(more);
            }
        }
        RefOr::T(Schema::Array(array)) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                close(items);
            }
        }
        RefOr::T(Schema::OneOf(one)) => closed(&mut one.items),
        RefOr::T(Schema::AnyOf(any)) => closed(&mut any.items),
        RefOr::T(Schema::AllOf(all)) => closed(&mut all.items),
        RefOr::T(_) => {}
    }
}

pub(super) fn open_vocabularies(openapi: &mut OpenApi) {
    let Sides {
        taken: requests,
        given: answers,
    } = Sides::of(openapi);
    let schemas = openapi
        .components
        .as_ref()
        .map(|c| serde_json::to_value(&c.schemas).expect("the contract serialises"))
        .unwrap_or_default();
    for shared in requests.intersection(&answers) {
        let mut inside = BTreeSet::new();
        refs(&schemas[shared], &mut inside);
        let open = OPEN.iter().find(|(name, _)| inside.contains(*name));
        assert!(
            open.is_none(),
            "{shared} is both taken and given and holds {open:?}: give requests a schema of their own"
        );
    }
    // Requests: every vocabulary closed, in their bodies, their parameters and the schemas
    // those reach.
    for item in openapi.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.patch,
            &mut item.delete,
        ];
        for op in ops.into_iter().flatten() {
            for parameter in op.parameters.iter_mut().flatten() {
                if let RefOr::T(parameter) = parameter {
                    parameter.schema.as_mut().map(close);
                }
            }
            if let Some(RefOr::T(body)) = op.request_body.as_mut() {
                for content in body.content.values_mut() {
                    if let RefOr::T(content) = content {
                        content.schema.as_mut().map(close);
                    }
                }
            }
        }
    }
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    for name in &requests {
        components.schemas.get_mut(name).map(close);
    }
    // Answers: each vocabulary an open string, its codes of this release kept as the closed
    // twin.
    for (name, listed) in OPEN {
        let Some(RefOr::T(Schema::Object(closed))) = components.schemas.get(name).cloned() else {
            continue;
        };
        let example = closed
            .enum_values
            .as_ref()
            .and_then(|codes| codes.first().cloned());
        let mut twin = closed;
        twin.description = Some(format!(
            "{} The codes of {listed} this release accepts in requests; answers may hold codes \
             added since (`{name}`).",
            twin.description.as_deref().unwrap_or_default()
        ));
        components
            .schemas
            .insert(known(name), RefOr::T(Schema::Object(twin)));
        let open = ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(format!(
                "A code of {listed}. The list grows without a new release of this contract: \
                 keep a code you do not know (and look it up there) rather than refuse it."
            )))
            .min_length(Some(1))
            .examples(example)
            .build();
        components
            .schemas
            .insert(name.to_owned(), RefOr::T(Schema::Object(open)));
    }
}
