//! OpenAPI links from each operation that creates an item to the operations on it: a
//! `POST /x` answered `201` links to every operation of `/x/{id}` and the paths below it, with
//! `{id}` taken from the created item's `id` and the paths' other parameters from the
//! request's. And from a creation to the creations that name what it made in their body (an
//! activity's submitter, an offer's stakeholder, a consent's activity). Generated clients
//! follow them, and schemathesis's stateful phase reaches the operations whose ids only a
//! creation gives.

use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::{OpenApi, RefOr};

/// The names in a path template's braces, in order.
fn parameters(template: &str) -> Vec<&str> {
    template
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

fn operations(item: &PathItem) -> impl Iterator<Item = &Operation> {
    [&item.get, &item.put, &item.patch, &item.delete, &item.post]
        .into_iter()
        .flatten()
}

/// Creations whose body names an item another creation makes: (the creating path, the
/// operation that names it, the field of its body).
const NAMED_IN_BODY: [(&str, &str, &str); 4] = [
    ("/api/v1/stakeholders", "create_activity", "submitter"),
    ("/api/v1/stakeholders", "create_offer", "stakeholder"),
    ("/api/v1/stakeholders", "create_consent", "stakeholder_id"),
    ("/api/v1/activities", "create_consent", "activity_id"),
];

pub(super) fn add_links(openapi: &mut OpenApi) {
    let paths = &openapi.paths.paths;
    // (creating path, the link's name, the operation, its parameters and their values)
    let mut links = Vec::new();
    for (path, item) in paths {
        let creates = item
            .post
            .as_ref()
            .is_some_and(|op| op.responses.responses.contains_key("201"));
        if !creates {
            continue;
        }
        let own = parameters(path);
        for (below, target) in paths {
            let Some(rest) = below.strip_prefix(path.as_str()) else {
                continue;
            };
            let Some(created) = rest
                .strip_prefix("/{")
                .and_then(|r| r.split('/').next())
                .and_then(|s| s.strip_suffix('}'))
            else {
                continue;
            };
            let theirs = parameters(below);
            if theirs.len() != own.len() + 1 {
                continue;
            }
            for op in operations(target) {
                let Some(id) = op.operation_id.clone() else {
                    continue;
                };
                let values: Vec<(String, String)> = theirs
                    .iter()
                    .map(|p| {
                        let value = if *p == created {
                            "$response.body#/id".to_owned()
                        } else {
                            format!("$request.path.{p}")
                        };
                        ((*p).to_owned(), value)
                    })
                    .collect();
                links.push((path.clone(), id, values));
            }
        }
    }
    for (path, operation_id, field) in NAMED_IN_BODY {
        let Some(RefOr::T(created)) = openapi
            .paths
            .paths
            .get_mut(path)
            .and_then(|item| item.post.as_mut())
            .and_then(|post| post.responses.responses.get_mut("201"))
        else {
            continue;
        };
        let link = LinkBuilder::new()
            .operation_id(operation_id)
            .description(format!(
                "`{operation_id}` naming the item created as `{field}`"
            ))
            .request_body(Some(serde_json::json!({ field: "$response.body#/id" })))
            .build();
        created
            .links
            .insert(format!("{operation_id}.{field}"), RefOr::T(link));
    }
    for (path, operation_id, values) in links {
        let Some(post) = openapi
            .paths
            .paths
            .get_mut(&path)
            .and_then(|item| item.post.as_mut())
        else {
            continue;
        };
        let Some(RefOr::T(created)) = post.responses.responses.get_mut("201") else {
            continue;
        };
        let mut link = LinkBuilder::new()
            .operation_id(operation_id.clone())
            .description(format!("`{operation_id}` of the item created"));
        for (name, value) in values {
            link = link.parameter(name, value);
        }
        created.links.insert(operation_id, RefOr::T(link.build()));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_creation_links_to_every_operation_on_what_it_created() {
        let doc = super::super::document();
        let value = serde_json::to_value(&doc).unwrap();
        let links = &value["paths"]["/api/v1/activities"]["post"]["responses"]["201"]["links"];
        for op in [
            "get_activity",
            "replace_activity",
            "patch_activity",
            "delete_activity",
        ] {
            assert_eq!(links[op]["operationId"], op);
            assert_eq!(links[op]["parameters"]["id"], "$response.body#/id");
        }
        let interest = &value["paths"]["/api/v1/assistance-requests/{id}/interests"]["post"]["responses"]
            ["201"]["links"]["accept_interest"];
        assert_eq!(interest["parameters"]["id"], "$request.path.id");
        assert_eq!(interest["parameters"]["interest_id"], "$response.body#/id");
        let consent = &value["paths"]["/api/v1/consents"]["post"]["responses"]["201"]["links"];
        assert_eq!(
            consent["get_consent"]["parameters"]["id"],
            "$response.body#/id"
        );
    }
}
